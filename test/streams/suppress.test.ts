/**
 * samsa/streams suppress(Suppressed.untilWindowCloses) against a real in-process broker: a
 * windowed count emits exactly one final result per window once stream time passes the window's
 * end plus grace (late records dropped, open windows not emitted), and the suppression buffer
 * survives a restart with a wiped state directory (restored from its changelog). The output,
 * read with kafkajs, equals the final counts computed here from the same input.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows } from '../../src/streams/index.js';
import { readUntil, startEnv, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000 - (1_700_000_000_000 % 10_000);
type Ev = { key: string; at: number; partition: number };

/** Final counts of the windows closed by the end of `events` (per partition, in order; late records dropped). */
function finalCounts(events: readonly Ev[], size: number, grace: number): Map<string, number> {
  const counts = new Map<string, { n: number; end: number; partition: number }>();
  const observed = new Map<number, number>();
  for (const e of events) {
    const st = Math.max(observed.get(e.partition) ?? -Infinity, e.at);
    observed.set(e.partition, st);
    const start = e.at - (e.at % size);
    if (start + size <= st - grace) continue; // late
    const k = `${e.key}@${BASE + start}`;
    const c = counts.get(k) ?? { n: 0, end: start + size, partition: e.partition };
    c.n++;
    counts.set(k, c);
  }
  return new Map([...counts].filter(([, c]) => c.end + grace <= (observed.get(c.partition) ?? 0)).map(([k, c]) => [k, c.n]));
}

test('suppress(untilWindowCloses): one final count per closed window, none for open windows, buffer restored after a restart', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'sup-in', numPartitions: 2 }, { topic: 'sup-out', numPartitions: 2 }] });
  const SIZE = 10_000;
  const GRACE = 5_000;
  const phase1: Ev[] = [
    ...[1_000, 3_000, 9_000, 12_000, 8_000, 14_000, 21_000, 16_000, 2_000, 26_000, 27_000].map((at) => ({ key: 'a', at, partition: 0 })),
    ...[500, 11_000, 19_999, 33_000, 29_000, 41_000].map((at) => ({ key: 'b', at, partition: 1 })),
  ];
  const phase2: Ev[] = [
    ...[28_000, 45_000, 31_000, 70_000].map((at) => ({ key: 'a', at, partition: 0 })),
    ...[43_000, 80_000].map((at) => ({ key: 'b', at, partition: 1 })),
  ];
  const first = finalCounts(phase1, SIZE, GRACE);
  const all = finalCounts([...phase1, ...phase2], SIZE, GRACE);
  assert.ok(first.size >= 3 && all.size > first.size + 2, `a useful input: ${first.size} then ${all.size}`);

  const build = () => {
    const b = new StreamsBuilder();
    b.stream<string, string>('sup-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(SIZE, GRACE))
      .count({ storeName: 'sup-counts' })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .map((wk, n) => [`${wk.key}@${wk.window.start}`, String(n)] as [string, string])
      .to('sup-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    return b.build();
  };
  const errors: unknown[] = [];
  const config = { applicationId: 'sup-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, onError: (e: unknown) => errors.push(e) };
  const send = (evs: Ev[]) => env.producer.send({ topic: 'sup-in', messages: evs.map((e) => ({ key: e.key, value: 'v', partition: e.partition, timestamp: String(BASE + e.at) })) });
  const asList = (m: Map<string, number>): string[] => [...m].map(([k, n]) => `${k}=${n}`).sort();

  await send(phase1);
  const app1 = new KafkaStreams(build(), config);
  await app1.start();
  try {
    const out = await readUntil(env.kafka, 'sup-out', (rs) => rs.length >= first.size);
    assert.deepEqual(out.map((r) => `${r.key}=${r.value}`).sort(), asList(first));
  } finally {
    await app1.close();
  }
  rmSync(`${env.stateDir}/sup-app`, { recursive: true, force: true }); // the buffer must come back from its changelog

  await send(phase2);
  const app2 = new KafkaStreams(build(), config);
  await app2.start();
  try {
    const out = await readUntil(env.kafka, 'sup-out', (rs) => rs.length >= all.size);
    // Each window exactly once, with its final count.
    assert.deepEqual(out.map((r) => `${r.key}=${r.value}`).sort(), asList(all));
    assert.ok(app2.restoredRecords > 0);
  } finally {
    await app2.close();
  }
  assert.deepEqual(errors, []);
});
