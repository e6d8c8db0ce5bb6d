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
  return { producerIdDir: dir, stateLogNumPartitions: 2, stateLogSegmentBytes: 1 << 20, cleanupIntervalMs: CHECK_MS, maxTimeoutMs: 60_000, idExpirationMs: 7 * 24 * 3600 * 1000 };
}

test('transaction timeout: an ongoing transaction past transaction.timeout.ms is aborted with a bumped epoch', () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 1);
  const txn = new TransactionCoordinator(cluster.deps(settings()));
  txn.start();
  const { producerId, producerEpoch } = txn.initProducerId('tid', TIMEOUT_MS, null);
  txn.addPartitions('tid', producerId, producerEpoch, [{ topic: 'data', partition: 0 }]);
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
  assert.throws(() => txn.endTransaction('tid', producerId, producerEpoch, true), (e) => e instanceof KafkaError && e.code === ErrorCode.PRODUCER_FENCED);
  // Every transition was written to __transaction_state, so a new coordinator loads the same state.
  txn.shutdown();
  assert.ok((cluster.topics.get(TRANSACTION_STATE_TOPIC) ?? []).some((p) => p.logEndOffset > 0));
  const reloaded = new TransactionCoordinator(cluster.deps(settings()));
  reloaded.start();
  assert.deepEqual(reloaded.describe('tid'), m);
  reloaded.shutdown();
});
