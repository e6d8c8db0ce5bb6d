/**
 * One group id, one group type (Kafka's GroupMetadataManager): the APIs of one kind of group that
 * find a group of another kind fail instead of creating a second group of the same id.
 * - share group id + JoinGroup: INCONSISTENT_GROUP_PROTOCOL (no member id);
 * - share group id + ConsumerGroupHeartbeat / OffsetCommit / TxnOffsetCommit: GROUP_ID_NOT_FOUND
 *   ("... is not a consumer group."); + Heartbeat / SyncGroup / LeaveGroup: GROUP_ID_NOT_FOUND
 *   ("... is not a classic group.");
 * - classic (even one with only committed offsets) or consumer group id + ShareGroupHeartbeat:
 *   GROUP_ID_NOT_FOUND ("... is not a share group.").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { WireClient } from '../helpers/wire.js';

let broker: RunningBroker;
let wire: WireClient;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: { 'group.coordinator.rebalance.protocols': 'classic,consumer,share', 'offsets.topic.num.partitions': 1, 'share.coordinator.state.topic.num.partitions': 1 },
  });
  wire = await WireClient.connect(broker.port);
  assert.equal(await wire.createTopic('excl', 2), ErrorCode.NONE);
});

after(async () => {
  wire?.close();
  await broker?.stop();
});

interface Coded {
  errorCode: number;
  errorMessage?: string | null;
}

function shareHeartbeat(groupId: string, memberId = ''): Promise<Coded & { memberId: string | null }> {
  return wire.request(76, 0, { groupId, memberId, memberEpoch: 0, rackId: null, subscribedTopicNames: ['excl'] });
}

function consumerHeartbeat(groupId: string): Promise<Coded> {
  return wire.request(68, 1, {
    groupId,
    memberId: 'kip848-member',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 5000,
    subscribedTopicNames: ['excl'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
  });
}

function joinGroup(groupId: string): Promise<Coded & { memberId: string }> {
  return wire.request(11, 9, {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    reason: null,
  });
}

function simpleCommit(groupId: string): Promise<{ topics: { partitions: { errorCode: number }[] }[] }> {
  return wire.request(8, 9, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: 'excl', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
  });
}

async function listed(groupId: string): Promise<string[]> {
  const r = await wire.request<{ groups: { groupId: string; groupType: string }[] }>(16, 5, { statesFilter: [], typesFilter: [] });
  return r.groups.filter((g) => g.groupId === groupId).map((g) => g.groupType);
}

test('a share group id refuses the classic and consumer group APIs (INCONSISTENT_GROUP_PROTOCOL / GROUP_ID_NOT_FOUND)', async () => {
  const share = await shareHeartbeat('ex-share');
  assert.equal(share.errorCode, ErrorCode.NONE);

  const join = await joinGroup('ex-share');
  assert.equal(join.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'JoinGroup to a share group');
  assert.equal(join.memberId, '');

  const hb = await consumerHeartbeat('ex-share');
  assert.equal(hb.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'ConsumerGroupHeartbeat to a share group');
  assert.equal(hb.errorMessage, 'Group ex-share is not a consumer group.');

  const commit = await simpleCommit('ex-share');
  assert.deepEqual(commit.topics[0]?.partitions.map((p) => p.errorCode), [ErrorCode.GROUP_ID_NOT_FOUND], 'a simple offset commit does not create a classic group beside the share group');

  const classicHb = await wire.request<Coded>(12, 4, { groupId: 'ex-share', generationId: 1, memberId: 'x', groupInstanceId: null });
  assert.equal(classicHb.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'Heartbeat to a share group');
  const sync = await wire.request<Coded>(14, 5, { groupId: 'ex-share', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.equal(sync.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'SyncGroup to a share group');
  const leave = await wire.request<Coded>(13, 5, { groupId: 'ex-share', memberId: '', members: [{ memberId: 'x', groupInstanceId: null, reason: null }] });
  assert.equal(leave.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'LeaveGroup to a share group');

  // A transactional offset commit for the share group's id (Kafka: the group is not a consumer group).
  const init = await wire.request<{ errorCode: number; producerId: bigint; producerEpoch: number }>(22, 4, { transactionalId: 'ex-tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, ErrorCode.NONE);
  const { producerId, producerEpoch } = init;
  assert.equal((await wire.request<Coded>(25, 3, { transactionalId: 'ex-tx', producerId, producerEpoch, groupId: 'ex-share' })).errorCode, ErrorCode.NONE);
  const txnCommit = await wire.request<{ topics: { partitions: { errorCode: number }[] }[] }>(28, 3, {
    transactionalId: 'ex-tx', groupId: 'ex-share', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'excl', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  assert.deepEqual(txnCommit.topics[0]?.partitions.map((p) => p.errorCode), [ErrorCode.GROUP_ID_NOT_FOUND], 'TxnOffsetCommit to a share group');
  assert.equal((await wire.request<Coded>(26, 3, { transactionalId: 'ex-tx', producerId, producerEpoch, committed: true })).errorCode, ErrorCode.NONE);

  assert.deepEqual(await listed('ex-share'), ['share'], 'still one group of that id, a share group');
  const still = await wire.request<Coded & { memberEpoch: number }>(76, 0, { groupId: 'ex-share', memberId: share.memberId, memberEpoch: 1, rackId: null, subscribedTopicNames: null });
  assert.equal(still.errorCode, ErrorCode.NONE, 'the share group is untouched');
});

test('a classic group (also one with only committed offsets) or a consumer group id refuses ShareGroupHeartbeat (GROUP_ID_NOT_FOUND)', async () => {
  const commit = await simpleCommit('ex-simple');
  assert.equal(commit.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  const onSimple = await shareHeartbeat('ex-simple');
  assert.equal(onSimple.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.match(onSimple.errorMessage ?? '', /Group ex-simple is not a share group/);

  assert.equal((await consumerHeartbeat('ex-kip848')).errorCode, ErrorCode.NONE);
  const onConsumer = await shareHeartbeat('ex-kip848');
  assert.equal(onConsumer.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.deepEqual(await listed('ex-kip848'), ['consumer']);
});
