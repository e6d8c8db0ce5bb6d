/**
 * KIP-848 on the wire (ConsumerGroupHeartbeat / ConsumerGroupDescribe / OffsetCommit v9 /
 * OffsetFetch v9 / ListGroups v5) against a real in-process broker, following the sequences of
 * Kafka's GroupMetadataManager: joining, reconciliation with revocation before reassignment,
 * epoch fencing, static members, session expiry, assignor choice, member-epoch offset commits,
 * and the request validation errors. Plus the assignors and the reconciliation state machine alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { WireClient, waitFor } from '../helpers/wire.js';
import { rangeAssignor, uniformAssignor } from '../../src/group/consumer/assignors.js';
import { reconcile } from '../../src/group/consumer/reconciliation.js';
import { MemberState, type TopicPartitions } from '../../src/group/consumer/consumer-model.js';

let broker: RunningBroker;
let wire: WireClient;
let topicId = '';

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.consumer.session.timeout.ms': 1500, 'group.consumer.heartbeat.interval.ms': 200, 'offsets.topic.num.partitions': 2 } });
  wire = await WireClient.connect(broker.port);
  await wire.createTopic('cgp', 6);
  const md = await wire.metadata(['cgp']);
  topicId = md.topics[0].topicId;
});

after(async () => {
  wire?.close();
  await broker?.stop();
});

interface Answer {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

function hb(body: Record<string, unknown>, version = 1): Promise<Answer> {
  return wire.request<Answer>(68, version, {
    groupId: 'g',
    memberId: '',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    ...body,
  });
}

function parts(a: Answer): number[] {
  return (a.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions).sort((x, y) => x - y);
}

function owned(ps: number[]): { topicId: string; partitions: number[] }[] {
  return ps.length === 0 ? [] : [{ topicId, partitions: ps }];
}

test('ConsumerGroupHeartbeat: join, a second member, revocation before reassignment, leave', async () => {
  const join = (memberId: string, group: string): Promise<Answer> => hb({ groupId: group, memberId, memberEpoch: 0, rebalanceTimeoutMs: 5000, subscribedTopicNames: ['cgp'], topicPartitions: [] });
  const m1 = await join('member-1', 'g1');
  assert.equal(m1.errorCode, ErrorCode.NONE);
  assert.equal(m1.memberId, 'member-1');
  assert.equal(m1.memberEpoch, 1);
  assert.equal(m1.heartbeatIntervalMs, 200);
  assert.deepEqual(parts(m1), [0, 1, 2, 3, 4, 5]);

  const m2 = await join('member-2', 'g1');
  assert.equal(m2.memberEpoch, 2);
  assert.deepEqual(parts(m2), [], 'the new member waits: its partitions are still owned by member-1');

  // member-1 heartbeats with epoch 1 and its partitions: it must revoke 3 (keeps its epoch).
  const r1 = await hb({ groupId: 'g1', memberId: 'member-1', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) });
  assert.equal(r1.memberEpoch, 1, 'a member revoking stays at its epoch');
  const kept = parts(r1);
  assert.equal(kept.length, 3);
  const described = await wire.request<{ groups: { groupState: string; groupEpoch: number; assignmentEpoch: number; members: { memberId: string; memberEpoch: number; assignment: { topicPartitions: { topicName: string; partitions: number[] }[] }; targetAssignment: { topicPartitions: { partitions: number[] }[] } }[] }[] }>(69, 0, { groupIds: ['g1'], includeAuthorizedOperations: false });
  assert.equal(described.groups[0]?.groupState, 'Reconciling');
  assert.equal(described.groups[0]?.groupEpoch, 2);
  assert.equal(described.groups[0]?.assignmentEpoch, 2);

  // member-2 still gets nothing while member-1 has not reported the revocation.
  const w2 = await hb({ groupId: 'g1', memberId: 'member-2', memberEpoch: 2, topicPartitions: [] });
  assert.deepEqual(parts(w2), []);
  // member-1 revokes: it moves to epoch 2; then member-2 gets the released partitions.
  const r1b = await hb({ groupId: 'g1', memberId: 'member-1', memberEpoch: 1, topicPartitions: owned(kept) });
  assert.equal(r1b.memberEpoch, 2);
  const w2b = await hb({ groupId: 'g1', memberId: 'member-2', memberEpoch: 2, topicPartitions: [] });
  assert.deepEqual(parts(w2b), [0, 1, 2, 3, 4, 5].filter((p) => !kept.includes(p)));
  const stable = await wire.request<{ groups: { groupState: string }[] }>(69, 0, { groupIds: ['g1'], includeAuthorizedOperations: false });
  assert.equal(stable.groups[0]?.groupState, 'Stable');

  // Epoch fencing: a greater epoch, and a smaller one that is not the previous epoch.
  assert.equal((await hb({ groupId: 'g1', memberId: 'member-2', memberEpoch: 7 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  assert.equal((await hb({ groupId: 'g1', memberId: 'member-1', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  // The previous epoch with a subset of the partitions is accepted (the answer was lost).
  assert.equal((await hb({ groupId: 'g1', memberId: 'member-1', memberEpoch: 1, topicPartitions: owned(kept) })).errorCode, ErrorCode.NONE);
  assert.equal((await hb({ groupId: 'g1', memberId: 'nobody', memberEpoch: 3 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

  // Member-epoch offset commits (v9) and fetches.
  const commit = (memberId: string, epoch: number, version = 9): Promise<{ topics: { partitions: { errorCode: number }[] }[] }> =>
    wire.request(8, version, { groupId: 'g1', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 'cgp', partitions: [{ partitionIndex: kept[0], committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  assert.equal((await commit('member-1', 2)).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  assert.equal((await commit('member-1', 1)).topics[0]?.partitions[0]?.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal((await commit('nobody', 2)).topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await commit('member-1', 2, 8)).topics[0]?.partitions[0]?.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  const fetched = await wire.request<{ groups: { errorCode: number }[] }>(9, 9, { groups: [{ groupId: 'g1', memberId: 'member-1', memberEpoch: 1, topics: null }], requireStable: false });
  assert.equal(fetched.groups[0]?.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
  const fetchedOk = await wire.request<{ groups: { errorCode: number; topics: { partitions: { committedOffset: bigint }[] }[] }[] }>(9, 9, { groups: [{ groupId: 'g1', memberId: 'member-1', memberEpoch: 2, topics: null }], requireStable: false });
  assert.equal(fetchedOk.groups[0]?.errorCode, ErrorCode.NONE);
  assert.equal(fetchedOk.groups[0]?.topics[0]?.partitions[0]?.committedOffset, 0n);

  // ListGroups v5 shows the type; a consumer-protocol member on the classic APIs is UNKNOWN_MEMBER_ID (Kafka 4's throwIfMemberDoesNotUseClassicProtocol).
  const listed = await wire.request<{ groups: { groupId: string; groupType: string; groupState: string }[] }>(16, 5, { statesFilter: [], typesFilter: ['consumer'] });
  assert.deepEqual(listed.groups.find((g) => g.groupId === 'g1'), { groupId: 'g1', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' });
  const classicOnly = await wire.request<{ groups: { groupId: string }[] }>(16, 5, { statesFilter: [], typesFilter: ['classic'] });
  assert.equal(classicOnly.groups.some((g) => g.groupId === 'g1'), false);
  const classicHb = await wire.request<{ errorCode: number }>(12, 4, { groupId: 'g1', generationId: 1, memberId: 'member-1', groupInstanceId: null });
  assert.equal(classicHb.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

  // member-2 leaves: member-1 gets everything at the next epoch.
  const left = await hb({ groupId: 'g1', memberId: 'member-2', memberEpoch: -1 });
  assert.equal(left.memberEpoch, -1);
  const all = await hb({ groupId: 'g1', memberId: 'member-1', memberEpoch: 2, topicPartitions: owned(kept) });
  assert.equal(all.memberEpoch, 3);
  assert.deepEqual(parts(all), [0, 1, 2, 3, 4, 5]);
});

test('ConsumerGroupHeartbeat: validation, assignor choice, v0 member ids, static members, session expiry', async () => {
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: 0, rebalanceTimeoutMs: -1, subscribedTopicNames: ['cgp'], topicPartitions: [] })).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: null })).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: 0, rebalanceTimeoutMs: 1000, topicPartitions: [] })).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await hb({ groupId: 'g2', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] })).errorCode, ErrorCode.INVALID_REQUEST, 'v1 members bring their own id');
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], serverAssignor: 'sticky', topicPartitions: [] })).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicRegex: 'cg(', topicPartitions: [] })).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: -2 })).errorCode, ErrorCode.INVALID_REQUEST, '-2 needs an instance id');
  assert.equal((await hb({ groupId: 'g2', memberId: 'x', memberEpoch: 3 })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

  // v0: the coordinator makes the member id; a regex subscription (v1) and the range assignor.
  const v0 = await hb({ groupId: 'g3', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], serverAssignor: 'range', topicPartitions: [] }, 0);
  assert.equal(v0.errorCode, ErrorCode.NONE);
  assert.ok((v0.memberId ?? '').length > 0);
  const re = await hb({ groupId: 'g3', memberId: 'regex-member', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicRegex: 'c.p', serverAssignor: 'range', topicPartitions: [] });
  assert.equal(re.errorCode, ErrorCode.NONE);
  const d = await wire.request<{ groups: { assignorName: string; members: { memberId: string; targetAssignment: { topicPartitions: { topicName: string; partitions: number[] }[] } }[] }[] }>(69, 0, { groupIds: ['g3'], includeAuthorizedOperations: false });
  assert.equal(d.groups[0]?.assignorName, 'range');
  const targets = (d.groups[0]?.members ?? []).map((m) => m.targetAssignment.topicPartitions.flatMap((t) => t.partitions).sort((x, y) => x - y));
  assert.deepEqual(targets.map((t) => t.length).sort(), [3, 3], 'range splits the 6 partitions 3/3 (the regex matched cgp)');
  assert.ok(targets.every((t) => t.every((p, i) => i === 0 || p === (t[i - 1] as number) + 1)), 'range gives contiguous partitions');

  // Static members: another member with the same instance id is refused while the first is
  // there; after a temporary leave (-2) it takes over the assignment at the same epoch.
  const s1 = await hb({ groupId: 'g4', memberId: 's1', memberEpoch: 0, instanceId: 'inst', rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] });
  assert.deepEqual(parts(s1), [0, 1, 2, 3, 4, 5]);
  const clash = await hb({ groupId: 'g4', memberId: 's2', memberEpoch: 0, instanceId: 'inst', rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] });
  assert.equal(clash.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  const away = await hb({ groupId: 'g4', memberId: 's1', memberEpoch: -2, instanceId: 'inst' });
  assert.equal(away.memberEpoch, -2);
  const back = await hb({ groupId: 'g4', memberId: 's2', memberEpoch: 0, instanceId: 'inst', rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] });
  assert.equal(back.errorCode, ErrorCode.NONE);
  assert.equal(back.memberEpoch, s1.memberEpoch, 'the replacing static member keeps the epoch');
  assert.deepEqual(parts(back), [0, 1, 2, 3, 4, 5]);

  // Session expiry: a member that stops heartbeating is removed (session timeout 1.5 s here).
  const gone = await hb({ groupId: 'g5', memberId: 'quiet', memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['cgp'], topicPartitions: [] });
  assert.equal(gone.errorCode, ErrorCode.NONE);
  await waitFor(async () => {
    const r = await wire.request<{ groups: { groupState: string; members: unknown[] }[] }>(69, 0, { groupIds: ['g5'], includeAuthorizedOperations: false });
    return r.groups[0]?.groupState === 'Empty' ? true : undefined;
  }, 15_000, 'the silent member to be removed after its session timeout');
  assert.equal((await hb({ groupId: 'g5', memberId: 'quiet', memberEpoch: 1 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

function tp(entries: [string, number[]][]): TopicPartitions {
  return new Map(entries.map(([t, ps]) => [t, new Set(ps)]));
}

function flat(a: ReadonlyMap<string, ReadonlySet<number>>): string[] {
  return [...a].flatMap(([t, s]) => [...s].map((p) => `${t}:${p}`)).sort();
}

test('uniform assignor: balanced over the subscribed members, sticky; range: contiguous per topic', () => {
  const members = ['a', 'b', 'c'].map((memberId) => ({ memberId, topicIds: new Set(['T']) }));
  const first = uniformAssignor({ members, topics: new Map([['T', 12]]), previous: new Map() });
  assert.deepEqual([...first.values()].map((m) => flat(m).length), [4, 4, 4]);
  // A fourth member: each of the three gives up exactly one partition.
  const four = [...members, { memberId: 'd', topicIds: new Set(['T']) }];
  const second = uniformAssignor({ members: four, topics: new Map([['T', 12]]), previous: first });
  assert.deepEqual([...second.values()].map((m) => flat(m).length), [3, 3, 3, 3]);
  for (const id of ['a', 'b', 'c']) {
    const kept = flat(second.get(id) as Map<string, Set<number>>).filter((p) => flat(first.get(id) as Map<string, Set<number>>).includes(p));
    assert.equal(kept.length, 3, `${id} keeps 3 of its 4`);
  }
  // Heterogeneous subscriptions: partitions only go to subscribed members.
  const hetero = uniformAssignor({ members: [{ memberId: 'a', topicIds: new Set(['T', 'U']) }, { memberId: 'b', topicIds: new Set(['U']) }], topics: new Map([['T', 2], ['U', 4]]), previous: new Map() });
  assert.ok(flat(hetero.get('b') as Map<string, Set<number>>).every((p) => p.startsWith('U:')));
  assert.equal(flat(hetero.get('a') as Map<string, Set<number>>).length + flat(hetero.get('b') as Map<string, Set<number>>).length, 6);
  assert.deepEqual([flat(hetero.get('a') as Map<string, Set<number>>).length, flat(hetero.get('b') as Map<string, Set<number>>).length], [3, 3]);
  const range = rangeAssignor({ members, topics: new Map([['T', 7]]), previous: new Map() });
  assert.deepEqual([...range].map(([id, m]) => [id, flat(m)]), [
    ['a', ['T:0', 'T:1', 'T:2']],
    ['b', ['T:3', 'T:4']],
    ['c', ['T:5', 'T:6']],
  ]);
});

test('reconciliation: revoke first, then the target epoch with the free partitions, unreleased ones later', () => {
  const member = { memberEpoch: 1, previousMemberEpoch: 0, state: MemberState.Stable, assigned: tp([['T', [0, 1, 2, 3]]]), pendingRevocation: new Map() };
  const target = tp([['T', [0, 1, 4]]]);
  const owners = new Map<string, number>([['T:4', 1]]);
  const epochOf = (t: string, p: number): number => owners.get(`${t}:${p}`) ?? -1;
  const revoking = reconcile({ member, targetEpoch: 2, target, partitionEpoch: epochOf, owned: tp([['T', [0, 1, 2, 3]]]) });
  assert.equal(revoking.state, MemberState.UnrevokedPartitions);
  assert.equal(revoking.memberEpoch, 1);
  assert.deepEqual(flat(revoking.assigned), ['T:0', 'T:1']);
  assert.deepEqual(flat(revoking.pendingRevocation), ['T:2', 'T:3']);
  assert.equal(reconcile({ member: revoking, targetEpoch: 2, target, partitionEpoch: epochOf, owned: null }), revoking, 'no report: still revoking');
  const unreleased = reconcile({ member: revoking, targetEpoch: 2, target, partitionEpoch: epochOf, owned: tp([['T', [0, 1]]]) });
  assert.equal(unreleased.state, MemberState.UnreleasedPartitions, 'T:4 is still owned by another member');
  assert.equal(unreleased.memberEpoch, 2);
  assert.deepEqual(flat(unreleased.assigned), ['T:0', 'T:1']);
  owners.delete('T:4');
  const stable = reconcile({ member: unreleased, targetEpoch: 2, target, partitionEpoch: epochOf, owned: tp([['T', [0, 1]]]) });
  assert.equal(stable.state, MemberState.Stable);
  assert.deepEqual(flat(stable.assigned), ['T:0', 'T:1', 'T:4']);
  assert.equal(reconcile({ member: stable, targetEpoch: 2, target, partitionEpoch: epochOf, owned: null }), stable);
});
