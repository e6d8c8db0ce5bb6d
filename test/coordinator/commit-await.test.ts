/**
 * Coordinator requests are answered only once their records are committed (Kafka's
 * CoordinatorResult: the response goes out after the high watermark passed the records), driven
 * in memory with a writer whose commits the test holds, then releases or rejects (a replicated
 * writer that loses its leadership): InitProducerId, AddPartitionsToTxn, EndTxn (answered once
 * PrepareCommit is committed), OffsetCommit and TxnOffsetCommit; a rejected commit answers
 * Kafka's mapping of the error and changes nothing; a second request for the same transactional
 * id meanwhile gets CONCURRENT_TRANSACTIONS, while another id on the same partition just waits.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import type { CommitRequest } from '../../src/group/offsets.js';
import type { GroupCoordinatorSettings } from '../../src/group/runtime.js';
import { txnOffsetCommit } from '../../src/group/txn-offsets.js';
import { TransactionCoordinator, type TxnCoordinatorSettings } from '../../src/txn/coordinator.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from '../../src/txn/txn-log.js';
import { TxnState } from '../../src/txn/txn-metadata.js';
import { MemoryCluster } from '../helpers/memory-coordinator-deps.js';

const dir = mkdtempSync(join(tmpdir(), 'samsa-commit-await-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TIMEOUT_MS = 60_000;
const STATE_PARTITIONS = 4;

function txnSettings(): TxnCoordinatorSettings {
  return { stateLogNumPartitions: STATE_PARTITIONS, stateLogSegmentBytes: 1 << 20, cleanupIntervalMs: 10_000, maxTimeoutMs: TIMEOUT_MS, idExpirationMs: 7 * 24 * 3600 * 1000 };
}

const GROUP_SETTINGS: GroupCoordinatorSettings = {
  initialRebalanceDelayMs: 100,
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

function txnCoordinator(): { txn: TransactionCoordinator; cluster: MemoryCluster } {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 2);
  const txn = new TransactionCoordinator(cluster.deps(txnSettings()));
  txn.start();
  txn.ensureTopic();
  return { txn, cluster };
}

/** What a call came to: its value or its error, recorded when it settles (synchronously when it does not wait). */
interface Settled<T> {
  done: boolean;
  value?: T;
  error?: unknown;
}

function track<T>(call: () => T | Promise<T>): Settled<T> {
  const s: Settled<T> = { done: false };
  try {
    const r = call();
    if (r instanceof Promise) {
      r.then(
        (value) => Object.assign(s, { done: true, value }),
        (error: unknown) => Object.assign(s, { done: true, error }),
      );
    } else Object.assign(s, { done: true, value: r });
  } catch (error) {
    Object.assign(s, { done: true, error });
  }
  return s;
}

/** Lets pending promise callbacks run (microtasks and one macrotask turn; no timers). */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

function codeOf(s: Settled<unknown>): number | undefined {
  return s.error instanceof KafkaError ? s.error.code : undefined;
}

function markers(cluster: MemoryCluster): number {
  return (cluster.partition('data', 0)?.decoded() ?? []).filter((b) => b.isControl).length;
}

/** Two transactional ids that live in the same `__transaction_state` partition. */
function sameStatePartition(): [string, string] {
  const a = 'tid-a';
  const p = partitionForTransactionalId(a, STATE_PARTITIONS);
  for (let i = 0; i < 1000; i++) {
    const b = `tid-b${i}`;
    if (partitionForTransactionalId(b, STATE_PARTITIONS) === p) return [a, b];
  }
  throw new Error('no two transactional ids in one partition');
}

