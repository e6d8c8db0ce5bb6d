/**
 * KIP-848 online upgrade on the wire, against a real in-process broker: a live classic group
 * (JoinGroup/SyncGroup) becomes a consumer group when a ConsumerGroupHeartbeat member joins, and
 * its classic member keeps using the classic APIs against it (Kafka's
 * classicGroup{Join,Sync,Heartbeat,Leave}ToConsumerGroup); `group.consumer.migration.policy`
 * DISABLED keeps answering GROUP_ID_NOT_FOUND.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import { WireClient } from '../helpers/wire.js';

const TOPIC = 'mig';
let broker: RunningBroker;
let wire: WireClient;
let topicId = '';

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.consumer.heartbeat.interval.ms': 200, 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 2 } });
  wire = await WireClient.connect(broker.port);
  await wire.createTopic(TOPIC, 6);
  const md = await wire.metadata([TOPIC]);
  topicId = md.topics[0].topicId;
});

after(async () => {
  wire?.close();
  await broker?.stop();
});

interface JoinAnswer {
  errorCode: number;
  generationId: number;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; metadata: Buffer }[];
}

interface HbAnswer {
  errorCode: number;
  memberId: string | null;
  memberEpoch: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

function classicJoin(w: WireClient, group: string, memberId: string, owned: number[] = []): Promise<JoinAnswer> {
  const metadata = encodeSubscription({ topics: [TOPIC], userData: null, ownedPartitions: owned.length > 0 ? [{ topic: TOPIC, partitions: owned }] : [] }, 1);
  return w.request<JoinAnswer>(11, 5, { groupId: group, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
}

function classicSync(w: WireClient, group: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = []): Promise<{ errorCode: number; assignment: Buffer }> {
  return w.request(14, 3, { groupId: group, generationId, memberId, groupInstanceId: null, assignments });
}

function classicHeartbeat(w: WireClient, group: string, memberId: string, generationId: number): Promise<{ errorCode: number }> {
  return w.request(12, 3, { groupId: group, generationId, memberId, groupInstanceId: null });
}

function cgh(w: WireClient, group: string, body: Record<string, unknown>): Promise<HbAnswer> {
  return w.request<HbAnswer>(68, 1, { groupId: group, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body });
}

function partitionsOf(buf: Buffer): number[] {
  return (decodeAssignment(Buffer.from(buf)) ?? []).flatMap((t) => t.partitions).sort((a, b) => a - b);
}

async function groupType(w: WireClient, group: string): Promise<string | undefined> {
  const r = await w.request<{ groups: { groupId: string; groupType: string }[] }>(16, 5, { statesFilter: [], typesFilter: [] });
  return r.groups.find((g) => g.groupId === group)?.groupType;
}

/** A classic group of one member owning all 6 partitions at generation 1. */
async function classicGroup(w: WireClient, group: string): Promise<string> {
  const j = await classicJoin(w, group, '');
  assert.equal(j.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await classicJoin(w, group, j.memberId);
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.generationId, 1);
  assert.equal(joined.leader, j.memberId);
  const all = encodeAssignment({ assignedPartitions: [{ topic: TOPIC, partitions: [0, 1, 2, 3, 4, 5] }], userData: null });
  const s = await classicSync(w, group, j.memberId, 1, [{ memberId: j.memberId, assignment: all }]);
  assert.equal(s.errorCode, ErrorCode.NONE);
  assert.equal(await groupType(w, group), 'classic');
  return j.memberId;
}

