/**
 * samsa/streams stream-table join and windowed counts against a real in-process broker, the
 * output topics read back with kafkajs and compared with tables computed here from the same
 * input: page views joined with user profiles (examples/page-view-enrichment.ts) give the
 * enriched views and the views per region; tumbling and hopping windowed counts with a grace
 * period (examples/windowed-count.ts) count what arrived in time and drop what came after its
 * window closed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { enrichmentTopology } from '../../examples/page-view-enrichment.js';
import { windowedCountTopology } from '../../examples/windowed-count.js';
import { KafkaStreams } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, tableEquals, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000;

test('stream-table join: page views enriched with the latest profile of their user, and counted per region', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'pv-views', numPartitions: 3 }, { topic: 'pv-users', numPartitions: 3 }, { topic: 'pv-out', numPartitions: 2 }, { topic: 'pv-regions', numPartitions: 2 }] });
  const profiles: [string, { name: string; region: string }][] = [
    ['u1', { name: 'Ann', region: 'eu' }],
    ['u2', { name: 'Bob', region: 'us' }],
    ['u3', { name: 'Cho', region: 'apac' }],
    ['u1', { name: 'Ann', region: 'us' }], // moved: the later profile wins
    ['u4', { name: 'Dee', region: 'eu' }],
  ];
  const views: [string, string][] = [];
  for (let i = 0; i < 60; i++) views.push([`u${(i % 6) + 1}`, `/page/${i % 7}`]); // u5 and u6 have no profile
  await env.producer.send({ topic: 'pv-users', messages: profiles.map(([k, v], i) => ({ key: k, value: JSON.stringify(v), timestamp: String(BASE + i) })) });
  await env.producer.send({ topic: 'pv-views', messages: views.map(([k, page], i) => ({ key: k, value: JSON.stringify({ page }), timestamp: String(BASE + 1_000 + i) })) });

  // Expected, computed from the input: the latest profile of each user, each view with a profile joined.
  const latest = new Map(profiles);
  const expectedEnriched = views.flatMap(([user, page]) => {
    const p = latest.get(user);
    return p ? [`${user}|${JSON.stringify({ page, user: p.name, region: p.region })}`] : [];
  });
  const perRegion = new Map<string, string | null>();
  for (const [user] of views) {
    const p = latest.get(user);
    if (p) perRegion.set(p.region, String(Number(perRegion.get(p.region) ?? 0) + 1));
  }

  const errors: unknown[] = [];
  const app = new KafkaStreams(enrichmentTopology({ views: 'pv-views', users: 'pv-users', output: 'pv-out', regionCounts: 'pv-regions' }), {
    applicationId: 'pv-app',
    bootstrapServers: env.broker.bootstrap,
    stateDir: env.stateDir,
    commitIntervalMs: 200,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    onError: (e) => errors.push(e),
  });
  await app.start();
  try {
    const regions = await readUntil(env.kafka, 'pv-regions', (rs) => tableEquals(lastValues(rs), perRegion), 90_000);
    assert.deepEqual(sortedEntries(lastValues(regions)), sortedEntries(perRegion));
    const enriched = await readUntil(env.kafka, 'pv-out', (rs) => rs.length >= expectedEnriched.length, 60_000);
    assert.deepEqual(enriched.map((r) => `${r.key}|${r.value}`).sort(), [...expectedEnriched].sort());
    // The table and the stream are co-partitioned: one task per partition reads both (sub-topology 0);
    // the region count reads the repartition topic, as wide as its upstream input (sub-topology 1).
    assert.deepEqual(app.activeTasks(), ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2']);
    const described = app.topology.describe();
    assert.match(described, /Sub-topology: 0\n {4}Source: KSTREAM-SOURCE-\d+ \(topics: \[pv-users\]\)/);
    assert.match(described, /Source: KSTREAM-SOURCE-\d+ \(topics: \[pv-views\]\)/);
    assert.match(described, /Processor: KSTREAM-JOIN-\d+ \(stores: \[user-profiles\]\)/);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

/** Window starts containing ts (size, advance), computed by walking back from the latest start. */
function windowStarts(ts: number, size: number, advance: number): number[] {
  const out: number[] = [];
  for (let start = ts - (ts % advance); start > ts - size && start >= 0; start -= advance) out.push(start);
  return out;
}

/** The windowed-count table of `events` (per partition, in order), dropping records whose window closed. */
function expectedWindowCounts(events: readonly { key: string; ts: number; partition: number }[], size: number, advance: number, grace: number): Map<string, string | null> {
  const counts = new Map<string, number>();
  const observed = new Map<number, number>();
  for (const e of events) {
    const st = Math.max(observed.get(e.partition) ?? -1, e.ts);
    observed.set(e.partition, st);
    for (const start of windowStarts(e.ts, size, advance)) {
      if (start + size <= st - grace) continue;
      const k = `${e.key}@${start}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return new Map([...counts].map(([k, n]) => [k, String(n)]));
}

test('windowed counts with grace: tumbling and hopping windows count in-time records and drop late ones', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'win-in', numPartitions: 2 }, { topic: 'win-tumbling', numPartitions: 2 }, { topic: 'win-hopping', numPartitions: 2 }] });
  const SIZE = 10_000;
  const GRACE = 3_000;
  const ADVANCE = 5_000;
  // Mostly in order, some out of order within the grace period, some beyond it (dropped).
  const offsets = [0, 1_000, 4_000, 9_500, 11_000, 8_000, 12_000, 25_000, 9_000, 21_000, 23_500, 14_000, 30_000, 39_000, 31_000, 26_000, 45_000, 41_000, 33_000, 50_000];
  const events = offsets.flatMap((d, i) => ['sensor-a', 'sensor-b', 'sensor-c'].map((key, j) => ({ key, ts: BASE - (BASE % SIZE) + d + j * 700, partition: j === 2 ? 1 : 0, seq: i })));
  await env.producer.send({ topic: 'win-in', messages: events.map((e) => ({ key: e.key, value: `reading-${e.seq}`, partition: e.partition, timestamp: String(e.ts) })) });
  const tumbling = expectedWindowCounts(events, SIZE, SIZE, GRACE);
  const hopping = expectedWindowCounts(events, SIZE, ADVANCE, GRACE);
  // The input does have late records: without the grace rule the tables would differ.
  assert.notDeepEqual(sortedEntries(tumbling), sortedEntries(expectedWindowCounts(events, SIZE, SIZE, Number.MAX_SAFE_INTEGER / 4)));

  const errors: unknown[] = [];
  const common = { bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, onError: (e: unknown) => errors.push(e) };
  const apps = [
    new KafkaStreams(windowedCountTopology({ input: 'win-in', output: 'win-tumbling', windowMs: SIZE, graceMs: GRACE }), { ...common, applicationId: 'win-tumbling-app' }),
    new KafkaStreams(windowedCountTopology({ input: 'win-in', output: 'win-hopping', windowMs: SIZE, graceMs: GRACE, advanceMs: ADVANCE }), { ...common, applicationId: 'win-hopping-app' }),
  ];
  for (const a of apps) await a.start();
  try {
    const t = await readUntil(env.kafka, 'win-tumbling', (rs) => tableEquals(lastValues(rs), tumbling), 90_000);
    assert.deepEqual(sortedEntries(lastValues(t)), sortedEntries(tumbling));
    const h = await readUntil(env.kafka, 'win-hopping', (rs) => tableEquals(lastValues(rs), hopping), 90_000);
    assert.deepEqual(sortedEntries(lastValues(h)), sortedEntries(hopping));
  } finally {
    for (const a of apps) await a.close();
  }
  assert.deepEqual(errors, []);
});