test('EndTxn is answered only once its PrepareCommit record is committed; a second request for the id meanwhile gets CONCURRENT_TRANSACTIONS', async () => {
  const { txn, cluster } = txnCoordinator();
  const { producerId, producerEpoch } = await txn.initProducerId('tid', TIMEOUT_MS, null);
  await txn.addPartitions('tid', producerId, producerEpoch, [{ topic: 'data', partition: 0 }]);

  cluster.holdCommits = true;
  const end = track(() => txn.endTransaction('tid', producerId, producerEpoch, true));
  await settle();
  assert.equal(cluster.heldCommits, 1, 'the PrepareCommit record is appended');
  assert.equal(end.done, false, 'no answer before the PrepareCommit record is committed');
  assert.equal(txn.describe('tid')?.state, TxnState.Ongoing);
  assert.equal(markers(cluster), 0);

  const second = track(() => txn.endTransaction('tid', producerId, producerEpoch, true));
  const init = track(() => txn.initProducerId('tid', TIMEOUT_MS, null));
  await settle();
  assert.equal(codeOf(second), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal(codeOf(init), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal(cluster.heldCommits, 1, 'the refused requests wrote nothing');

  cluster.holdCommits = false;
  cluster.releaseCommits();
  await settle();
  assert.deepEqual(end, { done: true, value: { producerId, producerEpoch } });
  assert.equal(markers(cluster), 1, 'the COMMIT marker follows the committed PrepareCommit');
  assert.equal(txn.describe('tid')?.state, TxnState.CompleteCommit);
  txn.shutdown();
});

test('EndTxn whose PrepareCommit commit is rejected (NOT_LEADER_OR_FOLLOWER) answers NOT_COORDINATOR and leaves the transaction Ongoing, with no marker', async () => {
  const { txn, cluster } = txnCoordinator();
  const { producerId, producerEpoch } = await txn.initProducerId('tid', TIMEOUT_MS, null);
  await txn.addPartitions('tid', producerId, producerEpoch, [{ topic: 'data', partition: 0 }]);
  const ongoing = txn.describe('tid');

  cluster.holdCommits = true;
  const end = track(() => txn.endTransaction('tid', producerId, producerEpoch, true));
  await settle();
  assert.equal(end.done, false);
  cluster.holdCommits = false;
  cluster.rejectCommits(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await settle();
  assert.equal(codeOf(end), ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(txn.describe('tid'), ongoing, 'no transition');
  assert.equal(markers(cluster), 0);
  // Nothing is left in flight: the client's retry goes through.
  assert.deepEqual(await txn.endTransaction('tid', producerId, producerEpoch, true), { producerId, producerEpoch });
  assert.equal(txn.describe('tid')?.state, TxnState.CompleteCommit);
  txn.shutdown();
});

test('InitProducerId is answered once its record is committed; a rejected commit answers the mapped error and bumps nothing', async () => {
  const { txn, cluster } = txnCoordinator();
  const first = await txn.initProducerId('tid', TIMEOUT_MS, null);
  const before = txn.describe('tid');

  cluster.holdCommits = true;
  const bump = track(() => txn.initProducerId('tid', TIMEOUT_MS, null));
  await settle();
  assert.equal(bump.done, false, 'no answer before the commit');
  assert.deepEqual(txn.describe('tid'), before);
  cluster.rejectCommits(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await settle();
  assert.equal(codeOf(bump), ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(txn.describe('tid'), before, 'the epoch is not bumped');

  const timedOut = track(() => txn.initProducerId('tid', TIMEOUT_MS, null));
  await settle();
  cluster.rejectCommits(ErrorCode.NOT_ENOUGH_REPLICAS);
  await settle();
  assert.equal(codeOf(timedOut), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.deepEqual(txn.describe('tid'), before);

  const ok = track(() => txn.initProducerId('tid', TIMEOUT_MS, null));
  await settle();
  assert.equal(ok.done, false);
  cluster.releaseCommits();
  await settle();
  assert.deepEqual(ok, { done: true, value: { producerId: first.producerId, producerEpoch: first.producerEpoch + 1 } });
  assert.equal(txn.describe('tid')?.producerEpoch, first.producerEpoch + 1);
  txn.shutdown();
});

test('AddPartitionsToTxn is answered once its record is committed; another transactional id on the same partition waits behind it instead of failing', async () => {
  const { txn, cluster } = txnCoordinator();
  const [a, b] = sameStatePartition();
  const pa = await txn.initProducerId(a, TIMEOUT_MS, null);
  const pb = await txn.initProducerId(b, TIMEOUT_MS, null);

  cluster.holdCommits = true;
  const addA = track(() => txn.addPartitions(a, pa.producerId, pa.producerEpoch, [{ topic: 'data', partition: 0 }]));
  const addB = track(() => txn.addPartitions(b, pb.producerId, pb.producerEpoch, [{ topic: 'data', partition: 1 }]));
  await settle();
  assert.equal(addA.done, false, 'no answer before the commit');
  assert.equal(txn.isPartitionInTransaction(a, pa.producerId, pa.producerEpoch, 'data', 0), false, 'a produce is not let in before the commit');
  assert.equal(addB.done, false, 'the other id queues behind the write in flight (no CONCURRENT_TRANSACTIONS)');
  assert.equal(cluster.heldCommits, 1, 'one write in flight per partition');

  cluster.releaseCommits();
  await settle();
  assert.deepEqual(addA, { done: true, value: undefined });
  assert.equal(txn.isPartitionInTransaction(a, pa.producerId, pa.producerEpoch, 'data', 0), true);
  assert.equal(addB.done, false);
  cluster.holdCommits = false;
  cluster.releaseCommits();
  await settle();
  assert.deepEqual(addB, { done: true, value: undefined });
  assert.equal(txn.describe(b)?.state, TxnState.Ongoing);
  assert.ok((cluster.partition(TRANSACTION_STATE_TOPIC, partitionForTransactionalId(a, STATE_PARTITIONS))?.logEndOffset ?? 0) >= 4);
  txn.shutdown();
});

function commitReq(offset: bigint): CommitRequest {
  return { memberId: '', groupInstanceId: null, generationId: -1, retentionTimeMs: -1, partitions: [{ topic: 'data', partition: 0, offset, leaderEpoch: 1, metadata: 'm', commitTimestamp: -1 }] };
}

test("OffsetCommit is answered once its records are committed; a rejected commit answers Kafka's mapping of the error and commits nothing", async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 1);
  const c = new GroupCoordinator(cluster.deps(GROUP_SETTINGS));
  c.start();
  const g = c.getOrCreateGroup('g');
  await c.commitOffsets(g, commitReq(5n), () => true);

  cluster.holdCommits = true;
  for (const [failure, answer] of [
    [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
    [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
    [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNKNOWN_SERVER_ERROR],
    [ErrorCode.INVALID_FETCH_SIZE, ErrorCode.UNKNOWN_SERVER_ERROR],
  ] as const) {
    const commit = track(() => c.commitOffsets(g, commitReq(9n), () => true));
    await settle();
    assert.equal(commit.done, false, 'no answer before the commit');
    cluster.rejectCommits(failure);
    await settle();
    assert.deepEqual(commit.value?.map((x) => x.errorCode), [answer], `commit failed with ${failure}`);
    assert.equal(c.offsets.offset('g', 'data', 0)?.offset, 5n, 'the committed offset is unchanged');
  }
  const commit = track(() => c.commitOffsets(g, commitReq(9n), () => true));
  await settle();
  cluster.releaseCommits();
  await settle();
  assert.deepEqual(commit.value?.map((x) => x.errorCode), [ErrorCode.NONE]);
  assert.equal(c.offsets.offset('g', 'data', 0)?.offset, 9n);
  c.shutdown();
});

test('TxnOffsetCommit is answered once its records are committed; a rejected commit answers NOT_COORDINATOR and leaves no pending offsets', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 1);
  const c = new GroupCoordinator(cluster.deps(GROUP_SETTINGS));
  c.start();
  c.getOrCreateGroup('g');
  const input = {
    transactionalId: 'tid',
    groupId: 'g',
    producerId: 7n,
    producerEpoch: 0,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'data', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  };
  const check = (): number => ErrorCode.NONE;
  const codes = (s: Settled<{ partitions: { errorCode: number }[] }[]>): number[] | undefined => s.value?.flatMap((t) => t.partitions.map((p) => p.errorCode));

  cluster.holdCommits = true;
  const rejected = track(() => txnOffsetCommit(c, check, input));
  await settle();
  assert.equal(rejected.done, false, 'no answer before the commit');
  cluster.rejectCommits(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await settle();
  assert.deepEqual(codes(rejected), [ErrorCode.NOT_COORDINATOR]);
  assert.equal(c.offsets.hasPendingOffset('g', 'data', 0), false, 'nothing pending');

  const ok = track(() => txnOffsetCommit(c, check, input));
  await settle();
  assert.equal(ok.done, false);
  cluster.releaseCommits();
  await settle();
  assert.deepEqual(codes(ok), [ErrorCode.NONE]);
  assert.equal(c.offsets.hasPendingOffset('g', 'data', 0), true, 'pending until the COMMIT marker');
  assert.equal(cluster.partition(CONSUMER_OFFSETS_TOPIC, c.partitionFor('g')) !== undefined, true);
  c.shutdown();
});
