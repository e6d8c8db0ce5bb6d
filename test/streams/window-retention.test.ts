/**
 * samsa/streams window retention against a real in-process broker (kafkajs produces the input and
 * reads the topic configs): a windowed count's store forgets the windows older than its
 * retention (also those of keys never written again), a restore from the changelog into a wiped
 * state directory does not bring them back, and the store's changelog is created as Kafka creates
 * it (cleanup.policy=compact,delete, retention.ms = store retention +
 * windowstore.changelog.additional.retention.ms); a session store forgets the keys whose last
 * session is older than its retention (gap + grace), and a stream-stream join buffer forgets the
 * keys whose latest record is past the join's retention.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { JoinWindows, KafkaStreams, Serdes, SessionWindows, StreamsBuilder, TimeWindows, type Windowed } from '../../src/streams/index.js';
import { startEnv, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000 - (1_700_000_000_000 % 10_000);
const config = (applicationId: string, errors: unknown[], onRestored?: () => void) => ({
  applicationId,
  bootstrapServers: env.broker.bootstrap,
  stateDir: env.stateDir,
  commitIntervalMs: 200,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  onError: (e: unknown) => errors.push(e),
  ...(onRestored ? { onRestored } : {}),
});

test('windowed count: windows older than the retention leave the store and stay gone after a restore; changelog is compact,delete with retention + 1 day', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'wr-in', numPartitions: 1 }] });
  const SIZE = 10_000;
  const RETENTION = 30_000;
  // Phase 1: key a in the windows 0..40 s, key b only in the first one (never written again);
  // phase 2 (after a restart that keeps the state directory): key a in the windows 50..90 s.
  const phase1 = [{ key: 'b', at: 5_000 }, ...Array.from({ length: 5 }, (_, i) => ({ key: 'a', at: i * SIZE + 1_000 }))];
  const phase2 = Array.from({ length: 5 }, (_, i) => ({ key: 'a', at: (i + 5) * SIZE + 1_000 }));
  const send = (evs: { key: string; at: number }[]) => env.producer.send({ topic: 'wr-in', messages: evs.map((e) => ({ key: e.key, value: 'v', timestamp: String(BASE + e.at) })) });
  const build = () => {
    const b = new StreamsBuilder();
    // (A variable, not a literal: the test also compiles against code without retentionMs.)
    const materialized = { storeName: 'wr-counts', retentionMs: RETENTION };
    b.stream<string, string>('wr-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(SIZE)).count(materialized);
    return b.build();
  };
  const windowsIn = (app: KafkaStreams): string[] =>
    app
      .all<Windowed<string>, number>('wr-counts')
      .map((e) => `${e.key.key}@${e.key.window.start - BASE}=${e.value}`)
      .sort();
  const errors: unknown[] = [];
  const run = async (evs: { key: string; at: number }[], last: string, expected: string[], onRestored?: () => void): Promise<number> => {
    if (evs.length > 0) await send(evs);
    const app = new KafkaStreams(build(), config('wr-app', errors, onRestored));
    await app.start();
    try {
      await until('the last window in the store', () => app.state === 'RUNNING' && windowsIn(app).includes(last), 60_000, () => JSON.stringify(windowsIn(app)));
      assert.deepEqual(windowsIn(app), expected);
      return app.restoredRecords;
    } finally {
      await app.close();
    }
  };

  // Store stream time = the last window start: windows starting before it - 30 s are gone.
  await run(phase1, 'a@40000=1', ['a@10000=1', 'a@20000=1', 'a@30000=1', 'a@40000=1']);
  // Reopened from its checkpoint: the windows already in the database expire too.
  const expected = ['a@60000=1', 'a@70000=1', 'a@80000=1', 'a@90000=1'];
  await run(phase2, 'a@90000=1', expected);

  const described = await env.admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2 /* TOPIC */, name: 'wr-app-wr-counts-changelog', configNames: ['cleanup.policy', 'retention.ms'] }] });
  const configs = new Map((described.resources[0]?.configEntries ?? []).map((c) => [c.configName, c.configValue]));
  assert.equal(configs.get('cleanup.policy'), 'compact,delete');
  assert.equal(configs.get('retention.ms'), String(RETENTION + 86_400_000));

  // A restore from the changelog (which still holds the expired windows: no tombstones) skips them.
  rmSync(`${env.stateDir}/wr-app`, { recursive: true, force: true });
  let restored = false;
  const n = await run([], 'a@90000=1', expected, () => (restored = true));
  assert.ok(restored);
  assert.ok(n > expected.length, `the changelog held expired windows too (${n} records restored)`);
  assert.deepEqual(errors, []);
});

test('session windows: a key whose last session ended before stream time - (gap + grace) leaves the store without being written again', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'wr-sessions-in', numPartitions: 1 }] });
  const b = new StreamsBuilder();
  b.stream<string, string>('wr-sessions-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(1_000, 500))
    .count({ storeName: 'wr-sessions' });
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), config('wr-sessions-app', errors));
  const keys = (): string[] => app.all<string, unknown>('wr-sessions').map((e) => e.key).sort();
  await env.producer.send({
    topic: 'wr-sessions-in',
    messages: [
      { key: 'old', at: 0 },
      { key: 'old', at: 800 },
      { key: 'x', at: 2_000 },
      { key: 'y', at: 10_000 },
    ].map((e) => ({ key: e.key, value: 'v', timestamp: String(BASE + e.at) })),
  });
  await app.start();
  try {
    await until('key y in the store', () => keys().includes('y'), 60_000, () => JSON.stringify(keys()));
    // Store stream time 10 s, retention 1.5 s: old (last end 0.8 s) and x (2 s) are gone.
    assert.deepEqual(keys(), ['y']);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

test('stream-stream join: a buffered key not written again leaves the join store once its latest record is past before + after + grace', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'wr-left', numPartitions: 1 }, { topic: 'wr-right', numPartitions: 1 }, { topic: 'wr-joined', numPartitions: 1 }] });
  const b = new StreamsBuilder();
  const strings = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  const right = b.stream<string, string>('wr-right', strings);
  b.stream<string, string>('wr-left', strings)
    .join(right, (l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(1_000), { name: 'wrj' })
    .to('wr-joined', strings);
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), config('wr-join-app', errors));
  const keys = (): string[] => app.all<string, unknown>('KSTREAM-JOINTHIS-wrj-store').map((e) => e.key).sort();
  await env.producer.send({ topic: 'wr-left', messages: [['old', 0], ['mid', 9_000], ['new', 10_000]].map(([key, at]) => ({ key: String(key), value: 'v', timestamp: String(BASE + Number(at)) })) });
  await app.start();
  try {
    await until('key new in the join store', () => keys().includes('new'), 60_000, () => JSON.stringify(keys()));
    // Store stream time 10 s, retention 2 s: old (0 s) is gone, mid (9 s) stays.
    assert.deepEqual(keys(), ['mid', 'new']);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});
