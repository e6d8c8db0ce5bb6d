/**
 * What each group API answers while the group's coordinator moves (three in-process brokers on a
 * real etcd, raw requests): Kafka's rule is that a broker not leading the group's
 * __consumer_offsets partition answers NOT_COORDINATOR to JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, TxnOffsetCommit and DescribeGroups, so clients find the
 * coordinator again, and the new coordinator (the new leader, which loaded the group from the
 * log) knows the member: its Heartbeat and OffsetCommit with the old member id and generation
 * succeed without a rejoin, and the offsets committed before the move are there.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { WireClient, API as WIRE_API, waitFor } from '../helpers/wire.js';
import { partitionForGroup } from '../../src/group/java-hash.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });
const API = { ...WIRE_API, OffsetCommit: 8, OffsetFetch: 9, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14 } as const;
const GROUP = 'answers-group';
const TOPIC = 'answers';

test('group APIs answer NOT_COORDINATOR off the coordinator after it moved, and the new coordinator knows the member and its offsets', { timeout: 90_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'offsets.topic.replication.factor': 3 } });
  const clients: WireClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });
  const connect = async (nodeId: number): Promise<WireClient> => {
    const c = await WireClient.connect(cluster.broker(nodeId).port);
    clients.push(c);
    return c;
  };
  try {
    const admin = await connect(1);
    const created = await admin.request(API.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
    const coordinatorOf = async (via: WireClient): Promise<number> => {
      const r = await via.request(10, 4, { keyType: 0, coordinatorKeys: [GROUP] });
      return r.coordinators[0].errorCode === 0 ? (r.coordinators[0].nodeId as number) : -1;
    };
    const first = await waitFor(async () => {
      const n = await coordinatorOf(admin);
      return n > 0 ? n : undefined;
    }, 30_000, 'a group coordinator');
    const offsetsPartition = partitionForGroup(GROUP, 3);
    const image = (nodeId: number) => cluster.broker(nodeId).broker.metadata.image();
    await waitFor(() => (image(1).topic('__consumer_offsets')?.partitions.every((p) => p.isr.length === 3) ? true : undefined), 30_000, 'full ISRs of __consumer_offsets');

    // One member joins, syncs and commits at the first coordinator.
    const co = await connect(first);
    const join = { groupId: GROUP, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 10_000, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null };
    const j1 = await co.request(API.JoinGroup, 9, { ...join, memberId: '' });
    assert.equal(j1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const j2 = await co.request(API.JoinGroup, 9, { ...join, memberId: j1.memberId });
    assert.equal(j2.errorCode, 0);
    const member = { memberId: j2.memberId as string, generationId: j2.generationId as number };
    const s = await co.request(API.SyncGroup, 5, { groupId: GROUP, ...member, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: member.memberId, assignment: Buffer.alloc(0) }] });
    assert.equal(s.errorCode, 0);
    const commit = (c: WireClient, offset: bigint) =>
      c.request(API.OffsetCommit, 9, { groupId: GROUP, generationIdOrMemberEpoch: member.generationId, memberId: member.memberId, groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    assert.equal((await commit(co, 7n)).topics[0].partitions[0].errorCode, 0);

    // The coordinator stops; another broker leads the offsets partition; the old one comes back as a follower.
    await cluster.stopBroker(first);
    const second = await waitFor(() => {
      const other = cluster.brokers.find((b) => b.running !== null);
      const l = other?.running?.broker.metadata.image().topic('__consumer_offsets')?.partitions[offsetsPartition]?.leader;
      return l !== undefined && l > 0 && l !== first ? l : undefined;
    }, 30_000, 'a new leader of the offsets partition');
    await cluster.startBroker(first);
    await waitFor(() => (image(first).topic('__consumer_offsets')?.partitions[offsetsPartition]?.leader === second ? true : undefined), 30_000, 'the restarted broker to know the new leader');

    // The old coordinator (a follower now) answers NOT_COORDINATOR to every group API.
    const old = await connect(first);
    const NC = ErrorCode.NOT_COORDINATOR;
    const answers = {
      JoinGroup: (await old.request(API.JoinGroup, 9, { ...join, memberId: member.memberId })).errorCode,
      SyncGroup: (await old.request(API.SyncGroup, 5, { groupId: GROUP, ...member, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode,
      Heartbeat: (await old.request(API.Heartbeat, 4, { groupId: GROUP, ...member, groupInstanceId: null })).errorCode,
      OffsetCommit: (await commit(old, 8n)).topics[0].partitions[0].errorCode,
      OffsetFetch: (await old.request(API.OffsetFetch, 8, { groups: [{ groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }] }], requireStable: true })).groups[0].errorCode,
      DescribeGroups: (await old.request(15, 5, { groups: [GROUP], includeAuthorizedOperations: false })).groups[0].errorCode,
      LeaveGroup: (await old.request(API.LeaveGroup, 5, { groupId: GROUP, members: [{ memberId: member.memberId, groupInstanceId: null, reason: null }] })).errorCode,
    };
    assert.deepEqual(answers, { JoinGroup: NC, SyncGroup: NC, Heartbeat: NC, OffsetCommit: NC, OffsetFetch: NC, DescribeGroups: NC, LeaveGroup: NC });
    assert.equal(await coordinatorOf(old), second, 'FindCoordinator on the old coordinator names the new one');

    // The new coordinator loaded the member and its offsets: no rejoin needed.
    const nw = await connect(second);
    assert.equal((await nw.request(API.Heartbeat, 4, { groupId: GROUP, ...member, groupInstanceId: null })).errorCode, 0, 'heartbeat of the loaded member');
    const fetched = await nw.request(API.OffsetFetch, 8, { groups: [{ groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }] }], requireStable: true });
    assert.equal(fetched.groups[0].errorCode, 0);
    assert.equal(fetched.groups[0].topics[0].partitions[0].committedOffset, 7n);
    assert.equal((await commit(nw, 9n)).topics[0].partitions[0].errorCode, 0, 'commit with the old member id and generation');
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
