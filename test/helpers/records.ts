/**
 * Hand-built record batches for validation tests: a header around any records section (valid CRC,
 * any claimed recordsCount), and decompression bombs whose records are structurally valid (so only
 * the size limit stops them), built from repeated compressed frames without ever holding the
 * inflated data.
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { compressFrameSync as lz4Frame } from 'lz4-napi';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  BASE_SEQUENCE_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../../src/protocol/records/batch-header.js';
import { compress, rawSnappyCompress, XERIAL_MAGIC } from '../../src/protocol/records/compression.js';
import { rewriteBatchCrc } from '../../src/protocol/records/record.js';

/** Zig-zag varint bytes. */
export function zigzag(n: number): number[] {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/**
 * A v2 batch around `body` (a records section, compressed with `codec` or not) with a valid CRC.
 * `count` goes to recordsCount and lastOffsetDelta + 1 unless `lastOffsetDelta` says otherwise.
 */
export function batchAround(body: Buffer, count: number, opts: { codec?: number; lastOffsetDelta?: number; timestamp?: bigint } = {}): Buffer {
  const out = Buffer.alloc(RECORD_BATCH_OVERHEAD + body.length);
  const ts = opts.timestamp ?? BigInt(Date.now());
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(2, MAGIC_OFFSET);
  out.writeInt16BE(opts.codec ?? CompressionType.none, ATTRIBUTES_OFFSET);
  out.writeInt32BE(opts.lastOffsetDelta ?? count - 1, LAST_OFFSET_DELTA_OFFSET);
  out.writeBigInt64BE(ts, BASE_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(ts, MAX_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(-1n, PRODUCER_ID_OFFSET);
  out.writeInt16BE(-1, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(-1, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  body.copy(out, RECORD_BATCH_OVERHEAD);
  rewriteBatchCrc(out, 0);
  return out;
}

const MiB = 1024 * 1024;
const zstdBinding = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof ZstdBindingModule;

/**
 * The plain records section of `count` records (null key, no headers) whose values are
 * `valueMiB` MiB of zeros, as a list of pieces where every zero MiB is the same `zeros` object.
 */
function bombPieces(count: number, valueMiB: number, zeros: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  const valueLen = valueMiB * MiB;
  for (let i = 0; i < count; i++) {
    const fields = [0, ...zigzag(0), ...zigzag(i), ...zigzag(-1), ...zigzag(valueLen)];
    const bodyLen = fields.length + valueLen + 1;
    pieces.push(Buffer.from([...zigzag(bodyLen), ...fields]));
    for (let m = 0; m < valueMiB; m++) pieces.push(zeros);
    pieces.push(Buffer.from([0])); // header count
  }
  return pieces;
}

/**
 * A compressed records section of `count` records of `valueMiB` MiB of zeros each (count x
 * valueMiB MiB inflated), as concatenated frames / gzip members / xerial blocks, each zero MiB
 * compressed once and repeated. With `oneFrame` (zstd only) it is a single streamed frame that
 * declares its content size when `declareSize` is set.
 */
export function bombBody(codec: number, count: number, valueMiB: number): Buffer {
  const zeros = Buffer.alloc(MiB);
  const pieces = bombPieces(count, valueMiB, zeros);
  const cache = new Map<Buffer, Buffer>();
  if (codec === CompressionType.snappy) {
    // xerial framing: blocks of at most 32 KiB; a zero MiB is 32 identical blocks.
    const header = Buffer.alloc(16);
    XERIAL_MAGIC.copy(header, 0);
    header.writeInt32BE(1, 8);
    header.writeInt32BE(1, 12);
    const out: Buffer[] = [header];
    const block = (b: Buffer): Buffer => {
      const c = rawSnappyCompress(b);
      const len = Buffer.alloc(4);
      len.writeInt32BE(c.length, 0);
      return Buffer.concat([len, c]);
    };
    const zeroBlock = block(zeros.subarray(0, 32 * 1024));
    for (const p of pieces) {
      if (p === zeros) for (let i = 0; i < 32; i++) out.push(zeroBlock);
      else out.push(block(p));
    }
    return Buffer.concat(out);
  }
  const frame = (b: Buffer): Buffer => {
    const hit = cache.get(b);
    if (hit !== undefined) return hit;
    const c = codec === CompressionType.lz4 ? lz4Frame(b) : codec === CompressionType.gzip ? gzipSync(b) : compress(codec, b);
    if (b === zeros) cache.set(b, c);
    return c;
  };
  return Buffer.concat(pieces.map(frame));
}

/**
 * A zstd records section of `count` records of `valueMiB` MiB of zeros as one streamed frame
 * (tens of KB for hundreds of MB). With `declareSize` the frame header carries the content size.
 */
export function zstdStreamBomb(count: number, valueMiB: number, declareSize: boolean): Buffer {
  const zeros = Buffer.alloc(MiB);
  const pieces = bombPieces(count, valueMiB, zeros);
  const cctx = new zstdBinding.CCtx();
  cctx.setParameter(zstdBinding.CParameter.compressionLevel, 3);
  if (declareSize) cctx.setPledgedSrcSize(pieces.reduce((n, p) => n + p.length, 0));
  const out: Buffer[] = [];
  const dst = Buffer.alloc(zstdBinding.cStreamOutSize());
  const pump = (src: Buffer, end: boolean): void => {
    let s = src;
    for (;;) {
      const [remaining, produced, consumed] = cctx.compressStream2(dst, s, end ? zstdBinding.EndDirective.end : zstdBinding.EndDirective.continue);
      if (produced > 0) out.push(Buffer.from(dst.subarray(0, produced)));
      s = s.subarray(consumed);
      if (s.length === 0 && (!end || remaining === 0)) return;
    }
  };
  pieces.forEach((p, i) => pump(p, i === pieces.length - 1));
  return Buffer.concat(out);
}
