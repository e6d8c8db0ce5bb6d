/**
 * Off-the-event-loop validation: runScanJob (the job itself), the worker pool that runs it, and
 * the produce-side checks (checkProduceRecords) that hand large batches to it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { KafkaError } from '../../../src/common/kafka-error.js';
import { checkProduceRecords, maxDecompressedBytes } from '../../../src/broker/produce-policy.js';
import type { ProducePolicy } from '../../../src/broker/topic-manager.js';
import { CompressionType, RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/record.js';
import { runScanJob, type ScanJob } from '../../../src/protocol/records/scan-job.js';
import { ScanPool, scanPool } from '../../../src/protocol/records/scan-pool.js';
import { batchAround, bombBody } from '../../helpers/records.js';

const MiB = 1024 * 1024;

function batch(n: number, compression: number, valueSize = 100, keyed = true): Buffer {
  return encodeRecordBatch({
    compression,
    baseTimestamp: 1_000_000n,
    records: Array.from({ length: n }, (_, i) => ({ key: keyed || i !== n - 1 ? `key-${i}` : null, value: `${i}:`.padEnd(valueSize, 'abcdefgh'[i % 8]), timestamp: 1_000_000n + BigInt(i % 50) })),
  });
}

function jobOf(b: Buffer, over: Partial<ScanJob> = {}): ScanJob {
  return { codec: b.readInt16BE(21) & 7, body: b.subarray(RECORD_BATCH_OVERHEAD), count: b.readInt32BE(57), limit: 64 * MiB, scan: true, ...over };
}

const pool = new ScanPool(2);
after(() => pool.close());

test('runScanJob: scan stats, recompression, errors as codes', async () => {
  const b = batch(1000, CompressionType.zstd, 100, false);
  const r = await runScanJob(jobOf(b));
  assert.ok(r.ok);
  assert.equal(r.nullKeys, 1);
  assert.equal(r.minTimestampDelta, 0);
  assert.equal(r.maxTimestampDelta, 49);
  assert.equal(r.payload, null);
  const re = await runScanJob(jobOf(b, { recompress: { codec: CompressionType.gzip, level: undefined, maxPayloadBytes: MiB } }));
  assert.ok(re.ok && re.payload !== null);
  const rebuilt = batchAround(Buffer.from(re.payload), 1000, { codec: CompressionType.gzip });
  const decoded = decodeRecordBatch(rebuilt);
  assert.equal(decoded.records.length, 1000);
  assert.equal(decoded.records[999]!.key, null);
  const small = await runScanJob(jobOf(b, { recompress: { codec: CompressionType.none, level: undefined, maxPayloadBytes: 1000 } }));
  assert.deepEqual(small.ok ? 'ok' : small.code, ErrorCode.MESSAGE_TOO_LARGE);
  const wrongCount = await runScanJob(jobOf(b, { count: 999 }));
  assert.equal(wrongCount.ok ? 'ok' : wrongCount.code, ErrorCode.INVALID_RECORD);
  const bomb = await runScanJob({ codec: CompressionType.gzip, body: bombBody(CompressionType.gzip, 100, 1), count: 100, limit: 16 * MiB, scan: true });
  assert.equal(bomb.ok ? 'ok' : bomb.code, ErrorCode.MESSAGE_TOO_LARGE);
  const junk = await runScanJob({ codec: CompressionType.lz4, body: Buffer.from('junk junk junk'), count: 1, limit: MiB, scan: true });
  assert.equal(junk.ok ? 'ok' : junk.code, ErrorCode.CORRUPT_MESSAGE);
});

test('ScanPool runs jobs on worker threads with the same results, never touching the caller’s bytes', async () => {
  const inputs = [batch(2000, CompressionType.zstd), batch(500, CompressionType.gzip, 300, false), batch(800, CompressionType.lz4), batch(300, CompressionType.snappy)];
  const copies = inputs.map((b) => Buffer.from(b));
  const before = pool.ranOnWorkers;
  const results = await Promise.all(inputs.map((b) => pool.run(jobOf(b, { recompress: { codec: CompressionType.zstd, level: 3, maxPayloadBytes: 4 * MiB } }))));
  for (let i = 0; i < inputs.length; i++) {
    const b = inputs[i]!;
    const inline = await runScanJob(jobOf(b, { recompress: { codec: CompressionType.zstd, level: 3, maxPayloadBytes: 4 * MiB } }));
    const r = results[i]!;
    assert.ok(r.ok && inline.ok);
    assert.equal(r.nullKeys, inline.nullKeys);
    assert.equal(r.maxTimestampDelta, inline.maxTimestampDelta);
    assert.ok(Buffer.from(r.payload!).equals(Buffer.from(inline.payload!)));
    // The caller's buffer was copied, not transferred (a transferred one would be detached, length 0).
    assert.ok(b.buffer.byteLength > 0 && b.equals(copies[i]!), 'caller bytes intact');
  }
  assert.equal(pool.ranOnWorkers - before, inputs.length, 'all ran on workers');
  const bomb = await pool.run({ codec: CompressionType.zstd, body: bombBody(CompressionType.zstd, 400, 1), count: 400, limit: 64 * MiB, scan: true });
  assert.equal(bomb.ok ? 'ok' : bomb.code, ErrorCode.MESSAGE_TOO_LARGE);
});

test('ScanPool falls back to the calling thread when its workers cannot start', async () => {
  const broken = new ScanPool(1, new URL('./no-such-worker.js', import.meta.url));
  try {
    const b = batch(300, CompressionType.gzip);
    for (let i = 0; i < 4; i++) {
      const r = await broken.run(jobOf(b));
      assert.ok(r.ok, `run ${i}: ${r.ok ? '' : r.message}`);
      assert.equal(r.nullKeys, 0);
    }
    assert.equal(broken.ranOnWorkers, 0);
    assert.equal(broken.ranInline, 4);
  } finally {
    await broken.close();
  }
});

const policy = (over: Partial<ProducePolicy> = {}): ProducePolicy => ({
  compact: false,
  compressionType: 'producer',
  compressionLevel: undefined,
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  ...over,
});

/** The result of `fn` (thrown synchronously or rejected: the error code). */
async function settle(fn: () => Buffer | Promise<Buffer>): Promise<Buffer | number> {
  try {
    return await fn();
  } catch (e) {
    assert.ok(e instanceof KafkaError, String(e));
    return e.code;
  }
}

