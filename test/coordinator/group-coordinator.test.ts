/**
 * The group coordinator driven in memory (CoordinatorDeps from test/helpers/memory-coordinator-deps.ts,
 * a ManualScheduler for time): no broker, no socket, no sleeps. Session expiry and the rebalance
 * timeout; offset commits that are replayed and reloaded into the same state; appends that fail
 * (nothing changes, nothing to undo); commits held by the writer (the response and the state
 * change wait for the commit, later writes queue behind it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { GroupCoordinator, OFFSETS_TOPIC } from '../../src/group/coordinator.js';
import { GroupState, type ClassicGroup } from '../../src/group/group.js';
import { joinGroup } from '../../src/group/join.js';
import type { JoinResult, SyncResult } from '../../src/group/member.js';
import { heartbeat, syncGroup } from '../../src/group/membership.js';
import type { CommitRequest } from '../../src/group/offsets.js';
import type { GroupCoordinatorSettings } from '../../src/group/runtime.js';
import { MemoryCluster } from '../helpers/memory-coordinator-deps.js';

const SESSION_MS = 6_000;
const REBALANCE_MS = 10_000;
const DELAY_MS = 100;

const SETTINGS: GroupCoordinatorSettings = {
  initialRebalanceDelayMs: DELAY_MS,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  newMemberJoinTimeoutMs: 300_000,
  offsetsTopicNumPartitions: 3,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  offsetsRetentionCheckIntervalMs: 600_000,
};

function coordinator(cluster = new MemoryCluster()): { c: GroupCoordinator; cluster: MemoryCluster } {
  cluster.createTopic('data', 2);
  const c = new GroupCoordinator(cluster.deps(SETTINGS));
  c.start();
  return { c, cluster };
}

/** A dynamic member joining with JoinGroup v3 (no MEMBER_ID_REQUIRED round trip); the answer lands in `answer`. */
function join(c: GroupCoordinator, group: ClassicGroup, memberId = ''): { answer: JoinResult | null } {
  const out: { answer: JoinResult | null } = { answer: null };
  joinGroup(
    c,
    group,
    {
      groupId: group.groupId,
      memberId,
      groupInstanceId: null,
      sessionTimeoutMs: SESSION_MS,
      rebalanceTimeoutMs: REBALANCE_MS,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1]) }],
      clientId: 'c',
      clientHost: '/127.0.0.1',
      apiVersion: 3,
      reason: null,
    },
    (r) => (out.answer = r),
  );
  return out;
}

function sync(c: GroupCoordinator, group: ClassicGroup, memberId: string, assignments: { memberId: string; assignment: Buffer }[] = []): { answer: SyncResult | null } {
  const out: { answer: SyncResult | null } = { answer: null };
  syncGroup(c, group, { memberId, groupInstanceId: null, generationId: group.generationId, protocolType: 'consumer', protocolName: 'range', assignments }, (r) => (out.answer = r));
  return out;
}

/** One member, joined and synced: a Stable group at generation 1. */
function stableGroup(c: GroupCoordinator, cluster: MemoryCluster, groupId: string): { group: ClassicGroup; memberId: string } {
  const group = c.getOrCreateGroup(groupId);
  const j = join(c, group);
  cluster.scheduler.advance(DELAY_MS);
  assert.ok(j.answer);
  const memberId = j.answer.memberId;
  const s = sync(c, group, memberId, [{ memberId, assignment: Buffer.from('p0') }]);
  assert.equal(s.answer?.errorCode, ErrorCode.NONE);
  assert.equal(group.state, GroupState.Stable);
  return { group, memberId };
}

function commitReq(memberId: string, generationId: number, offset: bigint): CommitRequest {
  return { memberId, groupInstanceId: null, generationId, retentionTimeMs: -1, partitions: [{ topic: 'data', partition: 0, offset, leaderEpoch: 1, metadata: 'm', commitTimestamp: -1 }] };
}

function groupRecordsIn(cluster: MemoryCluster): number {
  let n = 0;
  for (const p of cluster.topics.get(OFFSETS_TOPIC) ?? []) for (const b of p.decoded()) n += b.records.length;
  return n;
}

test('session expiry: a member that stops heartbeating is removed after session.timeout.ms and the group becomes Empty', () => {
  const { c, cluster } = coordinator();
  const { group } = stableGroup(c, cluster, 'g-session');
  cluster.scheduler.advance(SESSION_MS - 1);
  assert.equal(group.size, 1, 'still a member just before its session expires');
  cluster.scheduler.advance(1);
  assert.equal(group.size, 0);
  // The member's removal starts a rebalance that completes at once with nobody left.
  assert.equal(group.state, GroupState.Empty);
  assert.equal(group.generationId, 2);
});

