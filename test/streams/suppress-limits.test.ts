/**
 * samsa/streams suppress(Suppressed.untilTimeLimit(...)) with bounded buffers, against a real
 * in-process broker (kafkajs produces the input and reads the output): a key's latest value is
 * forwarded once the time limit passed since its first held update, a full maxRecords buffer
 * emits its oldest entries early (in buffer-time order, with their latest values), a
 * shutDownWhenFull buffer fails the application with Kafka's "buffer exceeded its max capacity"
 * error, and untilWindowCloses refuses an emit-early buffer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BufferConfig, KafkaStreams, Serdes, StreamsBuilder, Suppressed } from '../../src/streams/index.js';
import { readUntil, startEnv, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000;
const config = (applicationId: string, errors: unknown[]) => ({ applicationId, bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, onError: (e: unknown) => errors.push(e) });
const send = (topic: string, evs: [string, string, number][]) => env.producer.send({ topic, messages: evs.map(([key, value, at]) => ({ key, value, partition: 0, timestamp: String(BASE + at) })) });

test('untilTimeLimit + maxRecords(2): emits the oldest early when full (latest value), then each key once its time limit passed', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'sl-in', numPartitions: 1 }, { topic: 'sl-out', numPartitions: 1 }] });
  const b = new StreamsBuilder();
  b.table<string, string>('sl-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .suppress(Suppressed.untilTimeLimit(60_000, BufferConfig.maxRecords(2)))
    .toStream()
    .to('sl-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), config('sl-app', errors));
  // k1, k2 buffered; k3 overfills: k1 early. k2 updated (keeps its buffer time 2 s); k4 overfills:
  // k2 early with b2. At 70 s, k3 (3 s) and k4 (5 s) are past the 60 s limit; k5 is not.
  await send('sl-in', [
    ['k1', 'a', 1_000],
    ['k2', 'b', 2_000],
    ['k3', 'c', 3_000],
    ['k2', 'b2', 4_000],
    ['k4', 'd', 5_000],
    ['k5', 'e', 70_000],
  ]);
  await app.start();
  try {
    const out = await readUntil(env.kafka, 'sl-out', (rs) => rs.length >= 4);
    assert.deepEqual(
      out.map((r) => `${r.key}=${r.value}`),
      ['k1=a', 'k2=b2', 'k3=c', 'k4=d'],
    );
    // k5 is held until stream time reaches 130 s.
    await send('sl-in', [['k6', 'f', 130_000]]);
    const more = await readUntil(env.kafka, 'sl-out', (rs) => rs.length >= 5);
    assert.deepEqual(
      more.map((r) => `${r.key}=${r.value}`),
      ['k1=a', 'k2=b2', 'k3=c', 'k4=d', 'k5=e'],
    );
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

test('untilTimeLimit + maxRecords(1).shutDownWhenFull(): the application fails with "buffer exceeded its max capacity"', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'ss-in', numPartitions: 1 }, { topic: 'ss-out', numPartitions: 1 }] });
  const b = new StreamsBuilder();
  b.table<string, string>('ss-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .suppress(Suppressed.untilTimeLimit(60_000, BufferConfig.maxRecords(1).shutDownWhenFull()).withName('ss-buffer'))
    .toStream()
    .to('ss-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), config('ss-app', errors));
  await send('ss-in', [
    ['k1', 'a', 1_000],
    ['k2', 'b', 2_000],
  ]);
  await app.start();
  try {
    await until('the application to fail', () => app.state === 'ERROR', 60_000, () => String(errors[0]));
    const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)));
    assert.ok(
      messages.some((m) => m.includes('ss-buffer buffer exceeded its max capacity. Currently [2/1] records')),
      messages.join('\n'),
    );
  } finally {
    await app.close();
  }
});

test('untilWindowCloses refuses an emit-early buffer; maxBytes and withNoBound build configs as Kafka', () => {
  assert.throws(() => Suppressed.untilWindowCloses(BufferConfig.maxRecords(10)), /strict buffer config/);
  const strict = BufferConfig.maxBytes(1_000).shutDownWhenFull();
  assert.equal(Suppressed.untilWindowCloses(strict).buffer.maxBytes, 1_000);
  assert.equal(BufferConfig.maxRecords(5).withMaxBytes(10).maxRecords, 5);
  assert.equal(BufferConfig.maxRecords(5).withNoBound().maxRecords, Infinity);
  assert.equal(BufferConfig.unbounded().whenFull, 'shutDown');
  assert.equal(BufferConfig.maxRecords(5).whenFull, 'emitEarly');
});