test('checkProduceRecords: small batches synchronously, large ones off the loop, same policy either way', async () => {
  const limitAt1MiB = maxDecompressedBytes(1048588);
  assert.equal(limitAt1MiB, 64 * 1048588);
  const small = batch(100, CompressionType.zstd, 100, false);
  const large = batch(30_000, CompressionType.zstd, 200, false); // ~6 MiB inflated: past the synchronous budget
  const now = 1_000_000;
  const s = checkProduceRecords(policy(), 't', 0, small, 1048588, now);
  assert.ok(Buffer.isBuffer(s) && s === small, 'small batch: synchronous, stored as is');
  const l = checkProduceRecords(policy(), 't', 0, large, 1048588, now);
  assert.ok(l instanceof Promise, 'large batch: asynchronous');
  assert.equal(await l, large);
  for (const b of [small, large]) {
    assert.equal(await settle(() => checkProduceRecords(policy({ compact: true }), 't', 0, b, 1048588, now)), ErrorCode.INVALID_RECORD, 'keyless record in a compacted topic');
    assert.equal(await settle(() => checkProduceRecords(policy({ timestampAfterMaxMs: 10 }), 't', 0, b, 1048588, now)), ErrorCode.INVALID_TIMESTAMP, 'record 49 ms ahead');
    assert.equal(await settle(() => checkProduceRecords(policy({ timestampAfterMaxMs: 49 }), 't', 0, b, 1048588, now)), b, 'within bounds');
    assert.equal(await settle(() => checkProduceRecords(policy({ timestampBeforeMaxMs: 0 }), 't', 0, b, 1048588, now + 1)), ErrorCode.INVALID_TIMESTAMP, 'record 1 ms behind');
    const re = await settle(() => checkProduceRecords(policy({ compressionType: 'lz4' }), 't', 0, b, 8 * MiB, now));
    assert.ok(Buffer.isBuffer(re));
    const d = decodeRecordBatch(re);
    assert.equal(d.compression, CompressionType.lz4);
    assert.equal(d.records.length, b.readInt32BE(57));
    assert.equal(await settle(() => checkProduceRecords(policy({ compressionType: 'uncompressed' }), 't', 0, b, b.length + 1000, now)), ErrorCode.MESSAGE_TOO_LARGE, 'recompressed past max.message.bytes');
  }
  // Several batches (Produce v0-2): an asynchronous one that will fail, then a synchronous failure.
  const bombBatch = batchAround(bombBody(CompressionType.zstd, 100, 1), 100, { codec: CompressionType.zstd });
  const broken = batchAround(Buffer.from([0, 0, 0]), 1);
  assert.throws(() => checkProduceRecords(policy(), 't', 0, Buffer.concat([bombBatch, broken]), 1048588, now), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_RECORD);
  assert.equal(await settle(() => checkProduceRecords(policy(), 't', 0, Buffer.concat([small, bombBatch]), 1048588, now)), ErrorCode.MESSAGE_TOO_LARGE);
  const two = await settle(() => checkProduceRecords(policy(), 't', 0, Buffer.concat([small, large]), 1048588, now));
  assert.ok(Buffer.isBuffer(two) && two.equals(Buffer.concat([small, large])));
  await new Promise((r) => setTimeout(r, 200)); // the abandoned bomb job settles without an unhandled rejection
  // Uncompressed input recompressed off the loop when large.
  const plainLarge = batch(12_000, CompressionType.none, 200);
  const g = checkProduceRecords(policy({ compressionType: 'gzip' }), 't', 0, plainLarge, 8 * MiB, now);
  assert.ok(g instanceof Promise);
  const gd = decodeRecordBatch(await g);
  assert.equal(gd.compression, CompressionType.gzip);
  assert.equal(gd.records.length, 12_000);
  assert.ok(scanPool().ranOnWorkers > 0);
});
