/**
 * Committed offsets survive a broker crash: two groups (kafkajs and kafka-python consumers)
 * consume part of a topic and stop; the broker is killed with SIGKILL and restarted on the same
 * data directory; `samsa groups` reports the same committed offsets and the right lag; new
 * consumers in each group resume exactly at the committed offsets (nothing below them again,
 * nothing above them skipped). kcat -L lists __consumer_offsets.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { GroupConsumer, waitUntil, type ClientKind } from '../group/group-harness.js';
import { GROUP_TEST_BROKER_CONFIG, SESSION_TIMEOUT_MS } from '../group/scenario.js';

const TOPIC = 'restart-topic';
const PARTITIONS = 3;
let broker: BrokerProcess | null = null;
let dataDir: string | null = null;

after(async () => {
  await broker?.kill();
  if (dataDir) removeDir(dataDir);
});

async function produce(bootstrap: string, from: number, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'restart', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: count }, (_, k) => ({ partition: (from + k) % PARTITIONS, value: `r-${from + k}` })) });
  await p.disconnect();
}

async function samsaGroupsJson(bootstrap: string, group: string): Promise<{ state: string; partitions: { partition: number; committedOffset: number | null; logEndOffset: number | null; lag: number | null }[] }> {
  const r = await runProcess(process.execPath, [CLI, 'groups', '--bootstrap-server', bootstrap, '--describe', '--group', group, '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `samsa groups failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString('utf8'));
}

/** Runs one consumer until it has `count` records, then stops it cleanly; returns its records. */
async function consume(kind: ClientKind, bootstrap: string, group: string, count: number): Promise<GroupConsumer> {
  const c = GroupConsumer.start(kind, { bootstrap, group, topic: TOPIC, id: `${kind}-${group}`, session: SESSION_TIMEOUT_MS });
  try {
    await waitUntil(() => c.records().length >= count, 40_000, () => `${count} records for ${group}; ${c.describe()}`);
    // Let the commit of the last batch land before leaving.
    await waitUntil(() => c.events.filter((e) => e.ev === 'commit').length > 0 && c.events[c.events.length - 1]?.ev === 'commit', 10_000, () => `a final commit; ${c.describe()}`);
    await c.stop();
  } finally {
    await c.kill();
  }
  return c;
}

test('groups resume from committed offsets after the broker is killed with SIGKILL', { timeout: 110_000 }, async (t) => {
  broker = await startBrokerProcess({ overrides: GROUP_TEST_BROKER_CONFIG });
  dataDir = broker.dataDir;
  const admin = new Kafka({ clientId: 'restart-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  await produce(broker.bootstrap, 0, 90);

  const groups: [ClientKind, string][] = [
    ['kafkajs', 'restart-kafkajs'],
    ['kafka-python', 'restart-kpy'],
  ];
  // Phase 1: each group consumes at least part of the topic and commits what it consumed.
  const committedBefore = new Map<string, Map<number, number>>();
  for (const [kind, group] of groups) {
    const c = await consume(kind, broker.bootstrap, group, 30);
    const last = new Map<number, number>();
    for (const e of c.events) if (e.ev === 'commit') for (const [p, o] of Object.entries(e.offs ?? {})) last.set(Number(p), Math.max(last.get(Number(p)) ?? 0, o));
    committedBefore.set(group, last);
    const d = await samsaGroupsJson(broker.bootstrap, group);
    for (const [p, o] of last) assert.equal(d.partitions.find((r) => r.partition === p)?.committedOffset, o, `${group} partition ${p} committed before the crash`);
  }

  await broker.kill();
  broker = await startBrokerProcess({ dataDir, overrides: GROUP_TEST_BROKER_CONFIG });
  await produce(broker.bootstrap, 90, 60);

  for (const [kind, group] of groups) {
    const before = committedBefore.get(group) as Map<number, number>;
    // samsa groups after the restart: the same committed offsets, lag against the new log end.
    const d = await samsaGroupsJson(broker.bootstrap, group);
    assert.equal(d.state, 'Empty');
    for (const p of [0, 1, 2]) {
      const row = d.partitions.find((r) => r.partition === p);
      const committed = before.get(p) ?? null;
      assert.equal(row?.committedOffset ?? null, committed, `${group} partition ${p} committed offset after the restart`);
      if (row && committed !== null) {
        assert.equal(row.logEndOffset, 50, `partition ${p} log end offset`);
        assert.equal(row.lag, 50 - committed, `${group} partition ${p} lag`);
      }
    }
    // Phase 2: a new consumer resumes at the committed offsets and reads to the end.
    const expected = 150 - [...before.values()].reduce((a, b) => a + b, 0);
    const c = await consume(kind, broker.bootstrap, group, expected);
    const firstByPartition = new Map<number, number>();
    for (const e of c.records()) if (!firstByPartition.has(e.p as number)) firstByPartition.set(e.p as number, e.o as number);
    for (const [p, first] of firstByPartition) assert.equal(first, before.get(p) ?? 0, `${group} resumed partition ${p} at its committed offset`);
    assert.equal(new Set(c.records().map((e) => e.v)).size, expected, `${group} read exactly the records after its commits`);
    const after = await samsaGroupsJson(broker.bootstrap, group);
    for (const row of after.partitions) assert.equal(row.lag, 0, `${group} partition ${row.partition} has no lag at the end`);
    t.diagnostic(`${group}: committed before crash ${JSON.stringify([...before])}, resumed and read ${expected}`);
  }

  const meta = await runProcess('kcat', ['-b', broker.bootstrap, '-L', '-J'], { timeoutMs: 20_000 });
  assert.equal(meta.code, 0, meta.stderr);
  const topics = (JSON.parse(meta.stdout.toString('utf8')) as { topics: { topic: string; partitions: unknown[] }[] }).topics;
  const offsetsTopic = topics.find((x) => x.topic === '__consumer_offsets');
  assert.ok(offsetsTopic, 'kcat -L lists __consumer_offsets');
  assert.equal(offsetsTopic.partitions.length, Number(GROUP_TEST_BROKER_CONFIG['offsets.topic.num.partitions']));
});
