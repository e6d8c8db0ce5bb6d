/**
 * The offset store (src/group/offset-store.ts) driven through the group coordinator in memory
 * (CoordinatorDeps from test/helpers/memory-coordinator-deps.ts, a ManualScheduler for time): no
 * broker, no socket, no sleeps. Commits and fetches, tombstones (OffsetDelete, DeleteGroups),
 * retention expiry on the manual clock, transactional offsets made visible by a COMMIT marker
 * and dropped by an ABORT one, and a reload (replay of the log) answering the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { GroupCoordinator, OFFSETS_TOPIC } from '../../src/group/coordinator.js';
import { GroupState } from '../../src/group/group.js';
import { GroupType } from '../../src/group/groups.js';
import { deleteGroup, describeGroup, listGroups } from '../../src/group/admin.js';
import { encodeSubscription } from '../../src/group/consumer-protocol.js';
import { joinGroup } from '../../src/group/join.js';
import type { JoinResult, SyncResult } from '../../src/group/member.js';
import { heartbeat, syncGroup } from '../../src/group/membership.js';
import { OffsetStore } from '../../src/group/offset-store.js';
import type { CommitRequest } from '../../src/group/offsets.js';
import type { CommittedOffset } from '../../src/group/records.js';
import type { GroupCoordinatorSettings } from '../../src/group/runtime.js';
import { txnOffsetCommit, type TxnOffsetCommitInput } from '../../src/group/txn-offsets.js';
import { encodeControlBatch } from '../../src/protocol/records/control-record.js';
import { MemoryCluster } from '../helpers/memory-coordinator-deps.js';

const RETENTION_MS = 60_000;
const CHECK_MS = 1_000;

const SETTINGS: GroupCoordinatorSettings = {
  initialRebalanceDelayMs: 100,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: RETENTION_MS,
  newMemberJoinTimeoutMs: 300_000,
  offsetsTopicNumPartitions: 3,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  offsetsRetentionCheckIntervalMs: CHECK_MS,
};

function coordinator(cluster = new MemoryCluster()): { c: GroupCoordinator; cluster: MemoryCluster } {
  cluster.createTopic('data', 2);
  cluster.createTopic('other', 1);
  const c = new GroupCoordinator(cluster.deps(SETTINGS));
  c.start();
  return { c, cluster };
}

/** A simple (standalone) commit: generation -1, no member id. */
function simpleCommit(offsets: { topic: string; partition: number; offset: bigint }[], retentionTimeMs = -1): CommitRequest {
  return {
    memberId: '',
    groupInstanceId: null,
    generationId: -1,
    retentionTimeMs,
    partitions: offsets.map((o) => ({ ...o, leaderEpoch: 3, metadata: `m${o.offset}`, commitTimestamp: -1 })),
  };
}

async function commit(c: GroupCoordinator, groupId: string, offsets: { topic: string; partition: number; offset: bigint }[], retentionTimeMs = -1): Promise<void> {
  const codes = await c.commitOffsets(c.getOrCreateGroup(groupId), simpleCommit(offsets, retentionTimeMs), () => true);
  assert.deepEqual(codes.map((x) => x.errorCode), offsets.map(() => ErrorCode.NONE));
}

/** Everything the store answers for a group, for comparing a coordinator with its reload. */
function answers(c: GroupCoordinator, groupId: string): unknown {
  return {
    all: c.fetchOffsets(groupId, null),
    some: c.fetchOffsets(groupId, [{ name: 'data', partitions: [0, 1] }, { name: 'other', partitions: [0] }]),
    count: c.offsets.count(groupId),
    has: c.offsets.hasOffsets(groupId),
    state: c.group(groupId)?.state,
  };
}