test('rebalance timeout: a member that does not rejoin is dropped when the rebalance timeout passes', () => {
  const { c, cluster } = coordinator();
  const group = c.getOrCreateGroup('g-rebalance');
  const a = join(c, group);
  const b = join(c, group);
  cluster.scheduler.advance(DELAY_MS * 2);
  const aId = a.answer?.memberId as string;
  const bId = b.answer?.memberId as string;
  sync(c, group, aId === group.leaderId ? aId : bId, [{ memberId: aId, assignment: Buffer.from('a') }, { memberId: bId, assignment: Buffer.from('b') }]);
  sync(c, group, aId === group.leaderId ? bId : aId);
  assert.equal(group.state, GroupState.Stable);
  // a rejoins (a rebalance); b keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
  const again = join(c, group, aId);
  assert.equal(group.state, GroupState.PreparingRebalance);
  for (let t = 0; t < 3; t++) {
    cluster.scheduler.advance(3_000);
    assert.equal(heartbeat(c, group, { memberId: bId, groupInstanceId: null, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  cluster.scheduler.advance(REBALANCE_MS - 9_000 - 1);
  assert.equal(again.answer, null, 'the join phase waits for b until the rebalance timeout');
  cluster.scheduler.advance(1);
  const answer = again.answer as JoinResult | null;
  assert.equal(answer?.errorCode, ErrorCode.NONE);
  assert.equal(answer?.generationId, 2);
  assert.deepEqual([...group.members.keys()], [aId], 'b did not rejoin in time and was removed');
});

test('offset commit → replay → reload: a new coordinator over the same log has the same offsets and group', async () => {
  const cluster = new MemoryCluster();
  const { c } = coordinator(cluster);
  const { group, memberId } = stableGroup(c, cluster, 'g-reload');
  const codes = await c.commitOffsets(group, commitReq(memberId, 1, 42n), () => true);
  assert.deepEqual(codes.map((x) => x.errorCode), [ErrorCode.NONE]);
  await c.commitOffsets(group, { ...commitReq(memberId, 1, 43n), partitions: [{ topic: 'data', partition: 1, offset: 7n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] }, () => true);
  const simple = c.getOrCreateGroup('g-simple');
  await c.commitOffsets(simple, commitReq('', -1, 5n), () => true);
  const before = { offsets: c.fetchOffsets('g-reload', null), simple: c.fetchOffsets('g-simple', null), generation: group.generationId, assignment: group.members.get(memberId)?.assignment };
  c.shutdown();

  const reloaded = new GroupCoordinator(cluster.deps(SETTINGS));
  reloaded.start();
  const g = reloaded.group('g-reload');
  assert.ok(g);
  assert.deepEqual(reloaded.fetchOffsets('g-reload', null), before.offsets);
  assert.ok(reloaded.group('g-simple'));
  assert.deepEqual(reloaded.fetchOffsets('g-simple', null), before.simple);
  assert.equal(g.generationId, before.generation);
  assert.equal(g.state, GroupState.Stable);
  assert.deepEqual(g.members.get(memberId)?.assignment, before.assignment, 'the assignment written by SyncGroup was replayed');
  reloaded.shutdown();
});

test('a failed append changes nothing: OffsetCommit, SyncGroup and DeleteGroups leave the state as it was', async () => {
  const cluster = new MemoryCluster();
  const { c } = coordinator(cluster);
  const { group, memberId } = stableGroup(c, cluster, 'g-fail');
  await c.commitOffsets(group, commitReq(memberId, 1, 10n), () => true);
  const records = groupRecordsIn(cluster);

  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  const codes = await c.commitOffsets(group, commitReq(memberId, 1, 99n), () => true);
  assert.deepEqual(codes.map((x) => x.errorCode), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  assert.equal(c.offsets.offset('g-fail', 'data', 0)?.offset, 10n, 'the committed offset is unchanged');
  assert.equal(groupRecordsIn(cluster), records, 'nothing was written');

  // SyncGroup of a new generation whose GroupMetadata cannot be written: the members keep no new assignment.
  const rejoin = join(c, group, memberId);
  assert.equal(rejoin.answer?.generationId, 2);
  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  const s = sync(c, group, memberId, [{ memberId, assignment: Buffer.from('new') }]);
  assert.equal(s.answer?.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.notDeepEqual(group.members.get(memberId)?.assignment, Buffer.from('new'));
  assert.notEqual(group.state, GroupState.Stable);

  // DeleteGroups of an Empty group whose tombstones cannot be written: the group and its offsets stay.
  const empty = c.getOrCreateGroup('g-empty');
  await c.commitOffsets(empty, commitReq('', -1, 3n), () => true);
  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  const { deleteGroup } = await import('../../src/group/admin.js');
  assert.equal(await deleteGroup(c, 'g-empty'), ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(c.group('g-empty'), empty);
  assert.equal(c.offsets.offset('g-empty', 'data', 0)?.offset, 3n);
  assert.equal(await deleteGroup(c, 'g-empty'), ErrorCode.NONE);
  assert.equal(c.group('g-empty'), undefined);
  c.shutdown();
});

test('a held commit: the response and the state change wait for it, and later writes to the partition queue behind it', async () => {
  const cluster = new MemoryCluster();
  const { c } = coordinator(cluster);
  const g = c.getOrCreateGroup('g-held');
  cluster.holdCommits = true;
  let first: number[] | null = null;
  let second: number[] | null = null;
  void c.commitOffsets(g, commitReq('', -1, 1n), () => true).then((r) => (first = r.map((x) => x.errorCode)));
  void c.commitOffsets(g, commitReq('', -1, 2n), () => true).then((r) => (second = r.map((x) => x.errorCode)));
  await new Promise((r) => setImmediate(r));
  assert.equal(first, null, 'no answer before the commit');
  assert.equal(c.offsets.offset('g-held', 'data', 0), undefined, 'no state change before the commit');
  assert.equal(cluster.heldCommits, 1, 'the second write waits behind the first (one write in flight per partition)');
  cluster.releaseCommits();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(first, [ErrorCode.NONE]);
  assert.equal(c.offsets.offset('g-held', 'data', 0)?.offset, 1n);
  assert.equal(second, null);
  cluster.releaseCommits();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(second, [ErrorCode.NONE]);
  assert.equal(c.offsets.offset('g-held', 'data', 0)?.offset, 2n);
  c.shutdown();
});
