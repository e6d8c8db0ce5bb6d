/**
 * `samsa leaders elect` (kafka-leader-election.sh) and `samsa log-dirs` on a three-broker cluster
 * (in-process, real etcd): a preferred election brings leadership back to the first replica, a
 * second one is not needed, an unknown partition fails with exit code 1, an unclean election
 * revives a partition whose only in-sync replica is down, usage mistakes exit 2; log-dirs
 * describes the directories of every broker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { WireClient, API, waitFor } from '../helpers/wire.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const fx = useEtcd({ before, after });
let started: Promise<TestCluster> | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'samsa-leaders-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cluster(): Promise<TestCluster> {
  started ??= startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'auto.leader.rebalance.enable': false } }).then((c) => {
    fx.closeLater(() => c.stop());
    return c;
  });
  return started;
}

async function createTopic(c: TestCluster, name: string, replicas: number[], configs: Record<string, string> = {}): Promise<void> {
  const admin = await WireClient.connect(c.broker(3).port);
  try {
    const r = await admin.request(API.CreateTopics, 7, {
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(r.topics[0].errorCode, 0, r.topics[0].errorMessage);
  } finally {
    admin.close();
  }
}

const partitionOf = (c: TestCluster, topic: string) => c.broker(3).broker.metadata.image().topic(topic)?.partitions[0];

test('samsa leaders elect PREFERRED moves leadership back to the first replica; not needed again; unknown partitions and usage errors', { timeout: 120_000 }, async () => {
  const c = await cluster();
  const b = c.broker(3).bootstrap;
  await createTopic(c, 'le', [2, 1, 3]);
  await waitFor(() => partitionOf(c, 'le')?.isr.length === 3 || undefined, 30_000, 'le-0 with a full ISR', 50);
  await c.stopBroker(2);
  await waitFor(() => (partitionOf(c, 'le')?.leader ?? 2) !== 2 || undefined, 30_000, 'le-0 led by another broker', 50);
  await c.startBroker(2);
  await waitFor(() => partitionOf(c, 'le')?.isr.length === 3 || undefined, 30_000, 'broker 2 back in the ISR of le-0', 50);
  assert.notEqual(partitionOf(c, 'le')?.leader, 2);

  let r = await samsaCli(['leaders', 'elect', '--election-type', 'preferred', '--topic', 'le', '--partition', '0'], { bootstrap: b });
  assertOk(r, 'leaders elect');
  assert.equal(r.stdout, 'Successfully completed leader election (PREFERRED) for partitions le-0\n');
  assert.equal(partitionOf(c, 'le')?.leader, 2);

  r = await samsaCli(['leaders', 'elect', '--election-type', 'PREFERRED', '--topic', 'le', '--partition', '0'], { bootstrap: b });
  assertOk(r, 'leaders elect again');
  assert.equal(r.stdout, 'Valid replica already elected for partitions le-0\n');

  r = await samsaCli(['leaders', 'elect', '--election-type', 'PREFERRED', '--all-topic-partitions'], { bootstrap: b });
  assertOk(r, 'leaders elect --all-topic-partitions');

  const file = join(tmp, 'partitions.json');
  writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'le', partition: 0 }, { topic: 'le', partition: 7 }] }));
  r = await samsaCli(['leaders', 'elect', '--election-type', 'PREFERRED', '--path-to-json-file', file, '--json'], { bootstrap: b });
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { electionType: string; results: { partition: string; error: string | null }[] };
  assert.deepEqual(doc.results.map((x) => [x.partition, x.error]), [['le-0', 'ELECTION_NOT_NEEDED'], ['le-7', 'UNKNOWN_TOPIC_OR_PARTITION']]);

  writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'le', partition: 0 }, { topic: 'le', partition: 0 }] }));
  r = await samsaCli(['leaders', 'elect', '--election-type', 'PREFERRED', '--path-to-json-file', file], { bootstrap: b });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /duplicate partitions: le-0/);
  for (const args of [['--topic', 'le', '--partition', '0'], ['--election-type', 'sideways', '--all-topic-partitions'], ['--election-type', 'preferred'], ['--election-type', 'preferred', '--all-topic-partitions', '--topic', 'le', '--partition', '0'], ['--election-type', 'preferred', '--partition', '0']]) {
    r = await samsaCli(['leaders', 'elect', ...args], { bootstrap: b });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('samsa leaders elect UNCLEAN elects the out-of-sync replica of a partition whose in-sync replica is down', { timeout: 120_000 }, async (t) => {
  const c = await cluster();
  // A failure midway must not leave brokers down for the next test.
  t.after(async () => {
    for (const x of c.brokers) if (x.running === null) await c.startBroker(x.nodeId);
  });
  const b = c.broker(3).bootstrap;
  await createTopic(c, 'uc', [1, 2], { 'unclean.leader.election.enable': 'false' });
  await waitFor(() => partitionOf(c, 'uc')?.isr.length === 2 || undefined, 30_000, 'uc-0 with ISR [1,2]', 50);
  await c.stopBroker(2);
  await waitFor(() => partitionOf(c, 'uc')?.isr.join() === '1' || undefined, 30_000, 'uc-0 with ISR [1]', 50);
  await c.stopBroker(1);
  await waitFor(() => partitionOf(c, 'uc')?.leader === -1 || undefined, 30_000, 'uc-0 offline', 50);
  await c.startBroker(2);
  let r = await samsaCli(['leaders', 'elect', '--election-type', 'PREFERRED', '--topic', 'uc', '--partition', '0'], { bootstrap: b });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Error completing leader election \(PREFERRED\) for partition: uc-0: PREFERRED_LEADER_NOT_AVAILABLE/);
  r = await samsaCli(['leaders', 'elect', '--election-type', 'UNCLEAN', '--topic', 'uc', '--partition', '0'], { bootstrap: b });
  assertOk(r, 'leaders elect UNCLEAN');
  assert.equal(r.stdout, 'Successfully completed leader election (UNCLEAN) for partitions uc-0\n');
  assert.equal(partitionOf(c, 'uc')?.leader, 2);
});

test('samsa log-dirs describes the log directories of every broker', { timeout: 120_000 }, async () => {
  const c = await cluster();
  await createTopic(c, 'ld', [1, 2, 3]);
  await waitFor(() => c.brokers.every((x) => x.running?.broker.replicas.partition('ld', 0) !== undefined) || undefined, 30_000, 'ld-0 on every broker', 50);
  const r = await samsaCli(['log-dirs', '--describe', '--topic-list', 'ld'], { bootstrap: c.broker(1).bootstrap });
  assertOk(r, 'log-dirs');
  const doc = JSON.parse(r.stdout) as { brokers: { broker: number; logDirs: { logDir: string; error: string | null; partitions: { partition: string }[] }[] }[] };
  assert.deepEqual(doc.brokers.map((x) => x.broker), [1, 2, 3]);
  for (const x of doc.brokers) {
    assert.equal(x.logDirs[0]?.logDir, c.brokers[x.broker - 1]?.dataDir);
    assert.deepEqual(x.logDirs[0]?.partitions.map((p) => p.partition), ['ld-0']);
  }
  const only = await samsaCli(['log-dirs', '--describe', '--topic-list', 'ld', '--broker-list', '2'], { bootstrap: c.broker(1).bootstrap });
  assertOk(only, 'log-dirs --broker-list 2');
  assert.deepEqual((JSON.parse(only.stdout) as { brokers: { broker: number }[] }).brokers.map((x) => x.broker), [2]);
});
