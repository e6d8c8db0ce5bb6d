/**
 * The classic group protocol over the wire (generated codecs, exact versions): MEMBER_ID_REQUIRED,
 * generations and the leader's assignment, static membership fencing, error codes, simple
 * (standalone) commits, OffsetFetch v8 multi-group, DeleteGroups, and the Java hash placement.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { javaStringHashCode, partitionForGroup } from '../../src/group/java-hash.js';
import { WireClient, waitFor } from '../helpers/wire.js';

let broker: RunningBroker;
let c: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': 50, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 5 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.stop();
});

const protocols = [{ name: 'range', metadata: Buffer.from([0, 1, 2]) }];
const join = (client: WireClient, body: Record<string, unknown>, version = 9): Promise<any> =>
  client.request(11, version, { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, protocolType: 'consumer', protocols, memberId: '', groupInstanceId: null, reason: null, ...body });

test('Java String.hashCode and Utils.abs placement', () => {
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(partitionForGroup('polygenelubricants', 50), 0);
  assert.equal(partitionForGroup('my-group', 50), Math.abs(javaStringHashCode('my-group')) % 50);
  assert.equal(javaStringHashCode('\u00e9\u{1F600}'), (((0xe9 * 31 + 0xd83d) | 0) * 31 + 0xde00) | 0);
});

test('join: MEMBER_ID_REQUIRED, generation 1, leader gets members, sync, heartbeat, errors', async () => {
  const g = 'proto-g1';
  const first = await join(c, { groupId: g });
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^samsa-test-/);
  const joined = await join(c, { groupId: g, memberId: first.memberId });
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.generationId, 1);
  assert.equal(joined.leader, first.memberId);
  assert.equal(joined.protocolName, 'range');
  assert.deepEqual(joined.members.map((m: any) => m.memberId), [first.memberId]);
  const assignment = Buffer.from('assigned');
  const sync = await c.request<any>(14, 5, { groupId: g, generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment }] });
  assert.equal(sync.errorCode, 0);
  assert.deepEqual(Buffer.from(sync.assignment), assignment);
  assert.equal((await c.request<any>(12, 4, { groupId: g, generationId: 1, memberId: first.memberId, groupInstanceId: null })).errorCode, 0);
  assert.equal((await c.request<any>(12, 4, { groupId: g, generationId: 0, memberId: first.memberId, groupInstanceId: null })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await c.request<any>(12, 4, { groupId: g, generationId: 1, memberId: 'nobody', groupInstanceId: null })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const badProto = await c.request<any>(14, 5, { groupId: g, generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'connect', protocolName: 'range', assignments: [] });
  assert.equal(badProto.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c, { groupId: g, protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c, { groupId: g, sessionTimeoutMs: 10 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(c, { groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
  // Commits: member commit with the right generation; a stale one is rejected; metadata kept.
  const commit = (gen: number, memberId: string, metadata = 'meta') =>
    c.request<any>(8, 9, { groupId: g, generationIdOrMemberEpoch: gen, memberId, groupInstanceId: null, topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: metadata }] }] });
  assert.equal((await commit(1, first.memberId)).topics[0].partitions[0].errorCode, 0);
  assert.equal((await commit(7, first.memberId)).topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await commit(1, first.memberId, 'x'.repeat(5000))).topics[0].partitions[0].errorCode, ErrorCode.OFFSET_METADATA_TOO_LARGE);
  assert.equal((await commit(-1, '')).topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'simple commits need an empty group');
  const fetched = await c.request<any>(9, 8, { groups: [{ groupId: g, memberId: null, memberEpoch: -1, topics: null }, { groupId: 'proto-none', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
  assert.deepEqual(fetched.groups[0].topics[0].partitions[0], { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'meta', errorCode: 0 });
  assert.equal(fetched.groups[1].topics[0].partitions[0].committedOffset, -1n);
  // DeleteGroups refuses a live group; LeaveGroup v3+ per member; then it can be deleted.
  assert.equal((await c.request<any>(42, 2, { groupsNames: [g] })).results[0].errorCode, ErrorCode.NON_EMPTY_GROUP);
  const leave = await c.request<any>(13, 5, { groupId: g, members: [{ memberId: first.memberId, groupInstanceId: null, reason: 'done' }, { memberId: 'ghost', groupInstanceId: null, reason: null }] });
  assert.deepEqual(leave.members.map((m: any) => m.errorCode), [0, ErrorCode.UNKNOWN_MEMBER_ID]);
  const described = await c.request<any>(15, 5, { groups: [g], includeAuthorizedOperations: false });
  assert.equal(described.groups[0].groupState, 'Empty');
  assert.equal((await c.request<any>(42, 2, { groupsNames: [g, 'proto-none'] })).results.map((r: any) => r.errorCode).join(','), `0,${ErrorCode.GROUP_ID_NOT_FOUND}`);
  const after = await c.request<any>(9, 8, { groups: [{ groupId: g, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
  assert.deepEqual(after.groups[0].topics, [], 'deleting the group removed its offsets');
});

test('static membership: rejoin with a new member id fences the old one', async () => {
  const g = 'proto-static';
  const a = await join(c, { groupId: g, groupInstanceId: 'inst-1' });
  assert.equal(a.errorCode, 0, 'static members need no MEMBER_ID_REQUIRED round trip');
  const sync = await c.request<any>(14, 5, { groupId: g, generationId: a.generationId, memberId: a.memberId, groupInstanceId: 'inst-1', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }] });
  assert.equal(sync.errorCode, 0);
  // The same instance restarts: same generation, no rebalance, it is told to skip assignment (v9).
  const b = await join(c, { groupId: g, groupInstanceId: 'inst-1' });
  assert.equal(b.errorCode, 0);
  assert.notEqual(b.memberId, a.memberId);
  assert.equal(b.generationId, a.generationId);
  assert.equal(b.skipAssignment, true);
  const hb = await c.request<any>(12, 4, { groupId: g, generationId: a.generationId, memberId: a.memberId, groupInstanceId: 'inst-1' });
  assert.equal(hb.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const synced = await c.request<any>(14, 5, { groupId: g, generationId: b.generationId, memberId: b.memberId, groupInstanceId: 'inst-1', protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.deepEqual(Buffer.from(synced.assignment), Buffer.from('A'), 'the stable assignment is kept');
  const leave = await c.request<any>(13, 5, { groupId: g, members: [{ memberId: a.memberId, groupInstanceId: 'inst-1', reason: null }] });
  assert.equal(leave.members[0].errorCode, ErrorCode.FENCED_INSTANCE_ID);
});

test('session expiry removes a silent member and the group rebalances to Empty', async () => {
  const g = 'proto-expiry';
  const first = await join(c, { groupId: g, sessionTimeoutMs: 1000 });
  const j = await join(c, { groupId: g, memberId: first.memberId, sessionTimeoutMs: 1000 });
  assert.equal(j.errorCode, 0);
  await c.request<any>(14, 5, { groupId: g, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  // No heartbeats: the session (1 s) expires on the broker's timer; wait for its effect.
  const describe = async (): Promise<string> => (await c.request<any>(15, 5, { groups: [g], includeAuthorizedOperations: false })).groups[0].groupState;
  await waitFor(async () => (await describe()) === 'Empty', 15_000, 'the group to be Empty after session expiry', 50);
  assert.equal((await c.request<any>(12, 4, { groupId: g, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const listed = await c.request<any>(16, 5, { statesFilter: ['empty'], typesFilter: [] });
  assert.ok(listed.groups.some((x: any) => x.groupId === g && x.groupState === 'Empty' && x.groupType === 'classic'));
});

test('FindCoordinator v4 batches keys; old versions answer one key', async () => {
  const r = await c.request<any>(10, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
  assert.deepEqual(r.coordinators.map((x: any) => [x.key, x.errorCode, x.nodeId, x.port]), [['a', 0, 1, broker.port], ['b', 0, 1, broker.port]]);
  const one = await c.request<any>(10, 0, { key: 'a' });
  assert.deepEqual([one.errorCode, one.nodeId, one.port], [0, 1, broker.port]);
  const share = await c.request<any>(10, 6, { keyType: 2, coordinatorKeys: ['s'] });
  assert.equal(share.coordinators[0].errorCode, ErrorCode.INVALID_REQUEST);
});
