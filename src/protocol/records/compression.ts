/**
 * Record-batch payload codecs: gzip (node:zlib), snappy (raw and xerial-framed, via `snappy`),
 * lz4 (LZ4 frame format, via `lz4-napi`) and zstd (via `zstd-napi`).
 *
 * Decompression is bounded: output larger than `maxOutputBytes` (default
 * {@link DEFAULT_MAX_DECOMPRESSED_BYTES}) is rejected before it is materialised where the format
 * allows it (snappy length preambles, lz4 block counts, zstd/gzip streaming limits). Every
 * failure surfaces as `KafkaError(CORRUPT_MESSAGE)` (unknown codec ids:
 * `UNSUPPORTED_COMPRESSION_TYPE`).
 *
 * {@link decompressInto} / {@link decompressIntoAsync} (decompress-into.ts, re-exported here) stream
 * the output into a sink instead (the produce path's record scanner) through bounded buffers. The
 * framing both share (xerial header, snappy preambles, LZ4 frame walk, the zstd binding) is in
 * codec-framing.ts.
 */
import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { CompressionType } from './batch-header.js';
import { corrupt, DEFAULT_MAX_DECOMPRESSED_BYTES, isXerialSnappy, lz4, rawSnappyBlock, scanLz4Frame, snappy, tooLarge, xerialBlocks, XERIAL_BLOCK_SIZE, XERIAL_HEADER_SIZE, XERIAL_MAGIC, zstd } from './codec-framing.js';

export { DEFAULT_MAX_DECOMPRESSED_BYTES, isXerialSnappy, XERIAL_BLOCK_SIZE, XERIAL_MAGIC } from './codec-framing.js';
export { DecompressBudgetExceeded, decompressInto, decompressIntoAsync, type DecompressSink } from './decompress-into.js';

const ZSTD_LEVEL_DEFAULT = 3;
const GZIP_LEVEL_DEFAULT = zlibConstants.Z_DEFAULT_COMPRESSION;

export function isKnownCompression(codec: number): codec is CompressionType {
  return Number.isInteger(codec) && codec >= CompressionType.none && codec <= CompressionType.zstd;
}

export function compressionName(codec: number): string {
  switch (codec) {
    case CompressionType.none:
      return 'none';
    case CompressionType.gzip:
      return 'gzip';
    case CompressionType.snappy:
      return 'snappy';
    case CompressionType.lz4:
      return 'lz4';
    case CompressionType.zstd:
      return 'zstd';
    default:
      return `unknown(${codec})`;
  }
}

export interface CompressOptions {
  /** Codec-specific level (gzip 1-9, zstd 1-22); ignored by snappy and lz4. */
  level?: number;
}

/** Compress `data` with `codec`. `none` returns `data` itself. */
export function compress(codec: number, data: Buffer, options?: CompressOptions): Buffer {
  switch (codec) {
    case CompressionType.none:
      return data;
    case CompressionType.gzip:
      return gzipSync(data, { level: options?.level ?? GZIP_LEVEL_DEFAULT });
    case CompressionType.snappy:
      return xerialSnappyCompress(data);
    case CompressionType.lz4:
      return lz4().compressFrameSync(data);
    case CompressionType.zstd:
      return zstdCompress(data, options?.level ?? ZSTD_LEVEL_DEFAULT);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`);
  }
}

/**
 * Decompress `data` that was compressed with `codec`. Output over `maxOutputBytes` and any
 * malformed input throw `KafkaError(CORRUPT_MESSAGE)`.
 */
export function decompress(codec: number, data: Buffer, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  switch (codec) {
    case CompressionType.none:
      if (data.length > maxOutputBytes) throw tooLarge('none', data.length, maxOutputBytes);
      return data;
    case CompressionType.gzip:
      return gzipDecompress(data, maxOutputBytes);
    case CompressionType.snappy:
      return snappyDecompress(data, maxOutputBytes);
    case CompressionType.lz4:
      return lz4Decompress(data, maxOutputBytes);
    case CompressionType.zstd:
      return zstdDecompress(data, maxOutputBytes);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`);
  }
}

// ---------------------------------------------------------------------------------------------
// gzip

function gzipDecompress(data: Buffer, max: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, max) });
  } catch (e) {
    if (e instanceof RangeError || (e instanceof Error && 'code' in e && e.code === 'ERR_BUFFER_TOO_LARGE')) {
      throw corrupt(`gzip: decompressed size exceeds the limit of ${max} bytes`, e);
    }
    throw corrupt('gzip: invalid compressed data', e);
  }
}

