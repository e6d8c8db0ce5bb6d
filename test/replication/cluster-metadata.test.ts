/**
 * The cluster as clients and operators see it (three in-process brokers on a real etcd): kafkajs'
 * describeCluster and kcat's metadata list (-L -J) name the three brokers and the one elected
 * controller whichever broker answers; an RF 3 topic shows its leader, replicas and ISR; a stopped
 * broker's replicas are offline replicas and it leaves the ISR; `samsa cluster --json` lists the
 * under-replicated partitions while it is down and none once it is back and caught up; a
 * partition whose only replica is down answers LEADER_NOT_AVAILABLE with leader -1 and is listed
 * as offline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/cluster-process.js';
import { kcat } from '../helpers/compat.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const fx = useEtcd({ before, after });
let cluster: TestCluster;

async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: [bootstrap], clientId: 'cluster-metadata-test', logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The controller every running broker agrees on (ClusterNode.controllerId), once elected. */
function electedController(): Promise<number> {
  return until('every broker to know the same elected controller', () => {
    const ids = cluster.brokers.filter((b) => b.running !== null).map((b) => b.running?.broker.cluster?.controllerId ?? -1);
    const first = ids[0] ?? -1;
    if (first >= 0 && ids.every((id) => id === first)) return first;
    throw new Error(`controller ids per broker: ${ids.join(', ')}`);
  }, 20_000);
}

interface ClusterJson {
  controllerId: number;
  brokers: { id: number; host: string | null; port: number | null; rack: string | null; alive: boolean; controller: boolean }[];
  underReplicatedPartitions: { topic: string; partition: number; leader: number; replicas: number[]; isr: number[]; offlineReplicas: number[] }[];
  offlinePartitions: { topic: string; partition: number; leader: number; replicas: number[]; isr: number[]; offlineReplicas: number[] }[];
}

async function samsaCluster(bootstrap: string): Promise<ClusterJson> {
  const r = await samsaCli(['cluster', '--json'], { bootstrap });
  assertOk(r, 'samsa cluster --json');
  return JSON.parse(r.stdout) as ClusterJson;
}

/** The cluster with its topics, started by the first test (after etcd's before() hook). */
let ready: Promise<void> | undefined;
const setUp = (): Promise<void> => (ready ??= startAll());

async function startAll(): Promise<void> {
  cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'broker.rack': 'rack-a' } });
  fx.closeLater(() => cluster.stop());
  await withAdmin(cluster.broker(1).bootstrap, async (admin) => {
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        { topic: 'r3', numPartitions: 3, replicationFactor: 3 },
        { topic: 'solo', replicaAssignment: [{ partition: 0, replicas: [3] }] },
      ],
    });
  });
  await until('r3 to have a full ISR on every broker', () =>
    cluster.brokers.every((b) => {
      const t = b.running?.broker.metadata.image().topic('r3');
      return t !== undefined && t.partitions.every((p) => p.isr.length === 3 && p.leader > 0);
    }),
    20_000,
  );
}

test('kafkajs describeCluster: three brokers and the elected controller, whichever broker answers', async () => {
  await setUp();
  const controller = await electedController();
  for (const b of cluster.brokers) {
    const d = await withAdmin((b.running as NonNullable<typeof b.running>).bootstrap, (admin) => admin.describeCluster());
    assert.deepEqual(d.brokers.map((x) => x.nodeId).sort(), [1, 2, 3], `brokers seen through broker ${b.nodeId}`);
    assert.equal(d.controller, controller, `controller seen through broker ${b.nodeId}`);
    assert.equal(d.clusterId, cluster.broker(1).broker.metadata.image().clusterId);
  }
});

