import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError } from '../../../src/common/errors.js';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { isControlBatch, isTransactionalBatch } from '../../../src/protocol/records/batch-header.js';
import {
  ControlRecordType,
  decodeControlRecordType,
  decodeEndTxnMarker,
  encodeControlBatch,
  encodeControlRecordKey,
  readControlRecordTypeAt,
} from '../../../src/protocol/records/control-record.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record.js';
import { validateRecordBatches } from '../../../src/protocol/records/validate.js';
import { assertKafkaError } from './helpers.js';

test('COMMIT and ABORT markers round trip', () => {
  for (const type of ['COMMIT', 'ABORT'] as const) {
    const buf = encodeControlBatch({ producerId: 99n, producerEpoch: 4, baseOffset: 500n, timestamp: 123n, type, coordinatorEpoch: 7, partitionLeaderEpoch: 2 });
    assert.ok(isControlBatch(buf));
    assert.ok(isTransactionalBatch(buf));
    const b = decodeRecordBatch(buf);
    assert.equal(b.isControl, true);
    assert.equal(b.isTransactional, true);
    assert.equal(b.producerId, 99n);
    assert.equal(b.producerEpoch, 4);
    assert.equal(b.baseSequence, -1);
    assert.equal(b.baseOffset, 500n);
    assert.equal(b.partitionLeaderEpoch, 2);
    assert.equal(b.records.length, 1);
    assert.equal(b.records[0]?.timestamp, 123n);
    assert.deepEqual(b.records[0]?.key, Buffer.from([0, 0, 0, type === 'COMMIT' ? 1 : 0]));
    assert.deepEqual(b.records[0]?.value, Buffer.from([0, 0, 0, 0, 0, 7]));
    assert.equal(decodeControlRecordType(b), type);
    assert.deepEqual(decodeEndTxnMarker(b), { type, version: 0, coordinatorEpoch: 7 });
    assert.equal(readControlRecordTypeAt(buf), type);
    // Clients may not produce control batches; internal writers may.
    assertKafkaError(() => validateRecordBatches(buf), ErrorCode.INVALID_RECORD, /control/);
    const info = validateRecordBatches(buf, { allowControl: true });
    assert.equal(info.isControl, true);
    assert.equal(info.isTransactional, true);
  }
});

test('other control types and malformed markers', () => {
  const lc = encodeRecordBatch({
    isControl: true,
    records: [{ key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE), value: Buffer.from([0, 0]) }],
  });
  assert.equal(decodeControlRecordType(decodeRecordBatch(lc)), 'LEADER_CHANGE');
  assert.equal(readControlRecordTypeAt(lc), 'LEADER_CHANGE');
  assert.throws(() => decodeEndTxnMarker(decodeRecordBatch(lc)), CorruptRecordError);
  const unknown = encodeRecordBatch({ isControl: true, records: [{ key: encodeControlRecordKey(42), value: null }] });
  assert.equal(decodeControlRecordType(decodeRecordBatch(unknown)), 'UNKNOWN');
  const shortKey = encodeRecordBatch({ isControl: true, records: [{ key: Buffer.from([0, 0]), value: null }] });
  assert.throws(() => decodeControlRecordType(decodeRecordBatch(shortKey)), CorruptRecordError);
  assert.throws(() => readControlRecordTypeAt(shortKey), CorruptRecordError);
  const shortValue = encodeRecordBatch({ isControl: true, records: [{ key: encodeControlRecordKey(1), value: Buffer.from([0, 0, 0]) }] });
  assert.throws(() => decodeEndTxnMarker(decodeRecordBatch(shortValue)), CorruptRecordError);
  const plain = encodeRecordBatch({ records: [{ value: 'x' }] });
  assert.equal(readControlRecordTypeAt(plain), null);
  assert.throws(() => decodeControlRecordType(decodeRecordBatch(plain)), CorruptRecordError);
  assert.throws(() => decodeControlRecordType(decodeRecordBatch(encodeRecordBatch({ isControl: true, records: [] }))), CorruptRecordError);
});
