import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CorruptRecordError } from '../../../src/common/errors.js';
import {
  CRC_OFFSET,
  CompressionType,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  baseOffsetOf,
  batchSizeAt,
  compressionOf,
  lastOffsetOf,
} from '../../../src/protocol/records/batch-header.js';
import {
  batchCrcMatches,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  iterateBatches,
  readBatchHeader,
  rewriteBatchCrc,
  type RecordInput,
} from '../../../src/protocol/records/record.js';
import { prng, randomBytes, textBytes } from './helpers.js';

const CODECS = [CompressionType.none, CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd];

function sampleRecords(): RecordInput[] {
  return [
    { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000n },
    { key: null, value: 'no key', timestamp: 1_700_000_000_005n },
    { key: 'no value', value: null, timestamp: 1_699_999_999_990n }, // negative timestamp delta
    { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 1_700_000_000_001n },
    {
      key: 'with headers',
      value: Buffer.from([0, 1, 2, 255]),
      timestamp: 1_700_000_000_002n,
      headers: [
        { key: 'h1', value: 'x' },
        { key: 'h-null', value: null },
        { key: 'h1', value: Buffer.from('dup key allowed') },
        { key: 'ünïcødé', value: '✓' },
        { key: '', value: '' },
      ],
    },
  ];
}

test('round trip with every codec: headers, null keys/values, timestamps, producer fields', () => {
  for (const compression of CODECS) {
    const buf = encodeRecordBatch({
      baseOffset: 1000n,
      records: sampleRecords(),
      compression,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 17,
      isTransactional: true,
      partitionLeaderEpoch: 9,
    });
    assert.equal(batchSizeAt(buf), buf.length);
    assert.equal(compressionOf(buf), compression);
    assert.equal(baseOffsetOf(buf), 1000n);
    assert.equal(lastOffsetOf(buf), 1004n);
    assert.ok(batchCrcMatches(buf, 0, buf.length));
    const [b, ...rest] = decodeRecordBatches(buf);
    assert.equal(rest.length, 0);
    assert.ok(b);
    assert.equal(b.baseOffset, 1000n);
    assert.equal(b.partitionLeaderEpoch, 9);
    assert.equal(b.lastOffsetDelta, 4);
    assert.equal(b.baseTimestamp, 1_700_000_000_000n);
    assert.equal(b.maxTimestamp, 1_700_000_000_005n);
    assert.equal(b.producerId, 42n);
    assert.equal(b.producerEpoch, 3);
    assert.equal(b.baseSequence, 17);
    assert.equal(b.isTransactional, true);
    assert.equal(b.isControl, false);
    assert.equal(b.compression, compression);
    assert.equal(b.timestampType, 0);
    const inputs = sampleRecords();
    assert.equal(b.records.length, inputs.length);
    b.records.forEach((r, i) => {
      const inp = inputs[i];
      assert.ok(inp);
      assert.equal(r.offset, 1000n + BigInt(i));
      assert.equal(r.timestamp, inp.timestamp);
      const asBuf = (v: unknown): Buffer | null => (v === null || v === undefined ? null : Buffer.from(v as string));
      assert.deepEqual(r.key, asBuf(inp.key));
      assert.deepEqual(r.value, asBuf(inp.value));
      assert.deepEqual(
        r.headers,
        (inp.headers ?? []).map((h) => ({ key: h.key, value: asBuf(h.value) })),
      );
    });
  }
});

test('defaults: offsets from index, base timestamp from first record, no producer', () => {
  const buf = encodeRecordBatch({ records: [{ value: 'a', timestamp: 5n }, { value: 'b', timestamp: 9n }, { value: 'c' }] });
  const h = readBatchHeader(buf);
  assert.equal(h.baseOffset, 0n);
  assert.equal(h.producerId, -1n);
  assert.equal(h.producerEpoch, -1);
  assert.equal(h.baseSequence, -1);
  assert.equal(h.partitionLeaderEpoch, -1);
  assert.equal(h.magic, 2);
  assert.equal(h.recordsCount, 3);
  assert.equal(h.lastOffsetDelta, 2);
  assert.equal(h.baseTimestamp, 5n);
  assert.equal(h.maxTimestamp, 9n);
  const b = decodeRecordBatch(buf);
  assert.deepEqual(b.records.map((r) => r.timestamp), [5n, 9n, 5n]);
  assert.deepEqual(b.records.map((r) => r.key), [null, null, null]);
});

