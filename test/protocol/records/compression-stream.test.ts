/**
 * Streaming decompression into a sink (decompressInto / decompressIntoAsync): same bytes as
 * decompress(), bounded chunks, MESSAGE_TOO_LARGE past the limit, the budget signal below it, and
 * decompression bombs of every codec rejected without the memory following the inflated size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { KafkaError } from '../../../src/common/kafka-error.js';
import { CompressionType, RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';
import {
  compress,
  compressionName,
  decompress,
  DecompressBudgetExceeded,
  decompressInto,
  decompressIntoAsync,
  rawSnappyCompress,
  type DecompressSink,
} from '../../../src/protocol/records/compression.js';
import { encodeRecordBatch } from '../../../src/protocol/records/record.js';
import { RecordScanner } from '../../../src/protocol/records/record-scan.js';
import { bombBody, zstdStreamBomb } from '../../helpers/records.js';
import { assertKafkaError, prng, randomBytes, textBytes } from './helpers.js';

const MiB = 1024 * 1024;
const CODECS = [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd];

class Collect implements DecompressSink {
  chunks: Buffer[] = [];
  largest = 0;
  write(chunk: Buffer, start: number, end: number): void {
    this.chunks.push(Buffer.from(chunk.subarray(start, end)));
    this.largest = Math.max(this.largest, end - start);
  }
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

test('decompressInto yields what decompress does, for every codec, sizes and concatenated frames', async () => {
  const rnd = prng(11);
  const inputs = [Buffer.from('x'), textBytes(rnd, 1000), randomBytes(rnd, 200_000), Buffer.alloc(3 * MiB, 7), textBytes(rnd, 700_000)];
  for (const codec of CODECS) {
    for (const input of inputs) {
      const c = compress(codec, input);
      const sync = new Collect();
      assert.equal(decompressInto(codec, c, sync, 64 * MiB), input.length);
      assert.ok(sync.data.equals(input), `${compressionName(codec)} ${input.length}`);
      const async = new Collect();
      assert.equal(await decompressIntoAsync(codec, c, async, 64 * MiB), input.length);
      assert.ok(async.data.equals(input), `${compressionName(codec)} async ${input.length}`);
      if (codec === CompressionType.zstd) assert.ok(sync.largest <= 256 * 1024, `zstd streams in small chunks (${sync.largest})`);
      if (codec === CompressionType.gzip) assert.ok(async.largest <= 64 * 1024, `gzip streams in 64 KiB chunks (${async.largest})`);
    }
  }
  const a = textBytes(rnd, 50_000);
  const b = textBytes(rnd, 70_000);
  const both = Buffer.concat([a, b]);
  const concatenated: [number, Buffer][] = [
    [CompressionType.gzip, Buffer.concat([gzipSync(a), gzipSync(b)])],
    [CompressionType.lz4, Buffer.concat([compressFrameSync(a), compressFrameSync(b)])],
    [CompressionType.zstd, Buffer.concat([compress(CompressionType.zstd, a), compress(CompressionType.zstd, b)])],
    [CompressionType.snappy, rawSnappyCompress(both)],
  ];
  for (const [codec, c] of concatenated) {
    const s = new Collect();
    decompressInto(codec, c, s, MiB);
    assert.ok(s.data.equals(both), compressionName(codec));
    assert.ok(decompress(codec, c).equals(both));
    const g = new Collect();
    await decompressIntoAsync(codec, c, g, MiB);
    assert.ok(g.data.equals(both), `${compressionName(codec)} async`);
  }
});

test('malformed compressed data is CORRUPT_MESSAGE; the sink’s own errors pass through', async () => {
  const junk = Buffer.from('this is not compressed data at all');
  const good = textBytes(prng(4), 10_000);
  for (const codec of CODECS) {
    assertKafkaError(() => decompressInto(codec, junk, new Collect(), MiB), ErrorCode.CORRUPT_MESSAGE);
    const c = compress(codec, good);
    assertKafkaError(() => decompressInto(codec, c.subarray(0, c.length - 5), new Collect(), MiB), ErrorCode.CORRUPT_MESSAGE);
    await assert.rejects(decompressIntoAsync(codec, junk, new Collect(), MiB), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
    const failing: DecompressSink = {
      write() {
        throw new KafkaError(ErrorCode.INVALID_RECORD, 'from the sink');
      },
    };
    assertKafkaError(() => decompressInto(codec, c, failing, MiB), ErrorCode.INVALID_RECORD, /from the sink/);
    await assert.rejects(decompressIntoAsync(codec, c, failing, MiB), /from the sink/);
  }
  assertKafkaError(() => decompressInto(9, junk, new Collect(), MiB), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('output past the limit is MESSAGE_TOO_LARGE; past a smaller budget it is the budget signal', async () => {
  const data = Buffer.alloc(8 * MiB, 3);
  for (const codec of [CompressionType.none, ...CODECS]) {
    const c = compress(codec, data);
    assertKafkaError(() => decompressInto(codec, c, new Collect(), 2 * MiB), ErrorCode.MESSAGE_TOO_LARGE, /limit/);
    assert.throws(() => decompressInto(codec, c, new Collect(), 16 * MiB, MiB), (e: unknown) => e instanceof DecompressBudgetExceeded, compressionName(codec));
    assert.equal(decompressInto(codec, c, new Collect(), 8 * MiB, 8 * MiB), data.length);
    await assert.rejects(decompressIntoAsync(codec, c, new Collect(), 2 * MiB), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.MESSAGE_TOO_LARGE);
  }
});

/** Peak growth of RSS and ArrayBuffer memory while `fn` runs (sampled in the sink and after). */
async function memoryGrowth(fn: (sample: () => void) => Promise<void> | void): Promise<{ rss: number; arrayBuffers: number }> {
  const m0 = process.memoryUsage();
  let rss = m0.rss;
  let ab = m0.arrayBuffers;
  const sample = (): void => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    ab = Math.max(ab, m.arrayBuffers);
  };
  await fn(sample);
  sample();
  return { rss: rss - m0.rss, arrayBuffers: ab - m0.arrayBuffers };
}

