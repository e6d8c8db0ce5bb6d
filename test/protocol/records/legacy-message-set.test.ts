/**
 * Old-format (magic 0/1) message sets: parsing (CRC32 per message, wrappers, relative offsets,
 * timestamps), validation with Kafka's error codes and per-record errors, and up-conversion to
 * one v2 batch (records, timestamps, compression kept or per the topic).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { CompressionType } from '../../../src/protocol/records/batch-header.js';
import { decodeLegacyMessageSet, isLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.js';
import { upConvertLegacyMessageSet, type UpConvertOptions } from '../../../src/protocol/records/legacy-up-convert.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record.js';
import { RecordValidationError } from '../../../src/protocol/records/record-errors.js';
import { validateRecordBatches } from '../../../src/protocol/records/validate.js';
import { legacySet, legacyWrapper, type LegacyInput } from '../../helpers/legacy-records.js';
import { assertKafkaError } from './helpers.js';

const OPTS: UpConvertOptions = {
  topic: 't',
  partition: 0,
  compact: false,
  logAppendTime: false,
  low: -Infinity,
  high: Infinity,
  target: undefined,
  level: undefined,
  limit: 16 * 1024 * 1024,
  maxMessageBytes: 1024 * 1024,
};

const T = 1_700_000_000_000n;
const msgs = (n: number, ts = true): LegacyInput[] => Array.from({ length: n }, (_, i) => ({ key: i % 2 === 0 ? `k${i}` : null, value: `value-${i}`, ...(ts ? { timestamp: T + BigInt(i * 10) } : {}) }));

function convert(buf: Buffer, o: Partial<UpConvertOptions> = {}): ReturnType<typeof decodeRecordBatch> {
  const out = upConvertLegacyMessageSet(buf, { ...OPTS, ...o });
  validateRecordBatches(out.batch); // a valid v2 batch (header, CRC32C, counts)
  return decodeRecordBatch(out.batch);
}

function keysValues(b: ReturnType<typeof decodeRecordBatch>): [string | null, string | null, bigint, bigint][] {
  return b.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.offset, r.timestamp]);
}

function recordErrors(fn: () => unknown): { code: number; indexes: number[]; messages: string[] } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RecordValidationError, `expected RecordValidationError, got ${String(e)}`);
    return { code: e.code, indexes: e.recordErrors.map((r) => r.batchIndex), messages: e.recordErrors.map((r) => r.message) };
  }
  assert.fail('no error');
}

test('magic 0 uncompressed: up-converted to one v2 batch, offsets 0..n-1, keys/values kept, no timestamp (-1)', () => {
  const set = legacySet(0, msgs(4, false), 100n);
  assert.ok(isLegacyMessageSet(set));
  const b = convert(set);
  assert.equal(b.compression, CompressionType.none);
  assert.equal(b.producerId, -1n);
  assert.deepEqual(keysValues(b), [
    ['k0', 'value-0', 0n, -1n],
    [null, 'value-1', 1n, -1n],
    ['k2', 'value-2', 2n, -1n],
    [null, 'value-3', 3n, -1n],
  ]);
  assert.deepEqual(
    decodeLegacyMessageSet(set).map((m) => [m.offset, m.magic, m.key?.toString() ?? null]),
    [
      [100n, 0, 'k0'],
      [101n, 0, null],
      [102n, 0, 'k2'],
      [103n, 0, null],
    ],
  );
});

test('magic 1 uncompressed: CreateTime timestamps kept; maxTimestamp the largest', () => {
  const b = convert(legacySet(1, [{ key: 'a', value: '1', timestamp: T + 50n }, { key: 'b', value: '2', timestamp: T }, { key: 'c', value: null, timestamp: T + 20n }]));
  assert.deepEqual(keysValues(b), [
    ['a', '1', 0n, T + 50n],
    ['b', '2', 1n, T],
    ['c', null, 2n, T + 20n],
  ]);
  assert.equal(b.maxTimestamp, T + 50n);
  assert.equal(b.timestampType, 0);
});

for (const magic of [0, 1]) {
  for (const [name, codec] of [['gzip', CompressionType.gzip], ['snappy', CompressionType.snappy], ['lz4', CompressionType.lz4]] as const) {
    test(`magic ${magic} ${name} wrapper: inner messages up-converted, ${name} kept (compression.type=producer) or replaced by the topic's codec`, () => {
      const wrapper = legacyWrapper(magic, msgs(5, magic === 1), { codec });
      const b = convert(wrapper);
      assert.equal(b.compression, codec);
      assert.equal(b.records.length, 5);
      assert.deepEqual(
        b.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp]),
        msgs(5, magic === 1).map((m, i) => [BigInt(i), m.key ?? null, m.value, magic === 1 ? (m.timestamp as bigint) : -1n]),
      );
      assert.equal(convert(wrapper, { target: CompressionType.none }).compression, CompressionType.none);
      assert.equal(convert(wrapper, { target: CompressionType.zstd }).compression, CompressionType.zstd);
      assert.deepEqual(
        decodeLegacyMessageSet(wrapper).map((m) => m.value?.toString()),
        msgs(5).map((m) => m.value),
      );
    });
  }
}

test('lz4 (KAFKA-3160): magic 0 with the old broken frame header checksum is accepted, magic 1 with it is CORRUPT_MESSAGE', () => {
  const m0 = legacyWrapper(0, msgs(3, false), { codec: CompressionType.lz4, brokenLz4Checksum: true });
  assert.equal(convert(m0).records.length, 3);
  const m1 = legacyWrapper(1, msgs(3), { codec: CompressionType.lz4, brokenLz4Checksum: true });
  assertKafkaError(() => convert(m1), ErrorCode.CORRUPT_MESSAGE);
});

test('bad CRC32: on an uncompressed message, a wrapper, or an inner message: CORRUPT_MESSAGE', () => {
  const ok = msgs(3);
  assertKafkaError(() => convert(legacySet(1, [ok[0] as LegacyInput, { ...ok[1], badCrc: true }])), ErrorCode.CORRUPT_MESSAGE, /crc/);
  assertKafkaError(() => convert(legacyWrapper(1, ok, { codec: CompressionType.gzip, badCrc: true })), ErrorCode.CORRUPT_MESSAGE, /crc/);
  assertKafkaError(() => convert(legacyWrapper(1, [ok[0] as LegacyInput, { ...ok[1], badCrc: true }], { codec: CompressionType.gzip })), ErrorCode.CORRUPT_MESSAGE, /crc/);
  // v2's CRC32C instead of CRC32 is a bad CRC too: the two polynomials differ.
});

test('relative offsets in magic 1 wrappers: wrapper offset = absolute last offset, 0 accepted, below the last inner offset INVALID_RECORD', () => {
  const inner = msgs(3);
  assert.deepEqual(
    decodeLegacyMessageSet(legacyWrapper(1, inner, { codec: CompressionType.gzip, wrapperOffset: 10n })).map((m) => m.offset),
    [8n, 9n, 10n],
  );
  assert.deepEqual(
    decodeLegacyMessageSet(legacyWrapper(1, inner, { codec: CompressionType.gzip, wrapperOffset: 0n })).map((m) => m.offset),
    [0n, 1n, 2n],
  );
  assert.equal(convert(legacyWrapper(1, inner, { codec: CompressionType.gzip, wrapperOffset: 0n })).records.length, 3);
  assertKafkaError(() => convert(legacyWrapper(1, inner, { codec: CompressionType.gzip, wrapperOffset: 1n })), ErrorCode.INVALID_RECORD, /wrapper offset '1' is less than the last inner message offset '2'/);
  // Non-consecutive inner offsets (some old clients) are renumbered, as Kafka rebuilds such sets.
  const b = convert(legacyWrapper(1, [{ ...inner[0], offset: 0n }, { ...inner[1], offset: 5n }, { ...inner[2], offset: 7n }], { codec: CompressionType.gzip }));
  assert.deepEqual(
    b.records.map((r) => r.offset),
    [0n, 1n, 2n],
  );
});

test('LogAppendTime wrapper: inner messages take its timestamp; refused per record on a LogAppendTime topic', () => {
  const wrapper = legacyWrapper(1, msgs(3), { codec: CompressionType.gzip, timestamp: T + 999n, logAppendTime: true });
  assert.deepEqual(
    decodeLegacyMessageSet(wrapper).map((m) => [m.timestamp, m.timestampType]),
    [
      [T + 999n, 1],
      [T + 999n, 1],
      [T + 999n, 1],
    ],
  );
  assert.deepEqual(
    convert(wrapper).records.map((r) => r.timestamp),
    [T + 999n, T + 999n, T + 999n],
  );
  const r = recordErrors(() => convert(wrapper, { logAppendTime: true }));
  assert.equal(r.code, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(r.indexes, [0, 1, 2]);
  assert.match(r.messages[0] ?? '', /Producer should not set timestamp type to LogAppendTime/);
  // A CreateTime set is fine on a LogAppendTime topic (the log restamps it on append).
  assert.equal(convert(legacyWrapper(1, msgs(3), { codec: CompressionType.gzip }), { logAppendTime: true }).records.length, 3);
});

test('per-record errors: keyless records on a compacted topic (wrapper: inner indexes; uncompressed: each message its own batch), timestamps out of range', () => {
  const wrapped = recordErrors(() => convert(legacyWrapper(1, msgs(5), { codec: CompressionType.snappy }), { compact: true }));
  assert.equal(wrapped.code, ErrorCode.INVALID_RECORD);
  assert.deepEqual(wrapped.indexes, [1, 3]);
  assert.equal(wrapped.messages[0], 'Compacted topic cannot accept message without key in topic partition t-0');
  const flat = recordErrors(() => convert(legacySet(0, msgs(5, false)), { compact: true }));
  assert.deepEqual(flat.indexes, [0]);
  const ts = recordErrors(() => convert(legacyWrapper(1, msgs(4), { codec: CompressionType.gzip, wrapperOffset: 20n }), { low: Number(T) + 15, high: Number(T) + 25 }));
  assert.equal(ts.code, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(ts.indexes, [0, 1, 3]);
  assert.match(ts.messages[0] ?? '', new RegExp(`^Timestamp ${T} of message with offset 17 is out of range`));
});

test('structure: inner compressed or other-magic messages are record errors; mixed magic, two wrappers, zstd, truncation and size limits are refused', () => {
  const inner = msgs(3);
  const nested = recordErrors(() => convert(legacyWrapper(1, [inner[0] as LegacyInput, { ...inner[1], attributes: CompressionType.gzip }, { ...inner[2], magic: 0 }], { codec: CompressionType.gzip })));
  assert.equal(nested.code, ErrorCode.INVALID_RECORD);
  assert.deepEqual(nested.indexes, [1, 2]);
  assertKafkaError(() => convert(Buffer.concat([legacySet(0, msgs(1, false)), legacySet(1, msgs(1))])), ErrorCode.INVALID_RECORD, /magic/);
  const w = legacyWrapper(1, inner, { codec: CompressionType.gzip });
  assertKafkaError(() => convert(Buffer.concat([w, w])), ErrorCode.INVALID_RECORD, /more than one batch/);
  assertKafkaError(() => convert(Buffer.concat([legacySet(1, msgs(1)), w])), ErrorCode.INVALID_RECORD, /more than one batch/);
  assertKafkaError(() => convert(legacySet(1, [{ key: 'k', value: 'v', timestamp: T, attributes: CompressionType.zstd }])), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  const set = legacySet(1, msgs(2));
  assertKafkaError(() => convert(set.subarray(0, set.length - 3)), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => convert(legacyWrapper(1, [{ key: 'k', value: Buffer.alloc(100_000) }], { codec: CompressionType.gzip }), { limit: 50_000 }), ErrorCode.MESSAGE_TOO_LARGE);
  assertKafkaError(() => convert(legacySet(1, [{ key: 'k', value: Buffer.alloc(5000), timestamp: T }]), { maxMessageBytes: 1000 }), ErrorCode.MESSAGE_TOO_LARGE);
});

test('the v2 validator reads the magic first: an old-format set is INVALID_RECORD (never CORRUPT_MESSAGE from a v2 length check); v2 batches are not legacy', () => {
  assertKafkaError(() => validateRecordBatches(legacySet(0, [{ key: null, value: 'x' }])), ErrorCode.INVALID_RECORD, /magic 0/);
  assertKafkaError(() => validateRecordBatches(legacySet(1, msgs(20))), ErrorCode.INVALID_RECORD, /magic 1/);
  assert.equal(isLegacyMessageSet(encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] })), false);
});