test('LogAppendTime batches report maxTimestamp for every record', () => {
  const buf = encodeRecordBatch({ records: [{ value: 'a', timestamp: 1n }, { value: 'b', timestamp: 2n }], timestampType: 1, maxTimestamp: 777n });
  const b = decodeRecordBatch(buf);
  assert.equal(b.timestampType, 1);
  assert.deepEqual(b.records.map((r) => r.timestamp), [777n, 777n]);
});

test('large records and many records', () => {
  const rnd = prng(7);
  const big = randomBytes(rnd, 3 * 1024 * 1024);
  for (const compression of CODECS) {
    const buf = encodeRecordBatch({ records: [{ key: 'big', value: big, headers: [{ key: 'h', value: big.subarray(0, 70_000) }] }], compression });
    const r = decodeRecordBatch(buf).records[0];
    assert.ok(r?.value?.equals(big));
    assert.ok(r?.headers[0]?.value?.equals(big.subarray(0, 70_000)));
  }
  const many: RecordInput[] = [];
  for (let i = 0; i < 10_000; i++) many.push({ key: `key-${i}`, value: textBytes(rnd, i % 50), timestamp: BigInt(1000 + (i % 13)) });
  for (const compression of CODECS) {
    const b = decodeRecordBatch(encodeRecordBatch({ records: many, compression, baseOffset: 1n << 40n }));
    assert.equal(b.records.length, 10_000);
    assert.equal(b.records[9999]?.offset, (1n << 40n) + 9999n);
    assert.equal(b.records[1234]?.key?.toString(), 'key-1234');
    assert.equal(b.maxTimestamp, 1012n);
  }
});

test('extreme varint values', () => {
  const buf = encodeRecordBatch({
    baseTimestamp: 0n,
    records: [
      { value: 'a', timestamp: -(1n << 62n), offsetDelta: 0 },
      { value: 'b', timestamp: (1n << 62n), offsetDelta: 2_000_000_000 },
    ],
  });
  const b = decodeRecordBatch(buf);
  assert.deepEqual(b.records.map((r) => r.timestamp), [-(1n << 62n), 1n << 62n]);
  assert.deepEqual(b.records.map((r) => r.offset), [0n, 2_000_000_000n]);
  assert.equal(b.lastOffsetDelta, 2_000_000_000);
});

test('empty batch', () => {
  const buf = encodeRecordBatch({ records: [], baseOffset: 50n, lastOffsetDelta: 9, baseTimestamp: 3n });
  assert.equal(buf.length, RECORD_BATCH_OVERHEAD);
  const b = decodeRecordBatch(buf);
  assert.equal(b.records.length, 0);
  assert.equal(b.lastOffsetDelta, 9);
  assert.equal(b.maxTimestamp, 3n);
});

test('several batches, trailing partial batch is tolerated', () => {
  const a = encodeRecordBatch({ baseOffset: 0n, records: [{ value: 'a' }, { value: 'b' }] });
  const b = encodeRecordBatch({ baseOffset: 2n, records: [{ value: 'c' }], compression: CompressionType.gzip });
  const c = encodeRecordBatch({ baseOffset: 3n, records: [{ value: 'd' }] });
  const all = Buffer.concat([a, b, c]);
  assert.equal(decodeRecordBatches(all).length, 3);
  for (let cut = all.length - 1; cut > a.length + b.length; cut--) {
    const got = decodeRecordBatches(all.subarray(0, cut));
    assert.deepEqual(got.map((x) => x.baseOffset), [0n, 2n]);
  }
  assert.deepEqual(decodeRecordBatches(all.subarray(0, 5)), []);
  assert.deepEqual(decodeRecordBatches(Buffer.alloc(0)), []);
  const seen: [number, number][] = [];
  const end = iterateBatches(all.subarray(0, all.length - 1), (pos, size) => {
    seen.push([pos, size]);
  });
  assert.deepEqual(seen, [[0, a.length], [a.length, b.length]]);
  assert.equal(end, a.length + b.length);
  let calls = 0;
  assert.equal(iterateBatches(all, () => { calls++; return false; }), a.length);
  assert.equal(calls, 1);
});

