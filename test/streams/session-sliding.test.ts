/**
 * samsa/streams session windows and sliding windows (KIP-450) against a real in-process broker:
 * counts per session (inactivity gap, grace, late records dropped, a record bridging two sessions
 * merges them and tombstones the old ones) and per sliding window (out-of-order records within
 * grace), read back with kafkajs and compared with tables computed here from the same input.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaStreams, Serdes, SessionWindows, SlidingWindows, StreamsBuilder } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, waitCommitted, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000;
const common = () => ({ bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
const nonNull = (m: Map<string, string | null>): [string, string | null][] => sortedEntries(new Map([...m].filter(([, v]) => v !== null)));
type Ev = { key: string; at: number; partition: number };

test('session windows: sessions by inactivity gap, merged by a bridging record, late records dropped after grace', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'sw-in', numPartitions: 2 }, { topic: 'sw-out', numPartitions: 2 }] });
  const GAP = 5_000;
  const GRACE = 10_000;
  const events: Ev[] = [
    ...[0, 10_000, 5_000].map((at) => ({ key: 'user-b', at, partition: 0 })),
    ...[0, 2_000, 4_000, 20_000, 23_000, 12_000, 16_000, 40_000, 9_000, 14_000].map((at) => ({ key: 'user-a', at, partition: 0 })),
    ...[100, 3_000, 50_000, 52_000, 30_000, 47_000].map((at) => ({ key: 'user-c', at, partition: 1 })),
  ];
  // Each partition is processed in offset order: a session closes once its end + gap + grace is before stream
  // time, so a record is late when it is older than stream time minus grace minus gap (exact for this input: a
  // late record would only merge into sessions that closed too).
  const accepted = new Map<string, number[]>();
  const observed = [-Infinity, -Infinity];
  let late = 0;
  for (const e of events) {
    observed[e.partition] = Math.max(observed[e.partition] ?? -Infinity, e.at);
    if (e.at < (observed[e.partition] ?? 0) - GRACE - GAP) late++;
    else accepted.set(e.key, [...(accepted.get(e.key) ?? []), e.at]);
  }
  assert.equal(late, 3);
  // Sessions: the accepted timestamps of a key, sorted, split where two neighbours are more than the gap apart.
  const expected = new Map<string, string | null>();
  for (const [key, ts] of accepted) {
    const sorted = [...ts].sort((a, b) => a - b);
    let start = sorted[0] as number;
    let count = 0;
    sorted.forEach((t, i) => {
      count++;
      const next = sorted[i + 1];
      if (next === undefined || next - t > GAP) {
        expected.set(`${key}@${BASE + start}-${BASE + t}`, String(count));
        if (next !== undefined) start = next;
        count = 0;
      }
    });
  }

  const b = new StreamsBuilder();
  b.stream<string, string>('sw-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(GAP, GRACE))
    .count()
    .toStream()
    .map((wk, n) => [`${wk.key}@${wk.window.start}-${wk.window.end}`, n === null ? null : String(n)] as [string, string | null])
    .to('sw-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const errors: unknown[] = [];
  await env.producer.send({ topic: 'sw-in', messages: events.map((e) => ({ key: e.key, value: 'v', partition: e.partition, timestamp: String(BASE + e.at) })) });
  const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'sw-app', onError: (e) => errors.push(e) });
  await app.start();
  try {
    await waitCommitted(env, 'sw-app', ['sw-in']); // every record processed, the late ones included
    const out = await readUntil(env.kafka, 'sw-out', (rs) => JSON.stringify(nonNull(lastValues(rs))) === JSON.stringify(nonNull(expected)), 90_000);
    assert.deepEqual(nonNull(lastValues(out)), nonNull(expected));
    // The merged-away sessions end as tombstones.
    const table = lastValues(out);
    for (const gone of [`user-a@${BASE + 12_000}-${BASE + 12_000}`, `user-a@${BASE + 20_000}-${BASE + 23_000}`, `user-b@${BASE}-${BASE}`, `user-b@${BASE + 10_000}-${BASE + 10_000}`]) assert.equal(table.get(gone), null, gone);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

test('sliding windows (KIP-450): one count per distinct window of records, out-of-order records within grace included, a late one dropped', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'sl-in', numPartitions: 2 }, { topic: 'sl-out', numPartitions: 2 }] });
  const D = 5_000;
  const GRACE = 20_000;
  const events: Ev[] = [
    ...[10_000, 12_000, 14_500, 30_000, 13_000, 34_000, 36_000, 20_000, 40_500, 10_000].map((at) => ({ key: 'x', at, partition: 0 })),
    ...[5_000, 6_000, 11_000, 11_000, 25_000, 8_000].map((at) => ({ key: 'y', at, partition: 1 })),
  ];
  // Windows [s, s + D] (inclusive): each record's left window ending at it, and its right window starting 1 ms after it when a record follows within D.
  // A record is dropped when even the window starting at it ([t, t + D]) closed: t + D < stream time - grace.
  const observed = [-Infinity, -Infinity];
  const inTime = events.filter((e) => {
    observed[e.partition] = Math.max(observed[e.partition] ?? -Infinity, e.at);
    return e.at + D >= (observed[e.partition] ?? 0) - GRACE;
  });
  assert.equal(events.length - inTime.length, 1);
  const expected = new Map<string, string | null>();
  for (const key of ['x', 'y']) {
    const ts = inTime.filter((e) => e.key === key).map((e) => e.at);
    const starts = new Set<number>();
    for (const t of ts) {
      starts.add(t - D);
      if (ts.some((u) => u > t && u <= t + D)) starts.add(t + 1);
    }
    for (const s of starts) expected.set(`${key}@${BASE + s}`, String(ts.filter((t) => t >= s && t <= s + D).length));
  }

  const b = new StreamsBuilder();
  b.stream<string, string>('sl-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(D, GRACE))
    .count()
    .toStream()
    .map((wk, n) => [`${wk.key}@${wk.window.start}`, String(n)] as [string, string])
    .to('sl-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const errors: unknown[] = [];
  await env.producer.send({ topic: 'sl-in', messages: events.map((e) => ({ key: e.key, value: 'v', partition: e.partition, timestamp: String(BASE + e.at) })) });
  const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'sl-app', onError: (e) => errors.push(e) });
  await app.start();
  try {
    await waitCommitted(env, 'sl-app', ['sl-in']); // every record processed, the late ones included
    const out = await readUntil(env.kafka, 'sl-out', (rs) => JSON.stringify(nonNull(lastValues(rs))) === JSON.stringify(nonNull(expected)), 90_000);
    assert.deepEqual(nonNull(lastValues(out)), nonNull(expected));
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});
