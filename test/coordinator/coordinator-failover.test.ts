/**
 * The coordinators follow the leadership of their internal partitions, driven in memory
 * (test/helpers/memory-coordinator-deps.ts; `notLed` marks partitions another broker leads): two
 * coordinators over one log hand a partition over (unload answers NOT_COORDINATOR, load replays the
 * log), and markers for partitions led elsewhere are sent to their leader, retried until
 * acknowledged, before the Complete* record is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { GroupCoordinator, OFFSETS_TOPIC } from '../../src/group/coordinator.js';
import { partitionForGroup } from '../../src/group/java-hash.js';
import type { GroupCoordinatorSettings } from '../../src/group/runtime.js';
import { TransactionCoordinator, type TxnCoordinatorSettings } from '../../src/txn/coordinator.js';
import type { MarkerRouting, TxnMarker } from '../../src/txn/markers.js';
import { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from '../../src/txn/txn-log.js';
import { TxnState } from '../../src/txn/txn-metadata.js';
import { MemoryCluster } from '../helpers/memory-coordinator-deps.js';

const GROUP_SETTINGS: GroupCoordinatorSettings = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  newMemberJoinTimeoutMs: 300_000,
  offsetsTopicNumPartitions: 3,
  offsetsTopicSegmentBytes: 1 << 20,
  offsetsRetentionCheckIntervalMs: 600_000,
};

const TXN_SETTINGS: TxnCoordinatorSettings = { stateLogNumPartitions: 3, stateLogSegmentBytes: 1 << 20, cleanupIntervalMs: 1000, maxTimeoutMs: 60_000, idExpirationMs: 7 * 24 * 3600 * 1000 };

function isCode(code: number): (e: unknown) => boolean {
  return (e) => e instanceof KafkaError && e.code === code;
}

/** Polls `cond` (microtasks and immediates, no timers) until it holds, with a deadline. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

test('group coordinator: losing the leadership of an offsets partition unloads its groups (NOT_COORDINATOR); the new leader loads their offsets', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 2);
  cluster.createTopic(OFFSETS_TOPIC, 3);
  const groupId = 'g';
  const p = partitionForGroup(groupId, 3);
  const key = `${OFFSETS_TOPIC}-${p}`;
  // Broker A leads the group's partition; broker B follows it.
  const a = new GroupCoordinator(cluster.deps(GROUP_SETTINGS));
  a.start();
  const codes = await a.commitOffsets(a.getOrCreateGroup(groupId), { memberId: '', groupInstanceId: null, generationId: -1, retentionTimeMs: -1, partitions: [{ topic: 'data', partition: 1, offset: 42n, leaderEpoch: 0, metadata: '', commitTimestamp: -1 }] }, () => true);
  assert.deepEqual(codes.map((c) => c.errorCode), [ErrorCode.NONE]);

  cluster.notLed.add(key);
  const b = new GroupCoordinator(cluster.deps(GROUP_SETTINGS));
  b.start();
  assert.throws(() => b.checkAvailable(groupId), isCode(ErrorCode.NOT_COORDINATOR), 'a follower does not coordinate the group');

  // The leadership moves from A to B.
  a.onBecameFollower(p);
  assert.throws(() => a.checkAvailable(groupId), isCode(ErrorCode.NOT_COORDINATOR));
  assert.equal(a.group(groupId), undefined, 'A forgot the group');
  assert.deepEqual(a.fetchOffsets(groupId, [{ name: 'data', partitions: [1] }])[0]?.offset, -1n, 'A forgot its offsets');
  cluster.notLed.delete(key);
  b.onBecameLeader(p);
  await until(() => !b.isLoading, 'B to load the partition');
  b.checkAvailable(groupId);
  assert.equal(b.fetchOffsets(groupId, [{ name: 'data', partitions: [1] }])[0]?.offset, 42n, 'B serves the committed offset');
  a.shutdown();
  b.shutdown();
});

test('transaction coordinator: a transactional id moves with its partition; the new leader completes a transaction left in PrepareCommit', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 1);
  cluster.createTopic(TRANSACTION_STATE_TOPIC, 3);
  const id = 'tid';
  const p = partitionForTransactionalId(id, 3);
  const key = `${TRANSACTION_STATE_TOPIC}-${p}`;
  const a = new TransactionCoordinator(cluster.deps(TXN_SETTINGS));
  a.start();
  const ids = await a.initProducerId(id, 10_000, null);
  await a.addPartitions(id, ids.producerId, ids.producerEpoch, [{ topic: 'data', partition: 0 }]);
  // The PrepareCommit record commits, the markers wait (as when the coordinator dies right after).
  cluster.holdCommits = true;
  const ended = a.endTransaction(id, ids.producerId, ids.producerEpoch, true);
  cluster.releaseCommits();
  await ended;
  assert.equal(a.describe(id)?.state, TxnState.PrepareCommit);

  cluster.notLed.add(key);
  a.onBecameFollower(p);
  cluster.rejectCommits(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  cluster.holdCommits = false;
  assert.equal(a.describe(id), undefined, 'A forgot the id');
  await assert.rejects(async () => a.initProducerId(id, 10_000, null), isCode(ErrorCode.NOT_COORDINATOR));

  const b = new TransactionCoordinator(cluster.deps(TXN_SETTINGS));
  b.start();
  await assert.rejects(async () => b.addPartitions(id, ids.producerId, ids.producerEpoch, [{ topic: 'data', partition: 0 }]), isCode(ErrorCode.NOT_COORDINATOR));
  cluster.notLed.delete(key);
  b.onBecameLeader(p);
  await until(() => b.describe(id)?.state === TxnState.CompleteCommit, 'B to complete the commit');
  const markers = (cluster.partition('data', 0)?.decoded() ?? []).filter((x) => x.isControl);
  assert.ok(markers.length >= 1, 'the COMMIT marker is written');
  a.shutdown();
  b.shutdown();
});

test('markers for partitions led by other brokers are sent to them, again after retriable errors; Complete* waits for every acknowledgement', async () => {
  const cluster = new MemoryCluster();
  cluster.createTopic('data', 2);
  cluster.createTopic(TRANSACTION_STATE_TOPIC, 3);
  const sent: { brokerId: number; topic: string; partition: number; marker: TxnMarker }[] = [];
  let release: ((code: number) => void) | null = null;
  let leaderOfData1 = 2;
  const routing: MarkerRouting = {
    leaderOf: (topic, partition) => (topic === 'data' && partition === 1 ? leaderOfData1 : 'local'),
    send(brokerId, topic, partition, marker) {
      sent.push({ brokerId, topic, partition, marker });
      // The first leader answers NOT_LEADER_OR_FOLLOWER (it was replaced); the next one holds its answer.
      if (sent.length === 1) {
        leaderOfData1 = 3;
        return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      }
      return new Promise((resolve) => (release = resolve));
    },
    backoff: () => Promise.resolve(),
  };
  const txn = new TransactionCoordinator({ ...cluster.deps(TXN_SETTINGS), markerRouting: routing });
  txn.start();
  const ids = await txn.initProducerId('tid', 10_000, null);
  await txn.addPartitions('tid', ids.producerId, ids.producerEpoch, [{ topic: 'data', partition: 0 }, { topic: 'data', partition: 1 }]);
  await txn.endTransaction('tid', ids.producerId, ids.producerEpoch, true);
  await until(() => release !== null, 'the marker to reach the new leader');
  assert.deepEqual(sent.map((s) => [s.brokerId, s.topic, s.partition, s.marker.commit]), [[2, 'data', 1, true], [3, 'data', 1, true]]);
  assert.equal((cluster.partition('data', 0)?.decoded() ?? []).filter((x) => x.isControl).length, 1, 'the local partition got its marker');
  assert.equal((cluster.partition('data', 1)?.decoded() ?? []).length, 0, 'nothing written locally for the remote partition');
  assert.equal(txn.describe('tid')?.state, TxnState.PrepareCommit, 'not complete before every marker is acknowledged');
  await assert.rejects(async () => txn.initProducerId('tid', 10_000, null), isCode(ErrorCode.CONCURRENT_TRANSACTIONS));
  (release as unknown as (code: number) => void)(ErrorCode.NONE);
  await until(() => txn.describe('tid')?.state === TxnState.CompleteCommit, 'CompleteCommit');
  txn.shutdown();
});
