/**
 * Down-conversion of one v2 batch to magic 0/1 (legacy-message-encode.ts), in memory: message
 * layout and CRC, headers dropped, null key/value, control batches dropped, zstd refused, the
 * lz4 frame checksum, and the produce side's parser reading back what was written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { KafkaError } from '../../../src/common/kafka-error.js';
import { encodeControlBatch } from '../../../src/protocol/records/control-record.js';
import { decompress } from '../../../src/protocol/records/compression.js';
import { downConvertBatch, legacyMessageSize } from '../../../src/protocol/records/legacy-message-encode.js';
import { decodeLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.js';
import { encodeRecordBatch } from '../../../src/protocol/records/record.js';
import { legacyRecords, readLegacyMessages } from '../../helpers/legacy-messages.js';

const batchOf = (compression = 0): Buffer =>
  encodeRecordBatch({
    baseOffset: 100n,
    compression,
    records: [
      { key: 'a', value: 'one', timestamp: 5000n, headers: [{ key: 'h', value: 'x' }] },
      { key: null, value: null, timestamp: 5007n },
      { key: '', value: 'three', timestamp: 5003n },
    ],
  });

test('uncompressed: one message per record from the fetch offset, exact sizes, CRC-32, headers dropped, nulls kept', () => {
  for (const magic of [0, 1] as const) {
    const c = downConvertBatch(batchOf(), magic, 101n);
    assert.equal(c.records, 2);
    const msgs = readLegacyMessages(c.data);
    assert.deepEqual(msgs.map((m) => [m.offset, m.magic, m.key?.toString() ?? null, m.value?.toString() ?? null]), [[101n, magic, null, null], [102n, magic, '', 'three']]);
    assert.deepEqual(msgs.map((m) => m.timestamp), magic === 1 ? [5007n, 5003n] : [null, null]);
    assert.equal(c.data.length, legacyMessageSize(magic, null, null) + legacyMessageSize(magic, Buffer.alloc(0), Buffer.from('three')));
  }
});

test('compressed: one wrapper of the same codec with every record; lz4 frames carry the spec header checksum on magic 0 too', () => {
  for (const codec of [1, 2, 3]) {
    for (const magic of [0, 1] as const) {
      const c = downConvertBatch(batchOf(codec), magic, 102n);
      const [w] = readLegacyMessages(c.data);
      assert.equal(w?.codec, codec);
      assert.equal(w?.offset, 102n);
      if (magic === 1) assert.equal(w?.timestamp, 5007n, 'max timestamp');
      assert.deepEqual(legacyRecords(readLegacyMessages(c.data)).map((r) => r.offset), [100n, 101n, 102n]);
      // lz4-napi verifies the frame descriptor checksum (a wrong one throws).
      if (codec === 3) assert.ok(decompress(3, w?.value as Buffer).length > 0);
    }
  }
});

test('control batches convert to nothing; zstd batches are refused with UNSUPPORTED_COMPRESSION_TYPE', () => {
  const marker = encodeControlBatch({ baseOffset: 7n, producerId: 1n, producerEpoch: 0, timestamp: 1n, type: 'COMMIT', coordinatorEpoch: 0 });
  assert.deepEqual(downConvertBatch(marker, 1, 0n), { data: Buffer.alloc(0), records: 0 });
  assert.throws(
    () => downConvertBatch(batchOf(4), 1, 0n),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  );
});

test("the produce side's old-format parser reads what down-conversion writes (every codec, both magics, LogAppendTime)", () => {
  for (const codec of [0, 1, 2, 3]) {
    for (const magic of [0, 1] as const) {
      for (const timestampType of [0, 1] as const) {
        const batch = encodeRecordBatch({ baseOffset: 100n, compression: codec, timestampType, maxTimestamp: 9000n, records: [{ key: 'a', value: 'one', timestamp: 5000n }, { key: null, value: 'two', timestamp: 5001n }] });
        const got = decodeLegacyMessageSet(downConvertBatch(batch, magic, 0n).data);
        assert.deepEqual(got.map((m) => [m.offset, m.magic, m.codec, m.key?.toString() ?? null, m.value?.toString() ?? null]), [[100n, magic, codec, 'a', 'one'], [101n, magic, codec, null, 'two']]);
        const ts = magic === 0 ? [-1n, -1n] : timestampType === 1 ? [9000n, 9000n] : [5000n, 5001n];
        assert.deepEqual(got.map((m) => m.timestamp), ts, `codec ${codec} magic ${magic} type ${timestampType}`);
        if (magic === 1) assert.deepEqual(got.map((m) => m.timestampType), [timestampType, timestampType]);
      }
    }
  }
});