test('kcat -L -J: leader, replicas and ISR of an RF 3 topic, and the controller, from every broker', async () => {
  await setUp();
  const controller = await electedController();
  for (const b of cluster.brokers) {
    const r = await kcat(['-L', '-J', '-b', (b.running as NonNullable<typeof b.running>).bootstrap, '-t', 'r3'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const md = JSON.parse(r.stdout.toString('utf8')) as {
      controllerid: number;
      brokers: { id: number; name: string }[];
      topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
    };
    assert.equal(md.controllerid, controller, `controller seen through broker ${b.nodeId}`);
    assert.deepEqual(md.brokers.map((x) => x.id).sort(), [1, 2, 3]);
    const image = b.running?.broker.metadata.image().topic('r3');
    const parts = md.topics.find((t) => t.topic === 'r3')?.partitions ?? [];
    assert.equal(parts.length, 3);
    for (const p of parts) {
      const ip = image?.partitions[p.partition];
      assert.equal(p.leader, ip?.leader);
      assert.deepEqual(p.replicas.map((x) => x.id).sort(), [1, 2, 3]);
      assert.deepEqual(p.isrs.map((x) => x.id).sort(), [1, 2, 3]);
    }
  }
});

test("a stopped broker's replicas are offline and it leaves the ISR; samsa cluster lists under-replicated partitions until it is back and caught up", async () => {
  await setUp();
  const b1 = cluster.broker(1).bootstrap;
  await cluster.stopBroker(2);
  try {
    const meta = await until('broker 2 to be an offline replica outside the ISR of every r3 partition', async () => {
      const m = await withAdmin(b1, (admin) => admin.fetchTopicMetadata({ topics: ['r3'] }));
      const parts = m.topics[0]?.partitions ?? [];
      return parts.length === 3 && parts.every((p) => p.offlineReplicas?.join() === '2' && !p.isr.includes(2) && p.leader !== 2) ? parts : undefined;
    }, 20_000);
    for (const p of meta) assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
    // Written while broker 2 is down: it has to catch up before it is back in the ISR.
    const producer = new Kafka({ brokers: [b1], clientId: 'cluster-metadata-producer', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'r3', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `while-down-${i}` })) });
    await producer.disconnect();
    const down = await samsaCluster(b1);
    assert.deepEqual(down.underReplicatedPartitions.filter((p) => p.topic === 'r3').map((p) => [p.partition, p.offlineReplicas]), [[0, [2]], [1, [2]], [2, [2]]]);
    for (const p of down.underReplicatedPartitions) assert.ok(!p.isr.includes(2) && p.replicas.includes(2), JSON.stringify(p));
    assert.deepEqual(down.brokers.map((b) => [b.id, b.alive]), [[1, true], [2, false], [3, true]]);
    assert.equal(down.brokers.find((b) => b.id === 1)?.rack, 'rack-a');
    assert.deepEqual(down.offlinePartitions, []);
  } finally {
    await cluster.startBroker(2);
  }
  const t0 = performance.now();
  const back = await until('no under-replicated partitions once broker 2 is back', async () => {
    const j = await samsaCluster(b1);
    return j.underReplicatedPartitions.length === 0 ? j : undefined;
  }, 30_000);
  console.log(`# broker 2 back in every ISR ${(performance.now() - t0).toFixed(0)} ms after its restart returned`);
  assert.deepEqual(back.brokers.map((b) => [b.id, b.alive]), [[1, true], [2, true], [3, true]]);
  assert.equal(back.brokers.filter((b) => b.controller).length, 1);
  assert.equal(cluster.broker(2).broker.replicas.partition('r3', 0)?.logEndOffset, cluster.broker(1).broker.replicas.partition('r3', 0)?.logEndOffset);
});

test('a partition whose only replica is down answers LEADER_NOT_AVAILABLE with leader -1 and is offline', async () => {
  await setUp();
  const b1 = cluster.broker(1).bootstrap;
  await cluster.stopBroker(3);
  try {
    const r = await until('solo-0 to have no live leader (kcat)', async () => {
      const out = await kcat(['-L', '-J', '-b', b1, '-t', 'solo'], { timeoutMs: 20_000 });
      const md = JSON.parse(out.stdout.toString('utf8')) as { topics: { topic: string; error?: string; partitions: { partition: number; leader: number; error?: string }[] }[] };
      const p = md.topics.find((t) => t.topic === 'solo')?.partitions[0];
      return p !== undefined && p.leader === -1 ? { topic: md.topics.find((t) => t.topic === 'solo'), p } : undefined;
    }, 20_000);
    assert.match(r.p.error ?? '', /leader not available|LEADER_NOT_AVAILABLE/i, JSON.stringify(r));
    assert.equal(r.topic?.error, undefined, 'the topic itself has no error');
    const j = await samsaCluster(b1);
    assert.deepEqual(j.offlinePartitions.map((p) => [p.topic, p.partition, p.leader, p.offlineReplicas]), [['solo', 0, -1, [3]]]);
  } finally {
    await cluster.startBroker(3);
  }
  await until('solo-0 to be led by broker 3 again', async () => {
    const j = await samsaCluster(b1);
    return j.offlinePartitions.length === 0 ? true : undefined;
  }, 20_000);
});
