/**
 * Restarts with transactions and idempotent producers in flight:
 * - kill -9 with an open transaction: after the restart the coordinator aborts it at its timeout,
 *   the last stable offset moves past it and read_committed readers see only committed data;
 *   idempotent producer state (duplicates, sequences) survives;
 * - a crash after PrepareCommit was logged but before the markers: the restarted coordinator
 *   writes the markers and completes the commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { TRANSACTION_STATE_TOPIC, partitionForTransactionalId, txnLogKey, txnLogValue } from '../../src/txn/txn-log.js';
import { TxnState } from '../../src/txn/txn-metadata.js';
import { removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { latestOffset, readPartition, TxnWire, visibleRecords, waitFor } from './helpers.js';

const OVERRIDES = { 'transaction.state.log.num.partitions': 3, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200 };

test('kill -9 with an open transaction: it is aborted after the restart, the LSO advances, idempotent state survives', async () => {
  const dataDir = tempDir();
  let b = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
  try {
    let w = await TxnWire.connect(b.port);
    await w.createTopic('r', 2);
    // An open transaction on both partitions, with a 4 s timeout.
    const open = await w.initProducerId('open-1', 4_000);
    assert.deepEqual(await w.addPartitions('open-1', open.producerId, open.producerEpoch, 'r', [0, 1]), { 'r/0': 0, 'r/1': 0 });
    for (const p of [0, 1]) {
      const [code] = await w.produce('r', p, { producerId: open.producerId, producerEpoch: open.producerEpoch, baseSequence: 0, transactional: true, values: [`open-${p}`] }, 'open-1');
      assert.equal(code, 0);
    }
    // A committed transaction after it.
    const done = await w.initProducerId('done-1');
    await w.addPartitions('done-1', done.producerId, done.producerEpoch, 'r', [0]);
    await w.produce('r', 0, { producerId: done.producerId, producerEpoch: done.producerEpoch, baseSequence: 0, transactional: true, values: ['done-a', 'done-b'] }, 'done-1');
    assert.equal(await w.endTxn('done-1', done.producerId, done.producerEpoch, true), 0);
    // An idempotent producer.
    const idem = await w.initProducerId(null);
    const first = await w.produce('r', 1, { producerId: idem.producerId, producerEpoch: 0, baseSequence: 0, values: ['i0', 'i1', 'i2'] });
    const second = await w.produce('r', 1, { producerId: idem.producerId, producerEpoch: 0, baseSequence: 3, values: ['i3', 'i4'] });
    assert.deepEqual([first[0], second[0]], [0, 0]);
    assert.equal(await latestOffset(b.port, 'r', 0, 1), 0n, 'LSO held at the open transaction');
    w.close();

    await b.kill();
    b = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
    w = await TxnWire.connect(b.port);

    // Idempotence state came back: the last batch is a duplicate, the next sequence continues.
    assert.deepEqual(await w.produce('r', 1, { producerId: idem.producerId, producerEpoch: 0, baseSequence: 3, values: ['i3', 'i4'] }), [0, second[1]]);
    assert.equal((await w.produce('r', 1, { producerId: idem.producerId, producerEpoch: 0, baseSequence: 9, values: ['gap'] }))[0], ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await w.produce('r', 1, { producerId: idem.producerId, producerEpoch: 0, baseSequence: 5, values: ['i5'] }))[0], 0);

    // The open transaction is still open (state and LSO rebuilt), until its timeout aborts it.
    assert.equal(await latestOffset(b.port, 'r', 0, 1), 0n, 'LSO still held right after the restart');
    await waitFor(async () => (await w.describeTxn('open-1')).transactionState === 'CompleteAbort', 15_000, 'the abort of open-1');
    for (const p of [0, 1]) {
      const rc = await readPartition(b.port, 'r', p, 1);
      assert.equal(rc.lastStableOffset, rc.highWatermark, `partition ${p}: LSO caught up with HW`);
      const values = visibleRecords(rc, true).map((r) => r.value);
      assert.deepEqual(values, p === 0 ? ['done-a', 'done-b'] : ['i0', 'i1', 'i2', 'i3', 'i4', 'i5']);
      assert.ok(visibleRecords(await readPartition(b.port, 'r', p, 0), false).some((r) => r.value === `open-${p}`));
    }
    // The fenced producer cannot finish its transaction.
    assert.equal(await w.endTxn('open-1', open.producerId, open.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
    w.close();
  } finally {
    await b.kill();
    removeDir(dataDir);
  }
});

test('a commit interrupted after PrepareCommit is completed when the coordinator loads', async () => {
  const dataDir = tempDir();
  try {
    let running = await startBroker({ port: 0, dataDir, config: OVERRIDES });
    let w = await TxnWire.connect(running.port);
    await w.createTopic('prep', 2);
    const { producerId, producerEpoch } = await w.initProducerId('prep-1');
    await w.addPartitions('prep-1', producerId, producerEpoch, 'prep', [0, 1]);
    for (const p of [0, 1]) await w.produce('prep', p, { producerId, producerEpoch, baseSequence: 0, transactional: true, values: [`v${p}`] }, 'prep-1');
    w.close();
    // What the coordinator logs first on EndTxn(commit), as if the broker died right after it.
    const meta = running.broker.txnCoordinator.describe('prep-1');
    assert.ok(meta);
    const part = running.broker.replicas.partition(TRANSACTION_STATE_TOPIC, partitionForTransactionalId('prep-1', 3));
    assert.ok(part);
    part.appendAsLeader(encodeRecordBatch({ records: [{ key: txnLogKey('prep-1'), value: txnLogValue({ ...meta, state: TxnState.PrepareCommit }) }] }));
    await running.stop();

    running = await startBroker({ port: 0, dataDir, config: OVERRIDES });
    try {
      w = await TxnWire.connect(running.port);
      const d = await w.describeTxn('prep-1');
      assert.equal(d.transactionState, 'CompleteCommit');
      for (const p of [0, 1]) {
        const rc = await readPartition(running.port, 'prep', p, 1);
        assert.equal(rc.lastStableOffset, rc.highWatermark);
        assert.deepEqual(visibleRecords(rc, true).map((r) => r.value), [`v${p}`]);
        assert.equal(rc.aborted.length, 0);
      }
      assert.equal(await w.endTxn('prep-1', producerId, producerEpoch, true), 0, 'the client retrying its commit succeeds');
      w.close();
    } finally {
      await running.stop();
    }
  } finally {
    removeDir(dataDir);
  }
});

test('offsets sent in a transaction that is still open at a restart are applied when it commits afterwards', async () => {
  const dataDir = tempDir();
  const id = 'offsets-across-restart';
  const group = 'restart-group';
  try {
    let running = await startBroker({ port: 0, dataDir, config: OVERRIDES });
    let w = await TxnWire.connect(running.port);
    await w.createTopic('src', 1);
    const { producerId, producerEpoch } = await w.initProducerId(id);
    assert.equal((await w.c.request<{ errorCode: number }>(25, 3, { transactionalId: id, producerId, producerEpoch, groupId: group })).errorCode, 0);
    const commit = await w.c.request<{ topics: { partitions: { errorCode: number }[] }[] }>(28, 3, {
      transactionalId: id, groupId: group, producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'src', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    assert.equal(commit.topics[0]?.partitions[0]?.errorCode, 0);
    w.close();
    await running.stop();

    running = await startBroker({ port: 0, dataDir, config: OVERRIDES });
    try {
      w = await TxnWire.connect(running.port);
      const fetch = async (): Promise<bigint> => {
        const res = await w.c.request<{ topics: { partitions: { committedOffset: bigint }[] }[] }>(9, 7, { groupId: group, topics: [{ name: 'src', partitionIndexes: [0] }], requireStable: false });
        return res.topics[0]?.partitions[0]?.committedOffset ?? -2n;
      };
      assert.equal(await fetch(), -1n, 'still pending after the restart');
      assert.equal(await w.endTxn(id, producerId, producerEpoch, true), 0);
      assert.equal(await fetch(), 42n);
      w.close();
    } finally {
      await running.stop();
    }
  } finally {
    removeDir(dataDir);
  }
});