test('decompression bombs of every codec are MESSAGE_TOO_LARGE while streaming, with memory far below the inflated size', async (t) => {
  const limit = 16 * MiB;
  // Structurally valid records (count x 1 MiB values of zeros), so only the limit can stop them.
  const bombs: [string, number, Buffer, number, number][] = [
    ['zstd frames, 400 MiB', CompressionType.zstd, bombBody(CompressionType.zstd, 400, 1), 400, 400 * MiB],
    ['zstd one frame, size undeclared, 400 MiB', CompressionType.zstd, zstdStreamBomb(400, 1, false), 400, 400 * MiB],
    ['zstd one frame, size declared, 400 MiB', CompressionType.zstd, zstdStreamBomb(400, 1, true), 400, 400 * MiB],
    ['zstd one 400 MiB record', CompressionType.zstd, zstdStreamBomb(1, 400, false), 1, 400 * MiB],
    ['gzip members, 400 MiB', CompressionType.gzip, bombBody(CompressionType.gzip, 400, 1), 400, 400 * MiB],
    ['lz4 frames, 200 MiB', CompressionType.lz4, bombBody(CompressionType.lz4, 200, 1), 200, 200 * MiB],
    ['snappy xerial, 64 MiB', CompressionType.snappy, bombBody(CompressionType.snappy, 64, 1), 64, 64 * MiB],
    ['snappy raw block claiming 1 GiB', CompressionType.snappy, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x01]), 1, 1024 * MiB],
  ];
  for (const [label, codec, body, count, inflated] of bombs) {
    for (const mode of ['sync', 'async', 'sync with budget'] as const) {
      const scanner = new RecordScanner().reset(count, limit);
      let error: unknown;
      const grew = await memoryGrowth(async (sample) => {
        const sink: DecompressSink = {
          write(chunk, start, end) {
            scanner.write(chunk, start, end);
            sample();
          },
        };
        try {
          if (mode === 'async') await decompressIntoAsync(codec, body, sink, limit);
          else decompressInto(codec, body, sink, limit, mode === 'sync' ? limit : 4 * MiB);
          scanner.finish();
        } catch (e) {
          error = e;
        }
      });
      if (mode === 'sync with budget' && error instanceof DecompressBudgetExceeded) {
        assert.ok(grew.arrayBuffers < 16 * MiB, `${label} ${mode}: ${grew.arrayBuffers}`);
      } else {
        assert.ok(error instanceof KafkaError, `${label} ${mode}: ${String(error)}`);
        assert.equal(error.code, ErrorCode.MESSAGE_TOO_LARGE, `${label} ${mode}: ${error.message}`);
      }
      t.diagnostic(`${label} (${body.length} B) ${mode}: ${error instanceof KafkaError ? error.errorName : 'budget'}; RSS +${(grew.rss / MiB).toFixed(1)} MiB, ArrayBuffers +${(grew.arrayBuffers / MiB).toFixed(1)} MiB`);
      assert.ok(grew.arrayBuffers < 2 * limit, `${label} ${mode}: ArrayBuffers grew by ${grew.arrayBuffers} for ${inflated} inflated`);
      assert.ok(grew.rss < inflated / 4 && grew.rss < 96 * MiB, `${label} ${mode}: RSS grew by ${(grew.rss / MiB).toFixed(1)} MiB for ${inflated / MiB} MiB inflated`);
    }
  }
});

test('zeros or random bytes inflated from a small input are rejected on their first records', () => {
  const zeros = compress(CompressionType.zstd, Buffer.alloc(64 * MiB));
  const scanner = new RecordScanner().reset(1000, 16 * MiB);
  let chunks = 0;
  const sink: DecompressSink = {
    write(c, s, e) {
      chunks++;
      scanner.write(c, s, e);
    },
  };
  assertKafkaError(() => decompressInto(CompressionType.zstd, zeros, sink, 512 * MiB), ErrorCode.INVALID_RECORD);
  assert.equal(chunks, 1, 'rejected in the first chunk');
  // A real batch's records section streams through cleanly.
  const batch = encodeRecordBatch({ compression: CompressionType.zstd, records: Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(i % 300) })) });
  const ok = new RecordScanner().reset(5000, 16 * MiB);
  decompressInto(CompressionType.zstd, batch.subarray(RECORD_BATCH_OVERHEAD), ok, 16 * MiB);
  ok.finish();
  assert.equal(ok.index, 5000);
});
