/**
 * The transaction APIs over TCP with exact requests: InitProducerId (idempotent and
 * transactional, timeouts, fencing, expected id/epoch, epoch exhaustion), AddPartitionsToTxn,
 * EndTxn state errors, transactional Produce checks, transaction timeouts, WriteTxnMarkers and
 * the admin APIs (DescribeTransactions, ListTransactions, DescribeProducers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { latestOffset, readPartition, TxnWire, visibleRecords, waitFor } from './helpers.js';

let broker: RunningBroker;
let w: TxnWire;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: {
      'transaction.state.log.num.partitions': 3,
      'transaction.max.timeout.ms': 120_000,
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 100,
    },
  });
  w = await TxnWire.connect(broker.port);
  await w.createTopic('t', 2);
});

after(async () => {
  w?.close();
  await broker?.stop();
});

test('InitProducerId without a transactional id hands out fresh producer ids with epoch 0', async () => {
  const a = await w.initProducerId(null);
  const b = await w.initProducerId(null);
  assert.equal(a.errorCode, 0);
  assert.equal(a.producerEpoch, 0);
  assert.notEqual(a.producerId, b.producerId);
  assert.equal((await w.initProducerId('', 1000)).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await w.initProducerId('x', 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal((await w.initProducerId('x', 120_001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
});

test('transactional InitProducerId bumps the epoch; stale producers are fenced everywhere', async () => {
  const id = 'fence-me';
  const first = await w.initProducerId(id);
  assert.equal(first.errorCode, 0);
  assert.equal(first.producerEpoch, 0);
  const second = await w.initProducerId(id);
  assert.equal(second.producerId, first.producerId);
  assert.equal(second.producerEpoch, 1);
  // The old epoch is fenced in AddPartitions (v2+: PRODUCER_FENCED, v1: INVALID_PRODUCER_EPOCH) and EndTxn.
  assert.deepEqual(await w.addPartitions(id, first.producerId, 0, 't', [0]), { 't/0': ErrorCode.PRODUCER_FENCED });
  assert.deepEqual(await w.addPartitions(id, first.producerId, 0, 't', [0], 1), { 't/0': ErrorCode.INVALID_PRODUCER_EPOCH });
  assert.deepEqual(await w.addPartitions(id, 999_999n, 1, 't', [0]), { 't/0': ErrorCode.INVALID_PRODUCER_ID_MAPPING });
  assert.equal(await w.endTxn(id, first.producerId, 0, true), ErrorCode.PRODUCER_FENCED);
  // KIP-360: a producer re-initializing with its current id/epoch gets the next epoch; a stale one is fenced.
  const resumed = await w.initProducerId(id, 60_000, 4, { producerId: second.producerId, producerEpoch: 1 });
  assert.equal(resumed.errorCode, 0);
  assert.equal(resumed.producerEpoch, 2);
  const retried = await w.initProducerId(id, 60_000, 4, { producerId: second.producerId, producerEpoch: 1 });
  assert.equal(retried.producerEpoch, 2, 'a retry of the same call is answered with the same epoch');
  assert.equal((await w.initProducerId(id, 60_000, 4, { producerId: second.producerId, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED);
  assert.equal((await w.initProducerId(id, 60_000, 3, { producerId: 424242n, producerEpoch: 0 })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal((await w.initProducerId(id, 60_000, 4, { producerId: 424242n, producerEpoch: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
});

test('state errors: EndTxn without a transaction, repeated EndTxn, unknown partitions, produce outside the transaction', async () => {
  const id = 'states';
  const { producerId, producerEpoch } = await w.initProducerId(id);
  assert.equal(await w.endTxn(id, producerId, producerEpoch, true), ErrorCode.INVALID_TXN_STATE, 'nothing to commit');
  assert.deepEqual(await w.addPartitions(id, producerId, producerEpoch, 'nope', [0]), { 'nope/0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  const mixed = await w.c.request<{ resultsByTopicV3AndBelow: { name: string; resultsByPartition: { partitionErrorCode: number }[] }[] }>(24, 3, {
    v3AndBelowTransactionalId: id,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: 't', partitions: [0, 7] }],
  });
  assert.deepEqual(mixed.resultsByTopicV3AndBelow[0]?.resultsByPartition.map((p) => p.partitionErrorCode), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

  // Transactional records need a transactional id, and their partition in the transaction.
  const batch = { producerId, producerEpoch, baseSequence: 0, transactional: true, values: ['x'] };
  assert.equal((await w.produce('t', 0, batch, null))[0], ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  assert.equal((await w.produce('t', 0, batch, id))[0], ErrorCode.INVALID_TXN_STATE);
  assert.deepEqual(await w.addPartitions(id, producerId, producerEpoch, 't', [0]), { 't/0': 0 });
  assert.equal((await w.produce('t', 1, batch, id))[0], ErrorCode.INVALID_TXN_STATE, 'partition 1 was not added');
  assert.equal((await w.produce('t', 0, batch, id))[0], 0);
  assert.equal((await w.produce('t', 0, { ...batch, baseSequence: 1, transactional: false }, id))[0], ErrorCode.INVALID_TXN_STATE, 'plain batch inside a transaction');
  const d = await w.describeTxn(id);
  assert.equal(d.transactionState, 'Ongoing');
  assert.deepEqual(d.topics, [{ topic: 't', partitions: [0] }]);

  assert.equal(await w.endTxn(id, producerId, producerEpoch, true), 0);
  assert.equal(await w.endTxn(id, producerId, producerEpoch, true), 0, 'a retried commit succeeds');
  assert.equal(await w.endTxn(id, producerId, producerEpoch, false), ErrorCode.INVALID_TXN_STATE, 'abort after commit');
  assert.equal((await w.describeTxn(id)).transactionState, 'CompleteCommit');
  assert.equal((await w.describeTxn('never-seen')).errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
});

test('a transaction past its timeout is aborted with a bumped epoch and the LSO moves on', async () => {
  const id = 'slow';
  await w.createTopic('slow', 1);
  const { producerId, producerEpoch } = await w.initProducerId(id, 400);
  assert.deepEqual(await w.addPartitions(id, producerId, producerEpoch, 'slow', [0]), { 'slow/0': 0 });
  assert.equal((await w.produce('slow', 0, { producerId, producerEpoch, baseSequence: 0, transactional: true, values: ['late'] }, id))[0], 0);
  assert.equal(await latestOffset(broker.port, 'slow', 0, 1), 0n, 'LSO held by the open transaction');
  await waitFor(async () => (await w.describeTxn(id)).transactionState === 'CompleteAbort', 5_000, 'the timeout abort');
  const d = await w.describeTxn(id);
  assert.equal(d.producerEpoch, producerEpoch + 1, 'the abort fenced the producer');
  assert.equal(await latestOffset(broker.port, 'slow', 0, 1), 2n);
  assert.deepEqual(visibleRecords(await readPartition(broker.port, 'slow', 0, 1), true), []);
  assert.equal(await w.endTxn(id, producerId, producerEpoch, true), ErrorCode.PRODUCER_FENCED);
  assert.equal((await w.produce('slow', 0, { producerId, producerEpoch, baseSequence: 1, transactional: true, values: ['zombie'] }, id))[0], ErrorCode.INVALID_PRODUCER_EPOCH);
});

test('an exhausted epoch rotates to a new producer id', async () => {
  const id = 'exhaust';
  let r = await w.initProducerId(id);
  const firstId = r.producerId;
  // Pipeline the bumps: 32766 InitProducerId calls take the epoch to Short.MAX_VALUE - 1.
  for (let done = 1; done <= 32766; done += 500) {
    const n = Math.min(500, 32767 - done);
    const all = await Promise.all(Array.from({ length: n }, () => w.initProducerId(id)));
    r = all[all.length - 1] as typeof r;
  }
  assert.equal(r.producerId, firstId);
  assert.equal(r.producerEpoch, 32766);
  const rotated = await w.initProducerId(id);
  assert.equal(rotated.errorCode, 0);
  assert.notEqual(rotated.producerId, firstId);
  assert.equal(rotated.producerEpoch, 0);
  // The new producer works.
  assert.deepEqual(await w.addPartitions(id, rotated.producerId, 0, 't', [1]), { 't/1': 0 });
  assert.equal(await w.endTxn(id, rotated.producerId, 0, false), 0);
});

test('WriteTxnMarkers, DescribeProducers and ListTransactions', async () => {
  const id = 'admin';
  await w.createTopic('adm', 1);
  const { producerId, producerEpoch } = await w.initProducerId(id);
  await w.addPartitions(id, producerId, producerEpoch, 'adm', [0]);
  await w.produce('adm', 0, { producerId, producerEpoch, baseSequence: 0, transactional: true, values: ['a', 'b'] }, id);

  const prod = await w.c.request<{ topics: { partitions: { errorCode: number; activeProducers: { producerId: bigint; producerEpoch: number; lastSequence: number; currentTxnStartOffset: bigint }[] }[] }[] }>(61, 0, {
    topics: [{ name: 'adm', partitionIndexes: [0, 5] }],
  });
  const parts = prod.topics[0]?.partitions ?? [];
  assert.equal(parts[1]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.deepEqual(
    parts[0]?.activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence, p.currentTxnStartOffset]),
    [[producerId, producerEpoch, 1, 0n]],
  );

  const list = await w.c.request<{ errorCode: number; unknownStateFilters: string[]; transactionStates: { transactionalId: string; transactionState: string }[] }>(66, 1, {
    stateFilters: ['Ongoing', 'Bogus'],
    producerIdFilters: [],
    durationFilter: -1n,
  });
  assert.equal(list.errorCode, 0);
  assert.deepEqual(list.unknownStateFilters, ['Bogus']);
  assert.ok(list.transactionStates.some((s) => s.transactionalId === id && s.transactionState === 'Ongoing'));
  assert.ok(list.transactionStates.every((s) => s.transactionState === 'Ongoing'));

  // A marker written directly (as another coordinator would) closes the transaction in the partition.
  const res = await w.c.request<{ markers: { topics: { partitions: { errorCode: number }[] }[] }[] }>(27, 1, {
    markers: [{ producerId, producerEpoch, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'adm', partitionIndexes: [0, 9] }] }],
  });
  assert.deepEqual(res.markers[0]?.topics[0]?.partitions.map((p) => p.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal(await latestOffset(broker.port, 'adm', 0, 1), 3n);
  const old = await w.c.request<{ markers: { topics: { partitions: { errorCode: number }[] }[] }[] }>(27, 1, {
    markers: [{ producerId, producerEpoch: producerEpoch - 1, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 'adm', partitionIndexes: [0] }] }],
  });
  assert.equal(old.markers[0]?.topics[0]?.partitions[0]?.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
});

test('TxnOffsetCommit: offsets become visible on commit, are dropped on abort, and need AddOffsetsToTxn and the current epoch', async () => {
  const id = 'offsets-txn';
  const group = 'txn-offsets-group';
  const fetchOffset = async (): Promise<bigint> => {
    const res = await w.c.request<{ topics: { partitions: { committedOffset: bigint }[] }[] }>(9, 7, { groupId: group, topics: [{ name: 't', partitionIndexes: [0] }], requireStable: false });
    return res.topics[0]?.partitions[0]?.committedOffset ?? -2n;
  };
  const commitOffset = async (producerId: bigint, producerEpoch: number, offset: bigint): Promise<number> => {
    const res = await w.c.request<{ topics: { partitions: { errorCode: number }[] }[] }>(28, 2, {
      transactionalId: id, groupId: group, producerId, producerEpoch,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
    });
    return res.topics[0]?.partitions[0]?.errorCode ?? -1;
  };
  const addOffsets = async (producerId: bigint, producerEpoch: number): Promise<number> =>
    (await w.c.request<{ errorCode: number }>(25, 3, { transactionalId: id, producerId, producerEpoch, groupId: group })).errorCode;

  const { producerId, producerEpoch } = await w.initProducerId(id);
  assert.equal(await commitOffset(producerId, producerEpoch, 5n), ErrorCode.INVALID_TXN_STATE, 'AddOffsetsToTxn first');
  assert.equal(await addOffsets(producerId, producerEpoch), 0);
  assert.equal(await commitOffset(producerId, producerEpoch + 1, 5n), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(await commitOffset(producerId, producerEpoch, 5n), 0);
  assert.equal(await fetchOffset(), -1n, 'pending until the transaction commits');
  assert.equal(await w.endTxn(id, producerId, producerEpoch, true), 0);
  assert.equal(await fetchOffset(), 5n);

  assert.equal(await addOffsets(producerId, producerEpoch), 0);
  assert.equal(await commitOffset(producerId, producerEpoch, 9n), 0);
  assert.equal(await w.endTxn(id, producerId, producerEpoch, false), 0);
  assert.equal(await fetchOffset(), 5n, 'aborted offsets are dropped');
});

test('AddPartitionsToTxn v4+: batched transactions and verifyOnly', async () => {
  const id = 'batched';
  const { producerId, producerEpoch } = await w.initProducerId(id);
  type Res = { errorCode: number; resultsByTransaction: { transactionalId: string; topicResults: { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] }[] }[] };
  const call = (verifyOnly: boolean, partitions: number[], epoch = producerEpoch): Promise<Res> =>
    w.c.request<Res>(24, 5, { transactions: [{ transactionalId: id, producerId, producerEpoch: epoch, verifyOnly, topics: [{ name: 't', partitions }] }] });
  const codes = (r: Res): number[] => r.resultsByTransaction[0]?.topicResults[0]?.resultsByPartition.map((p) => p.partitionErrorCode) ?? [];
  assert.deepEqual(codes(await call(false, [0])), [0]);
  assert.deepEqual(codes(await call(true, [0, 1])), [0, ErrorCode.TRANSACTION_ABORTABLE]);
  assert.deepEqual(codes(await call(true, [0], producerEpoch + 1)), [ErrorCode.PRODUCER_FENCED]);
  assert.equal((await w.describeTxn(id)).topics.length, 1, 'verifyOnly adds nothing');
  assert.equal(await w.endTxn(id, producerId, producerEpoch, false), 0);
});
