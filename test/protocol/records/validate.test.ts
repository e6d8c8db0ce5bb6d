import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { ATTRIBUTES_OFFSET, CompressionType, MAGIC_OFFSET } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch, rewriteBatchCrc, type RecordBatchInput } from '../../../src/protocol/records/record.js';
import { incrementSequence, validateRecordBatches } from '../../../src/protocol/records/validate.js';
import { assertKafkaError } from './helpers.js';

function batch(over: Partial<RecordBatchInput> = {}, n = 3): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, timestamp: 1000n + BigInt(i) }));
  return encodeRecordBatch({ records, ...over });
}

test('valid single batch: summary', () => {
  for (const compression of [0, 1, 2, 3, 4]) {
    const info = validateRecordBatches(batch({ compression, producerId: 5n, producerEpoch: 1, baseSequence: 10 }));
    assert.deepEqual(info, {
      batchCount: 1,
      recordCount: 3,
      firstBatchPos: 0,
      maxTimestamp: 1002n,
      producerId: 5n,
      producerEpoch: 1,
      baseSequence: 10,
      lastSequence: 12,
      isTransactional: false,
      isControl: false,
      compression,
    });
  }
  const plain = validateRecordBatches(batch());
  assert.equal(plain.producerId, -1n);
  assert.equal(plain.baseSequence, -1);
  assert.equal(plain.lastSequence, -1);
});

test('several batches from one producer', () => {
  const a = batch({ producerId: 5n, producerEpoch: 1, baseSequence: 0, isTransactional: true, baseTimestamp: 1000n });
  const b = encodeRecordBatch({ producerId: 5n, producerEpoch: 1, baseSequence: 3, isTransactional: true, records: [{ value: 'x', timestamp: 5000n }] });
  const info = validateRecordBatches(Buffer.concat([a, b]));
  assert.equal(info.batchCount, 2);
  assert.equal(info.recordCount, 4);
  assert.equal(info.baseSequence, 0);
  assert.equal(info.lastSequence, 3);
  assert.equal(info.maxTimestamp, 5000n);
  assert.equal(info.isTransactional, true);
  assertKafkaError(() => validateRecordBatches(Buffer.concat([a, b]), { requireSingleBatch: true }), ErrorCode.INVALID_RECORD);
});

test('mixed producers across batches are INVALID_RECORD', () => {
  const a = batch({ producerId: 5n, producerEpoch: 1, baseSequence: 0 });
  for (const other of [
    batch({ producerId: 6n, producerEpoch: 1, baseSequence: 3 }),
    batch({ producerId: 5n, producerEpoch: 2, baseSequence: 3 }),
    batch({ producerId: 5n, producerEpoch: 1, baseSequence: 3, isTransactional: true }),
    batch(),
  ]) {
    assertKafkaError(() => validateRecordBatches(Buffer.concat([a, other])), ErrorCode.INVALID_RECORD);
  }
});

test('sequence wrap-around follows Kafka', () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(0x7fffffff, 1), 0);
  assert.equal(incrementSequence(0x7ffffffe, 3), 1);
  const info = validateRecordBatches(batch({ producerId: 1n, producerEpoch: 0, baseSequence: 0x7ffffffe }));
  assert.equal(info.lastSequence, 0);
});

test('a one-bit flip anywhere from the attributes to the end is CORRUPT_MESSAGE', () => {
  for (const compression of [CompressionType.none, CompressionType.lz4]) {
    const good = batch({ compression, producerId: 1n, producerEpoch: 0, baseSequence: 0 });
    for (let i = ATTRIBUTES_OFFSET; i < good.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(good);
        bad[i] = (bad[i] ?? 0) ^ bit;
        assertKafkaError(() => validateRecordBatches(bad), ErrorCode.CORRUPT_MESSAGE);
      }
    }
    // ... and in the stored CRC itself.
    for (let i = 17; i < 21; i++) {
      const bad = Buffer.from(good);
      bad[i] = (bad[i] ?? 0) ^ 0x10;
      assertKafkaError(() => validateRecordBatches(bad), ErrorCode.CORRUPT_MESSAGE, /CRC/);
    }
  }
});

