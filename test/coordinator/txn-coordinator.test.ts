/**
 * The transaction coordinator driven in memory (CoordinatorDeps from
 * test/helpers/memory-coordinator-deps.ts, a ManualScheduler for time): an ongoing transaction
 * past its timeout is aborted by the periodic check (ABORT marker in its partitions, epoch
 * bumped, the old producer fenced), with no broker, no socket and no sleeps.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { TransactionCoordinator, type TxnCoordinatorSettings } from '../../src/txn/coordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/txn/txn-log.js';
import { TxnState } from '../../src/txn/txn-metadata.js';
import { decodeControlRecordType } from '../../src/protocol/records/control-record.js';
import { MemoryCluster } from '../helpers/memory-coordinator-deps.js';

const dir = mkdtempSync(join(tmpdir(), 'samsa-txn-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TIMEOUT_MS = 5_000;
const CHECK_MS = 1_000;

function settings(): TxnCoordinatorSettings {
  return { stateLogNumPartitions: 2, stateLogSegmentBytes: 1 << 20, cleanupIntervalMs: CHECK_MS, maxTimeoutMs: 60_000, idExpirationMs: 7 * 24 * 3600 * 1000 };
}

test('transaction timeout: an ongoing transaction past transaction.timeout.ms is aborted with a bumped epoch', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 1);
  const txn = new TransactionCoordinator(cluster.deps(settings()));
  txn.start();
  const { producerId, producerEpoch } = await txn.initProducerId('tid', TIMEOUT_MS, null);
  await txn.addPartitions('tid', producerId, producerEpoch, [{ topic: 'data', partition: 0 }]);
  assert.equal(txn.describe('tid')?.state, TxnState.Ongoing);

  cluster.scheduler.advance(TIMEOUT_MS);
  assert.equal(txn.describe('tid')?.state, TxnState.Ongoing, 'not aborted before its timeout has passed');
  cluster.scheduler.advance(CHECK_MS);
  const m = txn.describe('tid');
  assert.equal(m?.state, TxnState.CompleteAbort);
  assert.equal(m?.producerEpoch, producerEpoch + 1, 'the epoch is bumped, fencing the producer');
  const markers = (cluster.partition('data', 0)?.decoded() ?? []).filter((b) => b.isControl);
  assert.deepEqual(markers.map((b) => [decodeControlRecordType(b), b.producerId, b.producerEpoch]), [['ABORT', producerId, producerEpoch + 1]]);
  // The old epoch can no longer end the transaction.
  await assert.rejects(async () => txn.endTransaction('tid', producerId, producerEpoch, true), (e) => e instanceof KafkaError && e.code === ErrorCode.PRODUCER_FENCED);
  // Every transition was written to __transaction_state, so a new coordinator loads the same state.
  txn.shutdown();
  assert.ok((cluster.topics.get(TRANSACTION_STATE_TOPIC) ?? []).some((p) => p.logEndOffset > 0));
  const reloaded = new TransactionCoordinator(cluster.deps(settings()));
  reloaded.start();
  assert.deepEqual(reloaded.describe('tid'), m);
  reloaded.shutdown();
});

/** Polls `cond` (microtasks and immediates, no timers) until it holds, with a deadline. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function markersIn(cluster: MemoryCluster, topic: string, partition: number): [string, bigint, number][] {
  return (cluster.partition(topic, partition)?.decoded() ?? []).filter((b) => b.isControl).map((b) => [decodeControlRecordType(b), b.producerId, b.producerEpoch]);
}

function isCode(code: number): (e: unknown) => boolean {
  return (e) => e instanceof KafkaError && e.code === code;
}

test('a failed append leaves the transaction state unchanged: InitProducerId, AddPartitionsToTxn, EndTxn, expiry', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 2);
  const txn = new TransactionCoordinator(cluster.deps({ ...settings(), idExpirationMs: 60_000 }));
  txn.start();
  const first = await txn.initProducerId('tid', TIMEOUT_MS, null);
  const before = txn.describe('tid');

  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  await assert.rejects(async () => txn.initProducerId('tid', TIMEOUT_MS, null), isCode(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  assert.deepEqual(txn.describe('tid'), before, 'InitProducerId: the epoch is not bumped');

  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  await assert.rejects(async () => txn.addPartitions('tid', first.producerId, first.producerEpoch, [{ topic: 'data', partition: 0 }]), isCode(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  assert.deepEqual(txn.describe('tid'), before, 'AddPartitionsToTxn: still Empty, no partitions');
  assert.equal(txn.isPartitionInTransaction('tid', first.producerId, first.producerEpoch, 'data', 0), false);

  await txn.addPartitions('tid', first.producerId, first.producerEpoch, [{ topic: 'data', partition: 0 }]);
  const ongoing = txn.describe('tid');
  assert.equal(ongoing?.state, TxnState.Ongoing);
  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  await assert.rejects(async () => txn.endTransaction('tid', first.producerId, first.producerEpoch, true), isCode(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  assert.deepEqual(txn.describe('tid'), ongoing, 'EndTxn: the PrepareCommit record failed, so the transaction is still Ongoing');
  assert.deepEqual(markersIn(cluster, 'data', 0), [], 'no marker before the PrepareCommit record is committed');

  cluster.failAppends = { code: ErrorCode.MESSAGE_TOO_LARGE, count: 1 };
  await assert.rejects(async () => txn.addPartitions('tid', first.producerId, first.producerEpoch, [{ topic: 'data', partition: 1 }]), isCode(ErrorCode.UNKNOWN_SERVER_ERROR));
  assert.deepEqual(txn.describe('tid'), ongoing);

  await txn.endTransaction('tid', first.producerId, first.producerEpoch, true);
  const done = txn.describe('tid');
  assert.equal(done?.state, TxnState.CompleteCommit);
  assert.deepEqual(markersIn(cluster, 'data', 0), [['COMMIT', first.producerId, first.producerEpoch]]);

  // Expiry: the tombstone fails, so the transactional id stays; the next check removes it.
  cluster.failAppends = { code: ErrorCode.NOT_ENOUGH_REPLICAS, count: 1 };
  txn.runMaintenance(cluster.scheduler.now() + 60_000);
  assert.deepEqual(txn.describe('tid'), done);
  txn.runMaintenance(cluster.scheduler.now() + 60_000);
  assert.equal(txn.describe('tid'), undefined);
  txn.shutdown();
});

test('replay of the log rebuilds the same state: a new coordinator loads every transactional id as it was (expired ids stay gone)', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 3);
  const s = { ...settings(), stateLogNumPartitions: 3, idExpirationMs: 50_000 };
  const txn = new TransactionCoordinator(cluster.deps(s));
  txn.start();
  const ids = ['committed', 'aborted', 'ongoing', 'empty', 'bumped', 'expired'];
  const timeoutMs = 40_000; // the ongoing transaction must outlive the maintenance run below
  const p: Record<string, { producerId: bigint; producerEpoch: number }> = {};
  p.expired = await txn.initProducerId('expired', timeoutMs, null);
  cluster.scheduler.advance(30_000);
  for (const id of ids.filter((i) => i !== 'expired')) p[id] = await txn.initProducerId(id, timeoutMs, null);
  p.bumped = await txn.initProducerId('bumped', timeoutMs, null);
  for (const id of ['committed', 'aborted', 'ongoing']) {
    const { producerId, producerEpoch } = p[id] as { producerId: bigint; producerEpoch: number };
    await txn.addPartitions(id, producerId, producerEpoch, [{ topic: 'data', partition: 0 }, { topic: 'data', partition: 2 }]);
  }
  await txn.endTransaction('committed', p.committed!.producerId, p.committed!.producerEpoch, true);
  await txn.endTransaction('aborted', p.aborted!.producerId, p.aborted!.producerEpoch, false);
  txn.runMaintenance(cluster.scheduler.now() + 25_000); // expires 'expired' only
  assert.equal(txn.describe('expired'), undefined);
  txn.shutdown();

  const reloaded = new TransactionCoordinator(cluster.deps(s));
  reloaded.start();
  for (const id of ids) {
    const live = txn.describe(id);
    // lastProducerEpoch is not in the log (nor in Kafka's): a loaded value has none.
    assert.deepEqual(reloaded.describe(id), live && { ...live, lastProducerEpoch: -1 }, id);
  }
  assert.equal(txn.describe('bumped')?.producerEpoch, 1);
  assert.equal(txn.describe('ongoing')?.state, TxnState.Ongoing);
  // The reloaded coordinator hands out producer ids above every one in the log.
  const fresh = await reloaded.initProducerId(null, timeoutMs, null);
  assert.ok(ids.every((id) => (p[id]?.producerId ?? 0n) < fresh.producerId));
  reloaded.shutdown();
});

test('a held commit: EndTxn answers once the PrepareCommit record commits; the CompleteCommit record waits for the markers to commit', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 1);
  const txn = new TransactionCoordinator(cluster.deps(settings()));
  txn.start();
  const heard: [string, number, boolean][] = [];
  txn.markers.onMarker((topic, partition, marker) => void heard.push([topic, partition, marker.commit]));
  const { producerId, producerEpoch } = await txn.initProducerId('tid', TIMEOUT_MS, null);
  await txn.addPartitions('tid', producerId, producerEpoch, [{ topic: 'data', partition: 0 }]);
  const ongoing = txn.describe('tid');

  cluster.holdCommits = true;
  let answered: unknown = null;
  const end = Promise.resolve(txn.endTransaction('tid', producerId, producerEpoch, true)).then((r) => (answered = r));
  await until(() => cluster.heldCommits === 1, 'the PrepareCommit append');
  assert.equal(answered, null, 'no answer before the PrepareCommit record is committed');
  assert.deepEqual(txn.describe('tid'), ongoing, 'the state changes only when the PrepareCommit record is committed and replayed');
  assert.deepEqual(markersIn(cluster, 'data', 0), [], 'no marker before the PrepareCommit record is committed');

  // The PrepareCommit commits: the answer, then the marker (its commit held too); CompleteCommit waits for the marker.
  cluster.releaseCommits();
  assert.deepEqual(await end, { producerId, producerEpoch });
  assert.equal(txn.describe('tid')?.state, TxnState.PrepareCommit);
  assert.deepEqual(markersIn(cluster, 'data', 0), [['COMMIT', producerId, producerEpoch]]);
  assert.deepEqual(heard, [], 'the marker listener waits for the marker to be committed');
  assert.equal(cluster.heldCommits, 1, 'only the marker: CompleteCommit is written once the markers are committed');
  // Meanwhile the transactional id is busy: retriable, and nothing is written.
  const stateEnd = cluster.partition(TRANSACTION_STATE_TOPIC, txn.partitionFor('tid'))?.logEndOffset;
  await assert.rejects(async () => txn.endTransaction('tid', producerId, producerEpoch, true), isCode(ErrorCode.CONCURRENT_TRANSACTIONS));
  await assert.rejects(async () => txn.addPartitions('tid', producerId, producerEpoch, [{ topic: 'data', partition: 0 }]), isCode(ErrorCode.CONCURRENT_TRANSACTIONS));
  assert.equal(cluster.partition(TRANSACTION_STATE_TOPIC, txn.partitionFor('tid'))?.logEndOffset, stateEnd);

  cluster.releaseCommits();
  await until(() => cluster.heldCommits === 1, 'the CompleteCommit append');
  assert.deepEqual(heard, [['data', 0, true]]);
  assert.equal(txn.describe('tid')?.state, TxnState.PrepareCommit);
  cluster.holdCommits = false;
  cluster.releaseCommits();
  await until(() => txn.describe('tid')?.state === TxnState.CompleteCommit, 'CompleteCommit');
  // The client's retry of EndTxn now succeeds at once.
  assert.deepEqual(await txn.endTransaction('tid', producerId, producerEpoch, true), { producerId, producerEpoch });
  txn.shutdown();
});
