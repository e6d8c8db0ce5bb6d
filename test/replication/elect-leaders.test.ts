/**
 * Leader elections in a three-broker cluster on a real etcd, over the wire:
 * - ElectLeaders PREFERRED (key 43): ELECTION_NOT_NEEDED while the first replica leads,
 *   PREFERRED_LEADER_NOT_AVAILABLE while it is down, and once it is back in the ISR the
 *   election moves leadership to it (the answering broker's metadata already shows it);
 *   UNKNOWN_TOPIC_OR_PARTITION for what does not exist.
 * - unclean.leader.election.enable: an RF 2 topic whose ISR is only a dead broker stays offline
 *   when its other replica returns with the setting false, and elects that out-of-sync replica
 *   (losing what it missed) with it true; ElectLeaders UNCLEAN elects it on request, and answers
 *   ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is alive.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire.js';
import { createTopic, partitionOn, until } from '../helpers/cluster-partitions.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });
const ELECT_LEADERS = 43;
const PREFERRED = 0;
const UNCLEAN = 1;

type ElectResult = { topic: string; partitionResult: { partitionId: number; errorCode: number; errorMessage: string | null }[] }[];

async function electLeaders(port: number, type: number, topicPartitions: { topic: string; partitions: number[] }[] | null): Promise<ElectResult> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request<{ errorCode: number; replicaElectionResults: ElectResult }>(ELECT_LEADERS, 2, { electionType: type, topicPartitions, timeoutMs: 10_000 });
    assert.equal(res.errorCode, 0);
    return res.replicaElectionResults;
  } finally {
    c.close();
  }
}

const codeOf = (r: ElectResult, topic: string, partition = 0): number | undefined => r.find((t) => t.topic === topic)?.partitionResult.find((p) => p.partitionId === partition)?.errorCode;

async function settled(cluster: TestCluster): Promise<void> {
  for (const b of cluster.brokers) await b.running?.broker.cluster?.controller?.settled();
}

test('ElectLeaders PREFERRED moves leadership back to the first replica once it is alive and in the ISR', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  try {
    await createTopic(cluster.broker(1).port, 'pe', [1, 2, 3]);
    await until('a full ISR of pe-0 led by broker 1', () => [1, 2, 3].every((n) => partitionOn(cluster, n, 'pe')?.isr.length === 3 && partitionOn(cluster, n, 'pe')?.leader === 1));
    let r = await electLeaders(cluster.broker(2).port, PREFERRED, [{ topic: 'pe', partitions: [0, 7] }, { topic: 'nope', partitions: [0] }]);
    assert.equal(codeOf(r, 'pe'), ErrorCode.ELECTION_NOT_NEEDED);
    assert.equal(codeOf(r, 'pe', 7), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(codeOf(r, 'nope'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    await cluster.stopBroker(1);
    const moved = await until('a new leader of pe-0', () => {
      const p = partitionOn(cluster, 3, 'pe');
      return p !== undefined && p.leader > 1 ? p : undefined;
    });
    r = await electLeaders(cluster.broker(3).port, PREFERRED, [{ topic: 'pe', partitions: [0] }]);
    assert.equal(codeOf(r, 'pe'), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);

    await cluster.startBroker(1);
    await until('broker 1 back in the ISR of pe-0', () => partitionOn(cluster, 3, 'pe')?.isr.includes(1));
    assert.equal(partitionOn(cluster, 3, 'pe')?.leader, moved.leader, 'no automatic rebalance (disabled)');
    r = await electLeaders(cluster.broker(3).port, PREFERRED, null);
    assert.equal(codeOf(r, 'pe'), ErrorCode.NONE);
    const now = partitionOn(cluster, 3, 'pe');
    assert.equal(now?.leader, 1, 'the answering broker already shows the preferred leader');
    assert.ok((now?.leaderEpoch ?? 0) > moved.leaderEpoch);
    r = await electLeaders(cluster.broker(3).port, PREFERRED, null);
    assert.deepEqual(r.find((x) => x.topic === 'pe')?.partitionResult, [], 'a null list leaves out partitions needing no election');
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('unclean.leader.election.enable: an RF 2 partition whose ISR is only a dead broker stays offline (false) or elects the out-of-sync replica (true); ElectLeaders UNCLEAN', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  try {
    const port = cluster.broker(3).port;
    await createTopic(port, 'clean', [1, 2], { 'unclean.leader.election.enable': 'false' });
    await createTopic(port, 'dirty', [1, 2], { 'unclean.leader.election.enable': 'true' });
    await createTopic(port, 'solo', [1]);
    await until('ISR [1,2] led by 1', () => ['clean', 'dirty'].every((tp) => partitionOn(cluster, 3, tp)?.isr.length === 2 && partitionOn(cluster, 3, tp)?.leader === 1));

    await cluster.stopBroker(2);
    await until('ISR [1] only', () => ['clean', 'dirty'].every((tp) => partitionOn(cluster, 3, tp)?.isr.join() === '1'));
    // Written while broker 2 is down: only broker 1 has it.
    const c1 = await WireClient.connect(cluster.broker(1).port);
    t.after(() => c1.close());
    const produced = await c1.produce('dirty', 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: 'only-on-1', timestamp: 1_000n }] }), -1);
    assert.equal(produced.errorCode, 0);

    await cluster.stopBroker(1);
    await until('both partitions offline', () => ['clean', 'dirty', 'solo'].every((tp) => partitionOn(cluster, 3, tp)?.leader === -1));
    assert.deepEqual(partitionOn(cluster, 3, 'clean')?.isr, [1], 'the ISR keeps its last member');

    await cluster.startBroker(2);
    const dirty = await until('dirty-0 led by the out-of-sync replica 2', () => {
      const p = partitionOn(cluster, 3, 'dirty');
      return p?.leader === 2 ? p : undefined;
    });
    assert.deepEqual(dirty.isr, [2]);
    await settled(cluster);
    const clean = partitionOn(cluster, 3, 'clean');
    assert.equal(clean?.leader, -1, 'unclean election disabled: clean-0 stays offline');
    assert.deepEqual(clean?.isr, [1]);
    await until('broker 2 to serve dirty-0 without the record it missed', () => cluster.broker(2).broker.replicas.partition('dirty', 0)?.logEndOffset === 0);

    const r = await electLeaders(port, UNCLEAN, [{ topic: 'clean', partitions: [0] }, { topic: 'dirty', partitions: [0] }, { topic: 'solo', partitions: [0] }]);
    assert.equal(codeOf(r, 'clean'), ErrorCode.NONE);
    assert.equal(codeOf(r, 'dirty'), ErrorCode.ELECTION_NOT_NEEDED);
    assert.equal(codeOf(r, 'solo'), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    assert.equal(partitionOn(cluster, 3, 'clean')?.leader, 2);
    assert.deepEqual(partitionOn(cluster, 3, 'clean')?.isr, [2]);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