test('commit → fetch: offsets are keyed by group id, then topic and partition; unknown partitions answer -1', async () => {
  const { c } = coordinator();
  await commit(c, 'g-a', [{ topic: 'data', partition: 0, offset: 10n }, { topic: 'data', partition: 1, offset: 11n }]);
  await commit(c, 'g-b', [{ topic: 'data', partition: 0, offset: 99n }]);
  await commit(c, 'g-a', [{ topic: 'data', partition: 0, offset: 12n }]);

  assert.equal(c.offsets.offset('g-a', 'data', 0)?.offset, 12n, 'a later commit replaces the earlier one');
  assert.equal(c.offsets.offset('g-b', 'data', 0)?.offset, 99n, 'another group keeps its own offset');
  assert.equal(c.offsets.count('g-a'), 2);
  assert.deepEqual(
    c.fetchOffsets('g-a', [{ name: 'data', partitions: [1, 0] }, { name: 'other', partitions: [0] }]),
    [
      { topic: 'data', partition: 1, offset: 11n, leaderEpoch: 3, metadata: 'm11', errorCode: ErrorCode.NONE },
      { topic: 'data', partition: 0, offset: 12n, leaderEpoch: 3, metadata: 'm12', errorCode: ErrorCode.NONE },
      { topic: 'other', partition: 0, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
    ],
  );
  assert.deepEqual(c.fetchOffsets('g-none', null), [], 'a group id without commits has no offsets');
  assert.deepEqual(c.fetchOffsets('g-none', [{ name: 'data', partitions: [0] }]).map((o) => o.offset), [-1n]);

  // A group with offsets but no members is an Empty classic group (listed and described as such).
  const g = c.group('g-b');
  assert.equal(g?.type, GroupType.Classic);
  assert.equal(describeGroup(c, 'g-b').groupState, GroupState.Empty);
  assert.deepEqual(listGroups(c, [], []).groups.map((x) => [x.groupId, x.groupState, x.groupType]).sort(), [
    ['g-a', 'Empty', 'classic'],
    ['g-b', 'Empty', 'classic'],
  ]);
  c.shutdown();
});

test('tombstones: OffsetDelete removes single offsets (the group stays), DeleteGroups removes them all and the group', async () => {
  const { c } = coordinator();
  await commit(c, 'g-del', [{ topic: 'data', partition: 0, offset: 1n }, { topic: 'data', partition: 1, offset: 2n }, { topic: 'other', partition: 0, offset: 3n }]);
  const group = c.group('g-del');
  assert.ok(group);

  const codes = await c.deleteOffsets(group, [{ name: 'data', partitions: [0] }, { name: 'other', partitions: [0] }]);
  assert.deepEqual(codes.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
  assert.equal(c.offsets.offset('g-del', 'data', 0), undefined);
  assert.equal(c.offsets.offset('g-del', 'other', 0), undefined);
  assert.equal(c.offsets.offset('g-del', 'data', 1)?.offset, 2n);
  assert.deepEqual(c.offsets.partitionsOf('g-del'), [{ topic: 'data', partition: 1 }]);
  assert.equal(c.group('g-del'), group, 'OffsetDelete leaves the group');

  assert.equal(await deleteGroup(c, 'g-del'), ErrorCode.NONE);
  assert.equal(c.offsets.hasOffsets('g-del'), false);
  assert.equal(c.group('g-del'), undefined);
  assert.equal(await deleteGroup(c, 'g-del'), ErrorCode.GROUP_ID_NOT_FOUND);
  c.shutdown();
});

test('retention on the manual clock: a simple group expires retention after its commits, then is removed; explicit expiry wins', async () => {
  const { c, cluster } = coordinator();
  await commit(c, 'g-old', [{ topic: 'data', partition: 0, offset: 5n }]);
  // OffsetCommit v2-v4 retention time: this one expires after 5 s, before the broker default.
  await commit(c, 'g-short', [{ topic: 'data', partition: 0, offset: 6n }], 5_000);
  cluster.scheduler.advance(RETENTION_MS / 2);
  await commit(c, 'g-old', [{ topic: 'data', partition: 1, offset: 7n }]);
  assert.equal(c.offsets.hasOffsets('g-short'), false, 'the explicit expire timestamp was applied by an earlier check');
  assert.equal(c.group('g-short'), undefined, 'and the group left without offsets was removed');

  cluster.scheduler.advance(RETENTION_MS / 2 - CHECK_MS);
  assert.equal(c.offsets.count('g-old'), 2, 'nothing expires before offsets.retention.ms has passed');
  cluster.scheduler.advance(CHECK_MS);
  assert.equal(c.offsets.offset('g-old', 'data', 0), undefined, 'the first commit expired');
  assert.equal(c.offsets.offset('g-old', 'data', 1)?.offset, 7n, 'the later one has not');
  assert.ok(c.group('g-old'), 'a group with offsets left stays');

  cluster.scheduler.advance(RETENTION_MS / 2);
  assert.equal(c.offsets.hasOffsets('g-old'), false);
  assert.equal(c.group('g-old'), undefined, 'an Empty group left without offsets is removed');
  c.shutdown();

  // The tombstones were written: a reload has neither group.
  const reloaded = new GroupCoordinator(cluster.deps(SETTINGS));
  reloaded.start();
  assert.equal(reloaded.offsets.hasOffsets('g-old'), false);
  assert.equal(reloaded.group('g-old'), undefined);
  reloaded.shutdown();
});

const SESSION_MS = 6_000;

/** One consumer-protocol member subscribed to `topics`, joined and synced: a Stable group at generation 1. */
function stableConsumerGroup(c: GroupCoordinator, cluster: MemoryCluster, groupId: string, topics: string[]): string {
  const group = c.getOrCreateGroup(groupId);
  let joined: JoinResult | null = null;
  const metadata = encodeSubscription({ topics, userData: null, ownedPartitions: [] });
  const request = { groupId, memberId: '', groupInstanceId: null, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata }], clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 3, reason: null };
  joinGroup(c, group, request, (r) => (joined = r));
  cluster.scheduler.advance(SETTINGS.initialRebalanceDelayMs);
  const memberId = (joined as JoinResult | null)?.memberId;
  assert.ok(memberId);
  let synced: SyncResult | null = null;
  syncGroup(c, group, { memberId, groupInstanceId: null, generationId: 1, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment: Buffer.alloc(0) }] }, (r) => (synced = r));
  assert.equal((synced as SyncResult | null)?.errorCode, ErrorCode.NONE);
  assert.equal(group.state, GroupState.Stable);
  return memberId;
}

