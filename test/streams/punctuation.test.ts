/**
 * The Processor API of samsa/streams against a real broker: a custom processor (KStream.process)
 * with a state store added through StreamsBuilder.addStateStore, and punctuators: a stream-time
 * punctuator fires as Kafka's does (first with the first record, then each time stream time
 * reaches the next interval, once per advance) — its output equals the firings computed here from
 * the input timestamps; a wall-clock punctuator fires while no record arrives.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaStreams, PunctuationType, Serdes, StreamsBuilder, type ProcessorContext } from '../../src/streams/index.js';
import { readUntil, startEnv, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000;
const INTERVAL = 10_000;

test('a custom processor with a store; stream-time and wall-clock punctuators', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'pu-in', numPartitions: 1 }, { topic: 'pu-out', numPartitions: 1 }] });
  const deltas = [0, 3_000, 9_000, 12_000, 11_000, 25_000, 26_000, 41_000, 40_000, 75_000];
  await env.producer.send({ topic: 'pu-in', messages: deltas.map((d, i) => ({ key: `k${i % 3}`, value: 'x', timestamp: String(BASE + d) })) });

  // Expected stream-time firings: (time, records counted so far).
  const expected: string[] = [];
  let next = -1;
  let st = -1;
  deltas.forEach((d, i) => {
    st = Math.max(st, BASE + d);
    if (next === -1) next = st;
    if (st >= next) {
      expected.push(`${st}:${i + 1}`);
      next += INTERVAL * (Math.floor((st - next) / INTERVAL) + 1);
    }
  });

  const b = new StreamsBuilder();
  b.addStateStore({ name: 'per-key', keySerde: Serdes.String(), valueSerde: Serdes.Long() });
  b.stream<string, string>('pu-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .process<string, string>(() => {
      let ctx: ProcessorContext | null = null;
      return {
        init(c) {
          ctx = c;
          c.schedule(INTERVAL, PunctuationType.STREAM_TIME, (t) => {
            const total = c.store<string, number>('per-key').all().reduce((n, e) => n + e.value, 0);
            c.forward({ key: 'stream', value: `${t}:${total}`, timestamp: t, headers: [] });
          });
          c.schedule(200, PunctuationType.WALL_CLOCK_TIME, (t) => c.forward({ key: 'wall', value: String(t), timestamp: t, headers: [] }));
        },
        process(r) {
          const s = ctx?.store<string, number>('per-key');
          s?.put(r.key as string, (s.get(r.key as string) ?? 0) + 1);
        },
      };
    }, 'per-key')
    .to('pu-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), { applicationId: 'pu-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, onError: (e) => errors.push(e) });
  await app.start();
  try {
    const out = await readUntil(env.kafka, 'pu-out', (rs) => rs.filter((r) => r.key === 'stream').length >= expected.length && rs.filter((r) => r.key === 'wall').length >= 2, 90_000);
    assert.deepEqual(out.filter((r) => r.key === 'stream').map((r) => r.value), expected);
    assert.ok(out.filter((r) => r.key === 'wall').length >= 2, 'the wall-clock punctuator fired');
    assert.equal(app.get<string, number>('per-key', 'k0'), 4);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});