test('online upgrade: a consumer-protocol member converts a live classic group; the classic member rejoins, syncs, heartbeats, commits and leaves', async () => {
  const group = 'mig-1';
  const classic = await classicGroup(wire, group);

  const c1 = await cgh(wire, group, { memberId: 'consumer-1', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
  assert.equal(c1.errorCode, ErrorCode.NONE, 'the heartbeat converts the group');
  assert.equal(c1.memberEpoch, 2, 'group epoch = generation 1, bumped by the new member');
  assert.deepEqual(c1.assignment?.topicPartitions ?? [], [], 'its partitions are still owned by the classic member');
  assert.equal(await groupType(wire, group), 'consumer');

  // The classic member, still at generation 1 (= its member epoch), is told to rejoin; its commits at generation 1 are accepted.
  assert.equal((await classicHeartbeat(wire, group, classic, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal((await classicHeartbeat(wire, group, classic, 7)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await classicHeartbeat(wire, group, 'nobody', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const commit = await wire.request<{ topics: { partitions: { errorCode: number }[] }[] }>(8, 7, {
    groupId: group,
    generationIdOrMemberEpoch: 1,
    memberId: classic,
    groupInstanceId: null,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  assert.deepEqual(commit.topics[0]?.partitions.map((p) => p.errorCode), [ErrorCode.NONE]);

  // It rejoins as an eager member (owning nothing): answered at once, never the leader, at its new epoch.
  const rejoin = await classicJoin(wire, group, classic);
  assert.equal(rejoin.errorCode, ErrorCode.NONE);
  assert.equal(rejoin.generationId, 2);
  assert.equal(rejoin.protocolName, 'range');
  assert.notEqual(rejoin.leader, classic);
  assert.deepEqual(rejoin.members, []);
  const sync = await classicSync(wire, group, classic, 2);
  assert.equal(sync.errorCode, ErrorCode.NONE);
  const mine = partitionsOf(sync.assignment);
  assert.equal(mine.length, 3, `half of the partitions: ${mine.join(',')}`);
  assert.equal((await classicHeartbeat(wire, group, classic, 2)).errorCode, ErrorCode.NONE);
  assert.equal((await classicSync(wire, group, classic, 1)).errorCode, ErrorCode.ILLEGAL_GENERATION);

  // The consumer member now gets the other three.
  const c1b = await cgh(wire, group, { memberId: 'consumer-1', memberEpoch: 2, topicPartitions: [] });
  assert.equal(c1b.errorCode, ErrorCode.NONE);
  const theirs = (c1b.assignment?.topicPartitions ?? []).flatMap((t) => (t.topicId === topicId ? t.partitions : [])).sort((a, b) => a - b);
  assert.deepEqual([...mine, ...theirs].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);

  // The classic member leaves: the group stays a consumer group, its partitions go to the consumer member.
  const left = await wire.request<{ errorCode: number; members: { memberId: string; errorCode: number }[] }>(13, 3, { groupId: group, members: [{ memberId: classic, groupInstanceId: null }] });
  assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE]);
  const c1c = await cgh(wire, group, { memberId: 'consumer-1', memberEpoch: c1b.memberEpoch, topicPartitions: [{ topicId, partitions: theirs }] });
  assert.equal(c1c.errorCode, ErrorCode.NONE);
  assert.deepEqual((c1c.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
  assert.equal(await groupType(wire, group), 'consumer');
  assert.equal((await classicHeartbeat(wire, group, classic, 2)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('group.consumer.migration.policy=disabled: a live classic group is not converted (GROUP_ID_NOT_FOUND)', async () => {
  const b = await startBroker({ port: 0, config: { 'group.consumer.migration.policy': 'disabled', 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 2 } });
  const w = await WireClient.connect(b.port);
  try {
    await w.createTopic(TOPIC, 6);
    await classicGroup(w, 'mig-2');
    const c1 = await cgh(w, 'mig-2', { memberId: 'consumer-1', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
    assert.equal(c1.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(await groupType(w, 'mig-2'), 'classic');
  } finally {
    w.close();
    await b.stop();
  }
});

test('online downgrade: when the last consumer-protocol member leaves, the classic members are left with a classic group that rebalances', async () => {
  const group = 'mig-3';
  const classic = await classicGroup(wire, group);
  const c1 = await cgh(wire, group, { memberId: 'consumer-1', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
  assert.equal(c1.errorCode, ErrorCode.NONE);
  const rejoin = await classicJoin(wire, group, classic);
  assert.equal(rejoin.generationId, 2);
  const mine = partitionsOf((await classicSync(wire, group, classic, 2)).assignment);
  assert.equal(mine.length, 3);
  assert.equal(await groupType(wire, group), 'consumer');

  const left = await cgh(wire, group, { memberId: 'consumer-1', memberEpoch: -1 });
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.equal(await groupType(wire, group), 'classic', 'only a classic member is left: the group is classic again');

  // It rebalances: the member is told to rejoin, rejoins as the leader of a new generation and assigns everything to itself.
  assert.equal((await classicHeartbeat(wire, group, classic, 2)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const again = await classicJoin(wire, group, classic, mine);
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.leader, classic);
  assert.ok(again.generationId > 2, `generation ${again.generationId}`);
  const all = encodeAssignment({ assignedPartitions: [{ topic: TOPIC, partitions: [0, 1, 2, 3, 4, 5] }], userData: null });
  const s = await classicSync(wire, group, classic, again.generationId, [{ memberId: classic, assignment: all }]);
  assert.equal(s.errorCode, ErrorCode.NONE);
  assert.deepEqual(partitionsOf(s.assignment), [0, 1, 2, 3, 4, 5]);
  assert.equal((await classicHeartbeat(wire, group, classic, again.generationId)).errorCode, ErrorCode.NONE);
  const described = await wire.request<{ groups: { errorCode: number; groupState: string; protocolType: string; members: { memberId: string }[] }[] }>(15, 5, { groups: [group], includeAuthorizedOperations: false });
  assert.equal(described.groups[0]?.groupState, 'Stable');
  assert.deepEqual(described.groups[0]?.members.map((m) => m.memberId), [classic]);
});

test('a converted group with a classic member is reloaded from its records after a restart (ClassicMemberMetadata)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-migrate-'));
  const config = { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 2 };
  let b = await startBroker({ port: 0, dataDir: dir, config });
  let w = await WireClient.connect(b.port);
  try {
    await w.createTopic(TOPIC, 6);
    const classic = await classicGroup(w, 'mig-4');
    assert.equal((await cgh(w, 'mig-4', { memberId: 'consumer-1', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] })).errorCode, ErrorCode.NONE);
    const rejoin = await classicJoin(w, 'mig-4', classic);
    const mine = partitionsOf((await classicSync(w, 'mig-4', classic, rejoin.generationId)).assignment);
    w.close();
    await b.stop();

    b = await startBroker({ port: 0, dataDir: dir, config });
    w = await WireClient.connect(b.port);
    let hbCode = -1;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      hbCode = (await classicHeartbeat(w, 'mig-4', classic, rejoin.generationId)).errorCode;
      if (hbCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && hbCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE && hbCode !== ErrorCode.NOT_COORDINATOR) break;
    }
    assert.equal(hbCode, ErrorCode.NONE, 'the classic member is still a member at its epoch');
    assert.equal(await groupType(w, 'mig-4'), 'consumer');
    const sync = await classicSync(w, 'mig-4', classic, rejoin.generationId);
    assert.equal(sync.errorCode, ErrorCode.NONE);
    assert.deepEqual(partitionsOf(sync.assignment), mine);
  } finally {
    w.close();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty consumer group becomes a classic group when a classic member joins (offline downgrade, any policy)', async () => {
  const group = 'mig-5';
  const c1 = await cgh(wire, group, { memberId: 'consumer-1', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
  assert.equal(c1.errorCode, ErrorCode.NONE);
  assert.equal((await cgh(wire, group, { memberId: 'consumer-1', memberEpoch: -1 })).errorCode, ErrorCode.NONE);
  assert.equal(await groupType(wire, group), 'consumer', 'an empty consumer group');
  const classic = await classicGroup(wire, group);
  assert.ok(classic.length > 0);
  assert.equal(await groupType(wire, group), 'classic');
});