test('truncation and trailing bytes', () => {
  const good = batch();
  assertKafkaError(() => validateRecordBatches(Buffer.alloc(0)), ErrorCode.INVALID_RECORD);
  for (let cut = 1; cut < good.length; cut++) {
    assertKafkaError(() => validateRecordBatches(good.subarray(0, cut)), ErrorCode.CORRUPT_MESSAGE);
  }
  for (const extra of [1, 11, 12, 30, 61]) {
    const tail = Buffer.concat([good, good.subarray(0, extra)]);
    assertKafkaError(() => validateRecordBatches(tail), ErrorCode.CORRUPT_MESSAGE);
  }
  const small = Buffer.from(good);
  small.writeInt32BE(48, 8);
  assertKafkaError(() => validateRecordBatches(small), ErrorCode.CORRUPT_MESSAGE, /minimum/);
  const negative = Buffer.from(good);
  negative.writeInt32BE(-5, 8);
  assertKafkaError(() => validateRecordBatches(negative), ErrorCode.CORRUPT_MESSAGE);
});

test('old magic is INVALID_RECORD', () => {
  for (const magic of [0, 1, 3]) {
    const b = batch();
    b[MAGIC_OFFSET] = magic;
    assertKafkaError(() => validateRecordBatches(b), ErrorCode.INVALID_RECORD, /magic/);
  }
});

test('size limits', () => {
  const b = batch();
  assert.equal(validateRecordBatches(b, { maxBatchBytes: b.length, maxTotalBytes: b.length }).batchCount, 1);
  assertKafkaError(() => validateRecordBatches(b, { maxBatchBytes: b.length - 1 }), ErrorCode.MESSAGE_TOO_LARGE);
  assertKafkaError(() => validateRecordBatches(Buffer.concat([b, b]), { maxTotalBytes: 2 * b.length - 1 }), ErrorCode.RECORD_LIST_TOO_LARGE);
});

test('compression codec checks', () => {
  for (const codec of [5, 6, 7]) {
    const b = batch();
    b.writeInt16BE((b.readInt16BE(ATTRIBUTES_OFFSET) & ~7) | codec, ATTRIBUTES_OFFSET);
    rewriteBatchCrc(b);
    assertKafkaError(() => validateRecordBatches(b), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
  const z = batch({ compression: CompressionType.zstd });
  assertKafkaError(() => validateRecordBatches(z, { produceVersion: 6 }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.equal(validateRecordBatches(z, { produceVersion: 7 }).compression, CompressionType.zstd);
});

test('record count and offset delta must agree (all codecs)', () => {
  for (const compression of [CompressionType.none, CompressionType.gzip]) {
    assertKafkaError(() => validateRecordBatches(batch({ compression, lastOffsetDelta: 5 })), ErrorCode.INVALID_RECORD, /inconsistent/);
    assertKafkaError(() => validateRecordBatches(batch({ compression, lastOffsetDelta: 1 })), ErrorCode.INVALID_RECORD);
  }
  assertKafkaError(() => validateRecordBatches(encodeRecordBatch({ records: [] })), ErrorCode.INVALID_RECORD, /count/);
  const neg = batch();
  neg.writeInt32BE(-1, 57);
  rewriteBatchCrc(neg);
  assertKafkaError(() => validateRecordBatches(neg), ErrorCode.INVALID_RECORD);
});

test('producer fields', () => {
  assertKafkaError(() => validateRecordBatches(batch({ producerId: 3n, producerEpoch: 0, baseSequence: -1 })), ErrorCode.INVALID_RECORD, /sequence/);
  assertKafkaError(() => validateRecordBatches(batch({ isTransactional: true })), ErrorCode.INVALID_RECORD, /producer id/);
  assertKafkaError(() => validateRecordBatches(batch({ isControl: true, producerId: 1n, producerEpoch: 0 })), ErrorCode.INVALID_RECORD, /control/);
});