// ---------------------------------------------------------------------------------------------
// snappy

/** Encode like the Java client: xerial stream header, then [int32 length, raw snappy block] per 32 KiB. */
export function xerialSnappyCompress(data: Buffer, blockSize = XERIAL_BLOCK_SIZE): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  parts.push(header);
  let total = header.length;
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const block = snappy().compressSync(data.subarray(pos, Math.min(data.length, pos + blockSize)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** Raw (unframed) snappy block compression. */
export function rawSnappyCompress(data: Buffer): Buffer {
  return snappy().compressSync(data);
}

/** Decode either xerial-framed or raw snappy. */
export function snappyDecompress(data: Buffer, max = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  if (!isXerialSnappy(data)) return rawSnappyBlock(data, max, 'snappy');
  const parts: Buffer[] = [];
  let total = 0;
  for (const b of xerialBlocks(data)) {
    const block = rawSnappyBlock(b, max - total, 'snappy (xerial)');
    total += block.length;
    parts.push(block);
  }
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts, total);
}

// ---------------------------------------------------------------------------------------------
// lz4 (frame format)

function lz4Decompress(data: Buffer, max: number): Buffer {
  const frames: { start: number; end: number }[] = [];
  let bound = 0;
  let pos = 0;
  if (data.length === 0) throw corrupt('lz4: empty input');
  while (pos < data.length) {
    const scan = scanLz4Frame(data, pos);
    if (!scan.skippable) {
      frames.push({ start: pos, end: scan.end });
      bound += scan.bound;
    }
    pos = scan.end;
  }
  if (bound > max) throw tooLarge('lz4', bound, max);
  const parts: Buffer[] = [];
  let total = 0;
  for (const f of frames) {
    let out: Buffer;
    try {
      out = lz4().decompressFrameSync(data.subarray(f.start, f.end));
    } catch (e) {
      throw corrupt('lz4: invalid compressed data', e);
    }
    total += out.length;
    if (total > max) throw tooLarge('lz4', total, max);
    parts.push(out);
  }
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  return Buffer.concat(parts, total);
}

// ---------------------------------------------------------------------------------------------
// zstd

let zstdDCtx: ZstdBindingModule.DCtx | undefined;
let zstdCCtx: ZstdBindingModule.CCtx | undefined;

function zstdCompress(data: Buffer, level: number): Buffer {
  zstdCCtx ??= new (zstd().CCtx)();
  const dst = Buffer.allocUnsafe(zstd().compressBound(data.length));
  const n = zstdCCtx.compress(dst, data, level);
  return dst.subarray(0, n);
}

/**
 * Streaming decompression into chunks so a frame header that lies about its content size cannot
 * make us allocate more than `max` bytes.
 */
function zstdDecompress(data: Buffer, max: number): Buffer {
  if (data.length === 0) throw corrupt('zstd: empty input');
  const dctx = (zstdDCtx ??= new (zstd().DCtx)());
  const chunkSize = zstd().dStreamOutSize();
  const parts: Buffer[] = [];
  let total = 0;
  let src = data;
  let lastRet = 0;
  try {
    dctx.reset(zstd().ResetDirective.sessionOnly);
    for (;;) {
      const dst = Buffer.allocUnsafe(chunkSize);
      const [ret, produced, consumed] = dctx.decompressStream(dst, src);
      // A call that moved nothing (e.g. an extra flush probe after the last frame) says nothing
      // about frame completeness; only progress updates the "frame finished" status.
      if (consumed > 0 || produced > 0) lastRet = ret;
      src = src.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > max) throw tooLarge('zstd', total, max);
        parts.push(produced === dst.length ? dst : dst.subarray(0, produced));
      }
      // Done when all input is consumed and the decoder has nothing left to flush
      // (ret === 0 means a frame just completed).
      if (src.length === 0 && produced < chunkSize) break;
      if (consumed === 0 && produced === 0) throw corrupt('zstd: decoder made no progress');
    }
  } catch (e) {
    dctx.reset(zstd().ResetDirective.sessionOnly);
    if (e instanceof KafkaError) throw e;
    throw corrupt('zstd: invalid compressed data', e);
  }
  if (lastRet !== 0) throw corrupt('zstd: truncated frame');
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  return Buffer.concat(parts, total);
}