test('corruption is reported as CorruptRecordError', () => {
  const buf = encodeRecordBatch({ records: [{ key: 'k', value: 'v' }] });
  const bad = Buffer.from(buf);
  const vpos = bad.lastIndexOf('v');
  bad[vpos] = (bad[vpos] ?? 0) ^ 1;
  assert.throws(() => decodeRecordBatches(bad), CorruptRecordError);
  // Without the CRC check the record still parses (value byte changed).
  assert.equal(decodeRecordBatches(bad, { verifyCrc: false })[0]?.records[0]?.value?.toString(), 'w');
  // Record length that disagrees with its fields, CRC fixed up so the parser sees it.
  const lenBad = Buffer.from(buf);
  lenBad[RECORD_BATCH_OVERHEAD] = (lenBad[RECORD_BATCH_OVERHEAD] ?? 0) + 2;
  rewriteBatchCrc(lenBad);
  assert.throws(() => decodeRecordBatch(lenBad), CorruptRecordError);
  // Extra bytes after the declared records.
  const extra = Buffer.concat([buf, Buffer.from([0, 0])]);
  extra.writeInt32BE(extra.length - LOG_OVERHEAD, 8);
  rewriteBatchCrc(extra);
  assert.throws(() => decodeRecordBatch(extra), /remain/);
  // Wrong magic.
  const magic = Buffer.from(buf);
  magic[16] = 1;
  assert.throws(() => decodeRecordBatch(magic), /magic/);
  // Batch length below the minimum.
  const short = Buffer.from(buf);
  short.writeInt32BE(10, 8);
  assert.throws(() => decodeRecordBatches(short), CorruptRecordError);
  // Compressed payload that is not valid.
  const gz = encodeRecordBatch({ records: [{ value: 'x'.repeat(100) }], compression: CompressionType.gzip });
  gz[RECORD_BATCH_OVERHEAD + 12] = (gz[RECORD_BATCH_OVERHEAD + 12] ?? 0) ^ 0xff;
  rewriteBatchCrc(gz);
  assert.throws(() => decodeRecordBatch(gz), CorruptRecordError);
  assert.notEqual(buf.readUInt32BE(CRC_OFFSET), 0);
});

// ---- interop with kafkajs's independent v2 encoder/decoder --------------------------------------

interface KjsEncoder { buffer: Buffer }
interface KjsModules {
  RecordBatch: (opts: object) => Promise<KjsEncoder>;
  Record: (opts: object) => KjsEncoder;
  decodeBatch: (decoder: unknown) => Promise<{
    firstOffset: string;
    records: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string; headers: { [k: string]: Buffer | Buffer[] } }[];
  }>;
  Decoder: new (buf: Buffer) => unknown;
  Long: { fromValue: (v: number | string) => unknown };
}

function kafkajs(): KjsModules {
  const require = createRequire(import.meta.url);
  return {
    RecordBatch: (require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: KjsModules['RecordBatch'] }).RecordBatch,
    Record: require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as KjsModules['Record'],
    decodeBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as KjsModules['decodeBatch'],
    Decoder: require('kafkajs/src/protocol/decoder.js') as KjsModules['Decoder'],
    Long: require('kafkajs/src/utils/long.js') as KjsModules['Long'],
  };
}

test('decodes batches written by kafkajs (none and gzip)', async () => {
  const k = kafkajs();
  for (const compression of [CompressionType.none, CompressionType.gzip]) {
    const records = [
      k.Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('1'), headers: { h: Buffer.from('x') } }),
      k.Record({ offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('2') }),
    ];
    const enc = await k.RecordBatch({
      compression,
      firstOffset: k.Long.fromValue(10),
      firstTimestamp: 1000,
      maxTimestamp: 1005,
      lastOffsetDelta: 1,
      records,
    });
    const b = decodeRecordBatch(enc.buffer);
    assert.equal(b.compression, compression);
    assert.deepEqual(b.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]), [
      [10n, 1000n, 'a', '1'],
      [11n, 1005n, null, '2'],
    ]);
    assert.deepEqual(b.records[0]?.headers, [{ key: 'h', value: Buffer.from('x') }]);
  }
});

test('kafkajs decodes batches we write', async () => {
  const k = kafkajs();
  for (const compression of [CompressionType.none, CompressionType.gzip]) {
    const buf = encodeRecordBatch({
      baseOffset: 7n,
      compression,
      records: [
        { key: 'a', value: 'one', timestamp: 2000n, headers: [{ key: 'h', value: 'v' }] },
        { key: null, value: 'two', timestamp: 2003n },
      ],
    });
    const d = await k.decodeBatch(new k.Decoder(buf));
    assert.deepEqual(d.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]), [
      ['7', '2000', 'a', 'one'],
      ['8', '2003', null, 'two'],
    ]);
    assert.deepEqual(d.records[0]?.headers, { h: Buffer.from('v') });
  }
});