test('retention of a consumer group: a Stable group keeps offsets of subscribed topics; once Empty they count from when it became empty', async () => {
  const { c, cluster } = coordinator();
  const memberId = stableConsumerGroup(c, cluster, 'g-consumer', ['data']);
  const group = c.group('g-consumer');
  assert.ok(group);
  const codes = await c.commitOffsets(
    group,
    { memberId, groupInstanceId: null, generationId: 1, retentionTimeMs: -1, partitions: [{ topic: 'data', partition: 0, offset: 4n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }, { topic: 'other', partition: 0, offset: 9n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] },
    () => true,
  );
  assert.deepEqual(codes.map((x) => x.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
  // The member keeps heartbeating for longer than the retention: only the unsubscribed topic expires.
  for (let t = 0; t < RETENTION_MS + CHECK_MS; t += SESSION_MS / 2) {
    cluster.scheduler.advance(SESSION_MS / 2);
    assert.equal(heartbeat(c, group, { memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.NONE);
  }
  assert.equal(c.offsets.offset('g-consumer', 'other', 0), undefined, 'a topic the group does not subscribe to expired after its commit');
  assert.equal(c.offsets.offset('g-consumer', 'data', 0)?.offset, 4n, 'a subscribed topic does not expire while the group is Stable');

  // The member goes silent: Empty after its session; the offsets expire retention after that, not after the commit.
  cluster.scheduler.advance(SESSION_MS);
  assert.equal(group.state, GroupState.Empty);
  const emptySince = group.currentStateTimestamp as number;
  cluster.scheduler.advance(emptySince + RETENTION_MS - cluster.scheduler.now() - 1);
  assert.equal(c.offsets.offset('g-consumer', 'data', 0)?.offset, 4n, 'kept until retention after the group became empty');
  cluster.scheduler.advance(CHECK_MS + 1);
  assert.equal(c.offsets.hasOffsets('g-consumer'), false);
  assert.equal(c.group('g-consumer'), undefined, 'and the group is removed');
  c.shutdown();
});

/** Writes the producer's COMMIT/ABORT marker into the group's `__consumer_offsets` partition and tells the coordinator, as the transaction coordinator's marker writer does. */
function marker(c: GroupCoordinator, cluster: MemoryCluster, groupId: string, producerId: bigint, type: 'COMMIT' | 'ABORT'): void {
  const partition = c.partitionFor(groupId);
  cluster.partition(OFFSETS_TOPIC, partition)?.append(encodeControlBatch({ producerId, producerEpoch: 0, timestamp: BigInt(cluster.scheduler.now()), type, coordinatorEpoch: 0 }));
  c.onTransactionMarker(partition, producerId, type === 'COMMIT');
}

function txnInput(groupId: string, producerId: bigint, offset: bigint): TxnOffsetCommitInput {
  return {
    transactionalId: `tid-${producerId}`,
    groupId,
    producerId,
    producerEpoch: 0,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'data', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: 1, committedMetadata: null }] }],
  };
}

test('transactional offsets: pending until the COMMIT marker makes them visible; an ABORT marker drops them; a reload agrees', async () => {
  const cluster = new MemoryCluster();
  const { c } = coordinator(cluster);
  const inTxn = (): number => ErrorCode.NONE;
  await commit(c, 'g-txn', [{ topic: 'data', partition: 0, offset: 1n }]);

  const r = await txnOffsetCommit(c, inTxn, txnInput('g-txn', 7n, 50n));
  assert.deepEqual(r[0]?.partitions.map((p) => p.errorCode), [ErrorCode.NONE]);
  assert.equal(c.offsets.offset('g-txn', 'data', 0)?.offset, 1n, 'not visible before the marker');
  assert.equal(c.offsets.hasPendingOffset('g-txn', 'data', 0), true);
  marker(c, cluster, 'g-txn', 7n, 'COMMIT');
  assert.equal(c.offsets.offset('g-txn', 'data', 0)?.offset, 50n, 'the COMMIT marker made it committed');
  assert.equal(c.offsets.hasPendingOffset('g-txn', 'data', 0), false);

  await txnOffsetCommit(c, inTxn, txnInput('g-txn', 8n, 60n));
  marker(c, cluster, 'g-txn', 8n, 'ABORT');
  assert.equal(c.offsets.offset('g-txn', 'data', 0)?.offset, 50n, 'the ABORT marker dropped it');
  assert.equal(c.offsets.hasPendingOffset('g-txn', 'data', 0), false);

  // A transaction of a group id with no group yet: committed, it leaves an Empty group, as a plain commit does.
  await txnOffsetCommit(c, inTxn, txnInput('g-txn-new', 9n, 70n));
  marker(c, cluster, 'g-txn-new', 9n, 'COMMIT');
  assert.equal(c.group('g-txn-new')?.state, GroupState.Empty);
  assert.equal(c.offsets.offset('g-txn-new', 'data', 0)?.offset, 70n);

  // Still open at the end of the log: pending again after a reload, committed by its marker.
  await txnOffsetCommit(c, inTxn, txnInput('g-txn', 10n, 80n));
  const before = { txn: answers(c, 'g-txn'), created: answers(c, 'g-txn-new') };
  c.shutdown();

  const reloaded = new GroupCoordinator(cluster.deps(SETTINGS));
  reloaded.start();
  assert.deepEqual({ txn: answers(reloaded, 'g-txn'), created: answers(reloaded, 'g-txn-new') }, before);
  assert.equal(reloaded.offsets.hasPendingOffset('g-txn', 'data', 0), true, 'the open transaction is pending again');
  marker(reloaded, cluster, 'g-txn', 10n, 'COMMIT');
  assert.equal(reloaded.offsets.offset('g-txn', 'data', 0)?.offset, 80n);
  reloaded.shutdown();
});

test('reload: replaying the log rebuilds the store, and the reloaded coordinator answers the same', async () => {
  const cluster = new MemoryCluster();
  const { c } = coordinator(cluster);
  await commit(c, 'g-1', [{ topic: 'data', partition: 0, offset: 3n }, { topic: 'data', partition: 1, offset: 4n }, { topic: 'other', partition: 0, offset: 5n }]);
  await commit(c, 'g-2', [{ topic: 'data', partition: 0, offset: 6n }]);
  await commit(c, 'g-1', [{ topic: 'data', partition: 0, offset: 8n }]);
  const g1 = c.group('g-1');
  assert.ok(g1);
  await c.deleteOffsets(g1, [{ name: 'other', partitions: [0] }]);
  await commit(c, 'g-gone', [{ topic: 'data', partition: 0, offset: 1n }]);
  assert.equal(await deleteGroup(c, 'g-gone'), ErrorCode.NONE);
  const before = ['g-1', 'g-2', 'g-gone'].map((g) => answers(c, g));
  c.shutdown();
  assert.equal(c.offsets.hasOffsets('g-1'), false, 'shutdown forgets the store');

  const reloaded = new GroupCoordinator(cluster.deps(SETTINGS));
  reloaded.start();
  assert.deepEqual(['g-1', 'g-2', 'g-gone'].map((g) => answers(reloaded, g)), before);
  assert.deepEqual([...reloaded.offsets.groupIds()].sort(), ['g-1', 'g-2']);
  reloaded.shutdown();
});

test('OffsetStore alone: replayed commits, tombstones, markers and the retention rule', () => {
  const s = new OffsetStore();
  const o = (offset: bigint, commitTimestamp: number, expireTimestamp: number | null = null): CommittedOffset => ({ offset, leaderEpoch: -1, metadata: '', commitTimestamp, expireTimestamp });
  s.replayCommit('g', 't', 0, o(1n, 1_000));
  s.replayCommit('g', 't', 1, o(2n, 2_000, 10_000));
  s.replayCommit('g', 'u', 0, o(3n, 3_000));
  assert.equal(s.count('g'), 3);
  // A Stable group still subscribed to `t` (its rule: only `u` may expire, counted from the commit).
  const rule = (topic: string, committedAt: number): number | null => (topic === 't' ? null : committedAt);
  assert.deepEqual(s.expired('g', 9_999, 5_000, rule), [{ topic: 'u', partition: 0 }]);
  assert.deepEqual(s.expired('g', 10_000, 5_000, rule), [{ topic: 't', partition: 1 }, { topic: 'u', partition: 0 }], 'an explicit expire timestamp applies whatever the rule');
  s.replayTombstone('g', 'u', 0);
  s.replayTombstone('g', 'u', 0);
  assert.deepEqual(s.partitionsOf('g'), [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
  s.addPending(4, 5n, [{ groupId: 'h', topic: 't', partition: 0, value: o(9n, 0) }]);
  assert.deepEqual(s.replayMarker(4, 6n, true), [], 'another producer commits nothing of it');
  assert.deepEqual(s.replayMarker(3, 5n, true), [], 'nor does a marker in another partition');
  assert.equal(s.replayMarker(4, 5n, true).length, 1);
  assert.equal(s.offset('h', 't', 0)?.offset, 9n);
  assert.deepEqual(s.replayMarker(4, 5n, true), [], 'a marker applies once');
  s.replayTombstone('g', 't', 0);
  s.replayTombstone('g', 't', 1);
  assert.equal(s.hasOffsets('g'), false);
  assert.deepEqual([...s.groupIds()], ['h']);
});
