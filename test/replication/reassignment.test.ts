/**
 * Partition reassignment in a four-broker cluster on a real etcd, over the wire
 * (AlterPartitionReassignments key 45, ListPartitionReassignments key 46), with Kafka's semantics:
 * - moving [1,2,3] → [4,2,3]: broker 4 gets an empty log, catches up, joins the ISR; the
 *   controller then completes the move (replicas [4,2,3], leadership off broker 1, which deletes
 *   its log) and every record is read back from the new leader;
 * - a reassignment waiting for a replica that never catches up (a registration with no broker
 *   behind it) is listed with its adding and removing replicas, replaced by a new target,
 *   cancelled with a null target (the original replicas back, in Kafka's revert order; nothing listed), and a second cancel answers
 *   NO_REASSIGNMENT_IN_PROGRESS; unknown brokers, duplicates and an empty list are
 *   INVALID_REPLICA_ASSIGNMENT, an unknown partition UNKNOWN_TOPIC_OR_PARTITION;
 * - dropping a replica whose target is in the ISR completes at once;
 * - UnregisterBroker removes a dead registration at once (a live broker registers again);
 * - replication throttles (leader and follower side) hold a new replica back, lifted they let it finish;
 * - a broker that was down while its replica was moved away deletes the stray log at start;
 * - a move started under one controller is completed by the next one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { holdLease, useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire.js';
import { createTopic, partitionOn, until } from '../helpers/cluster-partitions.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });
const ALTER = 45;
const LIST = 46;

type AlterResult = { name: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[];
type Ongoing = { name: string; partitions: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }[];

async function alter(port: number, topics: { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[]): Promise<AlterResult> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request<{ errorCode: number; responses: AlterResult }>(ALTER, 0, { timeoutMs: 30_000, topics });
    assert.equal(res.errorCode, 0);
    return res.responses;
  } finally {
    c.close();
  }
}

async function list(port: number, topics: { name: string; partitionIndexes: number[] }[] | null = null): Promise<Ongoing> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request<{ errorCode: number; topics: Ongoing }>(LIST, 0, { timeoutMs: 30_000, topics });
    assert.equal(res.errorCode, 0);
    return res.topics;
  } finally {
    c.close();
  }
}

const codeOf = (r: AlterResult, topic: string, partition = 0): number | undefined => r.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)?.errorCode;

function onAll(cluster: TestCluster, topic: string, check: (p: NonNullable<ReturnType<typeof partitionOn>>) => boolean): boolean {
  return cluster.brokers.every((b) => {
    const p = partitionOn(cluster, b.nodeId, topic);
    return p !== undefined && check(p);
  });
}

test('moving a partition to a new broker: it catches up, joins the ISR, takes leadership; the old replica deletes its log; nothing is lost', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 4, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  try {
    await createTopic(cluster.broker(1).port, 'mv', [1, 2, 3], { 'min.insync.replicas': '2' });
    await until('a full ISR of mv-0 led by 1', () => onAll(cluster, 'mv', (p) => p.isr.length === 3 && p.leader === 1));
    assert.equal(cluster.broker(4).broker.replicas.partition('mv', 0), undefined, 'broker 4 hosts nothing before the reassignment');
    const c1 = await WireClient.connect(cluster.broker(1).port);
    t.after(() => c1.close());
    const values: string[] = [];
    for (let i = 0; i < 20; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => `v-${i * 10 + j}`);
      values.push(...batch);
      const r = await c1.produce('mv', 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: batch.map((value) => ({ value, timestamp: 1_000n })) }), -1);
      assert.equal(r.errorCode, 0);
    }
    const oldDir = cluster.broker(1).broker.replicas.partition('mv', 0)?.log.dir as string;
    assert.ok(existsSync(oldDir));

    const r = await alter(cluster.broker(2).port, [{ name: 'mv', partitions: [{ partitionIndex: 0, replicas: [4, 2, 3] }] }]);
    assert.equal(codeOf(r, 'mv'), ErrorCode.NONE);
    const done = await until('the reassignment of mv-0 completed on every broker', () =>
      onAll(cluster, 'mv', (p) => p.replicas.join() === '4,2,3' && (p.addingReplicas?.length ?? 0) === 0 && (p.removingReplicas?.length ?? 0) === 0) ? partitionOn(cluster, 2, 'mv') : undefined,
    );
    assert.equal(done?.leader, 4, 'leadership moves to the first target replica (the old leader is not in the target)');
    assert.deepEqual([...(done?.isr ?? [])].sort(), [2, 3, 4]);
    assert.deepEqual(await list(cluster.broker(3).port), [], 'nothing in progress any more');
    await until('broker 1 no longer hosts mv-0 and its log directory is gone', () => cluster.broker(1).broker.replicas.partition('mv', 0) === undefined && !existsSync(oldDir));

    const c4 = await WireClient.connect(cluster.broker(4).port);
    t.after(() => c4.close());
    await until('broker 4 leads mv-0', () => cluster.broker(4).broker.replicas.partition('mv', 0)?.isLeader === true);
    const read = await c4.fetchAll('mv', 0);
    const got = read.batches.flatMap((b) => b.records.map((x) => x.value?.toString()));
    assert.deepEqual(got, values, 'every acknowledged record, in order, from the new leader');
    const more = await c4.produce('mv', 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: 'after', timestamp: 1_000n }] }), -1);
    assert.equal(more.errorCode, 0);
    assert.equal(more.baseOffset, 200n);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('a reassignment in progress is listed, replaced and cancelled; invalid targets are refused; a pure removal completes at once', async (t) => {
  const prefix = fx.prefix();
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix, size: 4, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  // A registration with no broker behind it: a live-looking target that never catches up.
  const ghost = await holdLease(fx.etcd.endpoints, prefix, 'register', 9, 30_000);
  t.after(() => ghost.kill());
  try {
    const port = cluster.broker(1).port;
    await createTopic(port, 'rb', [1, 2, 3]);
    await createTopic(port, 'shrink', [1, 2, 3]);
    await until('full ISRs', () => onAll(cluster, 'rb', (p) => p.isr.length === 3) && onAll(cluster, 'shrink', (p) => p.isr.length === 3));
    await until('broker 9 registered', () => cluster.brokers.every((b) => b.running?.broker.metadata.image().broker(9) !== undefined));

    let r = await alter(port, [
      { name: 'rb', partitions: [{ partitionIndex: 0, replicas: [1, 2, 9] }, { partitionIndex: 3, replicas: [1] }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, replicas: [1] }] },
      { name: 'shrink', partitions: [{ partitionIndex: 0, replicas: [1, 42] }] },
    ]);
    assert.equal(codeOf(r, 'rb'), ErrorCode.NONE);
    assert.equal(codeOf(r, 'rb', 3), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(codeOf(r, 'nope'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(codeOf(r, 'shrink'), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'broker 42 is not registered');
    r = await alter(port, [{ name: 'shrink', partitions: [{ partitionIndex: 0, replicas: [1, 1] }] }]);
    assert.equal(codeOf(r, 'shrink'), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'a broker twice');
    r = await alter(port, [{ name: 'shrink', partitions: [{ partitionIndex: 0, replicas: [] }] }]);
    assert.equal(codeOf(r, 'shrink'), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'an empty list');

    await until('every broker sees the reassignment of rb-0', () => onAll(cluster, 'rb', (p) => (p.addingReplicas ?? []).join() === '9'));
    let ongoing = await list(cluster.broker(4).port);
    assert.deepEqual(ongoing, [{ name: 'rb', partitions: [{ partitionIndex: 0, replicas: [1, 2, 9, 3], addingReplicas: [9], removingReplicas: [3] }] }]);
    assert.deepEqual(await list(cluster.broker(4).port, [{ name: 'shrink', partitionIndexes: [0] }, { name: 'nope', partitionIndexes: [0] }]), []);
    const during = partitionOn(cluster, 4, 'rb');
    assert.equal(during?.leader, 1, 'the leader stays while the new replica catches up');
    assert.deepEqual(during?.isr, [1, 2, 3]);

    // A new target replaces the one in progress (computed from the original replicas).
    r = await alter(port, [{ name: 'rb', partitions: [{ partitionIndex: 0, replicas: [9, 2, 3] }] }]);
    assert.equal(codeOf(r, 'rb'), ErrorCode.NONE);
    ongoing = await until('the new target listed', async () => {
      const l = await list(cluster.broker(2).port, [{ name: 'rb', partitionIndexes: [0, 5] }]);
      return l[0]?.partitions[0]?.removingReplicas.join() === '1' ? l : undefined;
    });
    assert.deepEqual(ongoing[0]?.partitions[0], { partitionIndex: 0, replicas: [9, 2, 3, 1], addingReplicas: [9], removingReplicas: [1] });

    r = await alter(cluster.broker(3).port, [{ name: 'rb', partitions: [{ partitionIndex: 0, replicas: null }] }]);
    assert.equal(codeOf(r, 'rb'), ErrorCode.NONE);
    // Kafka's revert: the replicas minus the adding ones, in the order of the reassignment's list.
    await until('rb-0 back on its original replicas everywhere', () => onAll(cluster, 'rb', (p) => p.replicas.join() === '2,3,1' && (p.addingReplicas?.length ?? 0) === 0 && (p.removingReplicas?.length ?? 0) === 0));
    assert.equal(partitionOn(cluster, 1, 'rb')?.leader, 1, 'the leader never moved');
    assert.deepEqual(await list(port), []);
    r = await alter(port, [{ name: 'rb', partitions: [{ partitionIndex: 0, replicas: null }] }]);
    assert.equal(codeOf(r, 'rb'), ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    const epoch = partitionOn(cluster, 1, 'rb')?.partitionEpoch;
    r = await alter(port, [{ name: 'rb', partitions: [{ partitionIndex: 0, replicas: [2, 3, 1] }] }]);
    assert.equal(codeOf(r, 'rb'), ErrorCode.NONE, 'the current assignment: nothing to do');
    assert.equal(partitionOn(cluster, 1, 'rb')?.partitionEpoch, epoch, 'nothing written');

    // Dropping replica 3 (RF 3 → 2): the target is in the ISR, so it completes in the same write.
    r = await alter(port, [{ name: 'shrink', partitions: [{ partitionIndex: 0, replicas: [2, 1] }] }]);
    assert.equal(codeOf(r, 'shrink'), ErrorCode.NONE);
    const shrunk = partitionOn(cluster, 1, 'shrink');
    assert.deepEqual(shrunk?.replicas, [2, 1], 'already complete in the image the answering broker has');
    assert.deepEqual(shrunk?.isr, [1, 2]);
    assert.equal(shrunk?.leader, 1, 'the leader is in the target: it stays');
    await until('broker 3 dropped shrink-0', () => cluster.broker(3).broker.replicas.partition('shrink', 0) === undefined);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('UnregisterBroker removes a dead broker\'s registration at once; a live broker registers again; an unknown id is BROKER_ID_NOT_REGISTERED', async (t) => {
  const prefix = fx.prefix();
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix, size: 3, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  // A registration whose holder dies: without UnregisterBroker it would stay for its 60 s lease.
  const ghost = await holdLease(fx.etcd.endpoints, prefix, 'register', 9, 60_000);
  t.after(() => ghost.kill());
  const unregister = async (port: number, brokerId: number): Promise<{ errorCode: number; errorMessage: string | null }> => {
    const c = await WireClient.connect(port);
    try {
      return await c.request(64, 0, { brokerId });
    } finally {
      c.close();
    }
  };
  try {
    await until('broker 9 registered', () => cluster.brokers.every((b) => b.running?.broker.metadata.image().broker(9) !== undefined));
    await ghost.kill();
    const started = Date.now();
    let r = await unregister(cluster.broker(2).port, 9);
    assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
    await until('broker 9 gone from every image', () => cluster.brokers.every((b) => b.running?.broker.metadata.image().broker(9) === undefined), 10_000);
    assert.ok(Date.now() - started < 30_000, 'gone well before its lease would have expired');
    r = await unregister(cluster.broker(2).port, 9);
    assert.equal(r.errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
    r = await unregister(cluster.broker(1).port, 3);
    assert.equal(r.errorCode, ErrorCode.NONE);
    await until('live broker 3 to notice and register again', () => cluster.brokers[2]?.lines.some((l) => l.includes('node 3 registered again')), 20_000);
    await until('broker 3 registered in every image', () => cluster.brokers.every((b) => b.running?.broker.metadata.image().broker(3) !== undefined), 20_000);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('replication throttles: a throttled new replica out of the ISR stops catching up while its follower (or the leader\'s) rate is over the bound, and finishes once the throttle is lifted', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'auto.leader.rebalance.enable': false, 'replica.fetch.max.bytes': 65536 } });
  t.after(() => cluster.stop());
  // A broker's own configs are altered on that broker (Kafka's rule); topic configs on any.
  const alterConfigs = async (resources: { resourceType: number; resourceName: string; configs: { name: string; configOperation: number; value: string | null }[] }[]): Promise<void> => {
    const via = resources[0]?.resourceType === BROKER ? Number(resources[0].resourceName) : 1;
    const c = await WireClient.connect(cluster.broker(via).port);
    try {
      const res = await c.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 1, { resources, validateOnly: false });
      for (const r of res.responses) assert.equal(r.errorCode, 0, r.errorMessage ?? '');
    } finally {
      c.close();
    }
  };
  const BROKER = 4;
  const TOPIC = 2;
  const SET = 0;
  const DELETE = 1;
  try {
    const port = cluster.broker(1).port;
    const c1 = await WireClient.connect(port);
    t.after(() => c1.close());
    const value = 'x'.repeat(10_000);
    for (const topic of ['slow-f', 'slow-l']) {
      await createTopic(port, topic, [1, 2]);
      await until(`${topic}: ISR [1,2]`, () => partitionOn(cluster, 1, topic)?.isr.length === 2);
      for (let i = 0; i < 40; i++) {
        const r = await c1.produce(topic, 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: Array.from({ length: 5 }, () => ({ value, timestamp: 1_000n })) }), -1);
        assert.equal(r.errorCode, 0);
      }
    }
    const leo = (topic: string): number => cluster.broker(1).broker.replicas.partition(topic, 0)?.logEndOffset ?? -1;
    const leoOn3 = (topic: string): number => cluster.broker(3).broker.replicas.partition(topic, 0)?.logEndOffset ?? -1;
    // Follower side on broker 3 for slow-f; leader side on broker 1 for slow-l (1 byte/s: held back after the first fetch).
    await alterConfigs([{ resourceType: BROKER, resourceName: '3', configs: [{ name: 'follower.replication.throttled.rate', configOperation: SET, value: '1' }] }]);
    await alterConfigs([{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'leader.replication.throttled.rate', configOperation: SET, value: '1' }] }]);
    await alterConfigs([
      { resourceType: TOPIC, resourceName: 'slow-f', configs: [{ name: 'follower.replication.throttled.replicas', configOperation: SET, value: '0:3' }] },
      { resourceType: TOPIC, resourceName: 'slow-l', configs: [{ name: 'leader.replication.throttled.replicas', configOperation: SET, value: '0:1,0:2' }] },
    ]);
    const r = await alter(port, [
      { name: 'slow-f', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] },
      { name: 'slow-l', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] },
    ]);
    assert.equal(codeOf(r, 'slow-f'), ErrorCode.NONE);
    assert.equal(codeOf(r, 'slow-l'), ErrorCode.NONE);
    await until('broker 3 fetched a first chunk of both', () => leoOn3('slow-f') > 0 && leoOn3('slow-l') > 0);
    const stuck = { f: leoOn3('slow-f'), l: leoOn3('slow-l') };
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      assert.ok(leoOn3('slow-f') < leo('slow-f') && leoOn3('slow-l') < leo('slow-l'), 'a throttled replica caught up');
      await new Promise((res) => setTimeout(res, 100));
    }
    console.log(`# throttled at 1 B/s: broker 3 holds ${leoOn3('slow-f')}/${leo('slow-f')} (follower throttle) and ${leoOn3('slow-l')}/${leo('slow-l')} (leader throttle) records after 1.5 s (first chunks ${stuck.f}, ${stuck.l})`);
    assert.equal((await list(port)).length, 2, 'both reassignments still in progress');

    await alterConfigs([{ resourceType: TOPIC, resourceName: 'slow-f', configs: [{ name: 'follower.replication.throttled.replicas', configOperation: DELETE, value: null }] }]);
    await alterConfigs([{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'leader.replication.throttled.rate', configOperation: DELETE, value: null }] }]);
    await until('both reassignments completed once the throttles are lifted', () => ['slow-f', 'slow-l'].every((tp) => partitionOn(cluster, 1, tp)?.replicas.join() === '1,2,3' && (partitionOn(cluster, 1, tp)?.addingReplicas?.length ?? 0) === 0), 30_000);
    assert.equal(leoOn3('slow-f'), leo('slow-f'));
    assert.equal(leoOn3('slow-l'), leo('slow-l'));
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('replicas moved off a broker while it was down: its stray log is deleted when it starts again', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  try {
    const port = cluster.broker(1).port;
    await createTopic(port, 'away', [1, 2, 3]);
    await until('a full ISR', () => partitionOn(cluster, 1, 'away')?.isr.length === 3);
    const dir = cluster.broker(3).broker.replicas.partition('away', 0)?.log.dir as string;
    await cluster.stopBroker(3);
    await until('broker 3 out of the ISR', () => partitionOn(cluster, 1, 'away')?.isr.length === 2);
    const r = await alter(port, [{ name: 'away', partitions: [{ partitionIndex: 0, replicas: [1, 2] }] }]);
    assert.equal(codeOf(r, 'away'), ErrorCode.NONE);
    assert.deepEqual(partitionOn(cluster, 1, 'away')?.replicas, [1, 2], 'complete at once: the target is the ISR');
    assert.ok(existsSync(dir), 'the log is still on the stopped broker');
    await cluster.startBroker(3);
    await until('broker 3 deleted its stray log', () => !existsSync(dir));
    assert.equal(cluster.broker(3).broker.replicas.partition('away', 0), undefined);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('a reassignment started under one controller is completed by the next one', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 4, config: { 'auto.leader.rebalance.enable': false, 'replica.fetch.max.bytes': 65536 } });
  t.after(() => cluster.stop());
  const alterTopicConfig = async (value: string | null): Promise<void> => {
    const c = await WireClient.connect(cluster.broker(2).port);
    try {
      const res = await c.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 1, {
        resources: [{ resourceType: 2, resourceName: 'ctl', configs: [{ name: 'follower.replication.throttled.replicas', configOperation: value === null ? 1 : 0, value }] }],
        validateOnly: false,
      });
      assert.equal(res.responses[0]?.errorCode, 0, res.responses[0]?.errorMessage ?? '');
    } finally {
      c.close();
    }
  };
  try {
    const controller = await until('a controller', () => {
      const id = cluster.broker(2).broker.cluster?.controllerId ?? -1;
      return id > 0 ? id : undefined;
    });
    const others = [1, 2, 3, 4].filter((n) => n !== controller);
    const [a, b, joining] = others as [number, number, number];
    const port = cluster.broker(a).port;
    await createTopic(port, 'ctl', [a, b]);
    await until('ISR of ctl-0', () => partitionOn(cluster, a, 'ctl')?.isr.length === 2);
    const c = await WireClient.connect(port);
    t.after(() => c.close());
    for (let i = 0; i < 20; i++) assert.equal((await c.produce('ctl', 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: 'y'.repeat(20_000), timestamp: 1_000n }] }), -1)).errorCode, 0);
    // Hold the joining replica back (1 byte/s on its side) so that the move cannot finish under this controller.
    const admin = await WireClient.connect(cluster.broker(joining).port);
    try {
      const res = await admin.request(44, 1, { resources: [{ resourceType: 4, resourceName: String(joining), configs: [{ name: 'follower.replication.throttled.rate', configOperation: 0, value: '1' }] }], validateOnly: false });
      assert.equal(res.responses[0].errorCode, 0, res.responses[0].errorMessage);
    } finally {
      admin.close();
    }
    await alterTopicConfig(`0:${joining}`);
    const r = await alter(port, [{ name: 'ctl', partitions: [{ partitionIndex: 0, replicas: [a, b, joining] }] }]);
    assert.equal(codeOf(r, 'ctl'), ErrorCode.NONE);
    await until('the joining replica got a first chunk', () => (cluster.broker(joining).broker.replicas.partition('ctl', 0)?.logEndOffset ?? 0) > 0);
    assert.equal((await list(port)).length, 1, 'still in progress');
    await cluster.stopBroker(controller);
    await until('another controller', () => {
      const id = cluster.broker(a).broker.cluster?.controllerId ?? -1;
      return id > 0 && id !== controller ? id : undefined;
    });
    await alterTopicConfig(null);
    await until('the new controller completed the move', () => partitionOn(cluster, a, 'ctl')?.replicas.join() === [a, b, joining].join() && (partitionOn(cluster, a, 'ctl')?.addingReplicas?.length ?? 0) === 0, 30_000);
    assert.deepEqual(await list(port), []);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
