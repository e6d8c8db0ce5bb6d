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
 * {@link decompressInto} / {@link decompressIntoAsync} stream the output into a sink instead (the
 * produce path's record scanner) through bounded buffers, never holding the whole output:
 *
 * | codec  | how                                                                                  | held at once            |
 * |--------|--------------------------------------------------------------------------------------|-------------------------|
 * | zstd   | `ZSTD_decompressStream` into one reused 128 KiB buffer                               | 128 KiB (+ zstd window) |
 * | gzip   | sync: `gunzipSync` with `maxOutputLength`; async: zlib's streaming Gunzip (threadpool) | budget / 64 KiB chunks |
 * | snappy | xerial framing block by block (each block's exact size from its preamble); raw: one block | one block            |
 * | lz4    | frame by frame, after bounding the frame's output by its block count x block size    | one frame               |
 *
 * Output beyond the limit is `MESSAGE_TOO_LARGE` (Kafka's RecordTooLargeException; the Java
 * producer splits such a batch and retries) and is detected before inflating where the format
 * tells the size (zstd frame content size, snappy preambles, lz4 block counts), else as soon as the
 * stream passes the limit.
 */
import { createRequire } from 'node:module';
import { createGunzip, gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { compressSync as snappyCompressRaw, uncompressSync as snappyUncompressRaw } from 'snappy';
import { compressFrameSync as lz4CompressFrame, decompressFrameSync as lz4DecompressFrame } from 'lz4-napi';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { CompressionType } from './batch-header.js';

const require = createRequire(import.meta.url);
// zstd-napi's low-level binding is a CommonJS native module; load it through require so the
// streaming decompressor (which lets us cap the output size) is reachable from ESM.
const zstd = require('zstd-napi/binding.js') as typeof ZstdBindingModule;

/** Default upper bound on the decompressed size of one batch's records section: 512 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024;

/** Block size snappy-java's SnappyOutputStream uses by default (the Java client does not change it). */
export const XERIAL_BLOCK_SIZE = 32 * 1024;

/** 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00 — the snappy-java stream header magic. */
export const XERIAL_MAGIC: Buffer = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16; // magic + int32 version + int32 compatible version

const ZSTD_LEVEL_DEFAULT = 3;
const GZIP_LEVEL_DEFAULT = zlibConstants.Z_DEFAULT_COMPRESSION;

function corrupt(message: string, cause?: unknown): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message, cause === undefined ? undefined : { cause });
}

function tooLarge(what: string, size: number, max: number): KafkaError {
  return corrupt(`${what}: decompressed size ${size} exceeds the limit of ${max} bytes`);
}

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
      return lz4CompressFrame(data);
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

/** True if `data` starts with the snappy-java (xerial) stream header magic. */
export function isXerialSnappy(data: Buffer): boolean {
  return data.length >= XERIAL_MAGIC.length && data.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, 0, XERIAL_MAGIC.length) === 0;
}

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
    const block = snappyCompressRaw(data.subarray(pos, Math.min(data.length, pos + blockSize)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** Raw (unframed) snappy block compression. */
export function rawSnappyCompress(data: Buffer): Buffer {
  return snappyCompressRaw(data);
}

/** Decode either xerial-framed or raw snappy. */
export function snappyDecompress(data: Buffer, max = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  if (!isXerialSnappy(data)) return rawSnappyBlock(data, max, 'snappy');
  if (data.length < XERIAL_HEADER_SIZE) throw corrupt('snappy: truncated xerial stream header');
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('snappy: truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw corrupt(`snappy: xerial block length ${len} out of range`);
    const block = rawSnappyBlock(data.subarray(pos, pos + len), max - total, 'snappy (xerial)');
    pos += len;
    total += block.length;
    parts.push(block);
  }
  return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts, total);
}

/** Reads the uncompressed-length varint preamble of a raw snappy block. */
function rawSnappyLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corrupt('snappy: truncated length preamble');
    const b = block[i] ?? 0;
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (result > 0xffffffff) break;
      return result;
    }
  }
  throw corrupt('snappy: invalid length preamble');
}

function rawSnappyBlock(block: Buffer, max: number, what: string): Buffer {
  const expected = rawSnappyLength(block);
  if (expected > max) throw tooLarge(what, expected, max);
  let out: Buffer;
  try {
    const r = snappyUncompressRaw(block, { asBuffer: true });
    out = typeof r === 'string' ? Buffer.from(r) : r;
  } catch (e) {
    throw corrupt(`${what}: invalid compressed data`, e);
  }
  if (out.length !== expected) throw corrupt(`${what}: decoded ${out.length} bytes, preamble said ${expected}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// lz4 (frame format)

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

interface Lz4FrameScan {
  /** End position (exclusive) of the frame. */
  end: number;
  /** Upper bound on the frame's decompressed size (capped by the declared content size). */
  bound: number;
  /** Upper bound from the blocks alone (the declared content size is the sender's claim). */
  rawBound: number;
  skippable: boolean;
}

/**
 * Walks one LZ4 frame starting at `pos` without decompressing it: validates the structure and
 * computes an upper bound of its output (sum of the block maximum size over compressed blocks).
 */
function scanLz4Frame(data: Buffer, pos: number): Lz4FrameScan {
  if (data.length - pos < 4) throw corrupt('lz4: truncated frame magic');
  const magic = data.readUInt32LE(pos);
  if (((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC) {
    if (data.length - pos < 8) throw corrupt('lz4: truncated skippable frame');
    const size = data.readUInt32LE(pos + 4);
    if (size > data.length - pos - 8) throw corrupt('lz4: truncated skippable frame');
    return { end: pos + 8 + size, bound: 0, rawBound: 0, skippable: true };
  }
  if (magic !== LZ4_FRAME_MAGIC) throw corrupt(`lz4: bad frame magic 0x${magic.toString(16)}`);
  let p = pos + 4;
  if (data.length - p < 3) throw corrupt('lz4: truncated frame descriptor');
  const flg = data[p] ?? 0;
  const bd = data[p + 1] ?? 0;
  if (flg >> 6 !== 1) throw corrupt(`lz4: unsupported frame version ${flg >> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSizeFlag = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 0x07];
  if (blockMax === undefined) throw corrupt(`lz4: invalid block maximum size id ${(bd >> 4) & 0x07}`);
  p += 2;
  let contentSize = -1;
  if (contentSizeFlag) {
    if (data.length - p < 8) throw corrupt('lz4: truncated frame descriptor');
    const cs = data.readBigUInt64LE(p);
    contentSize = cs > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(cs);
    p += 8;
  }
  if (dictId) p += 4;
  p += 1; // header checksum
  if (p > data.length) throw corrupt('lz4: truncated frame descriptor');
  let bound = 0;
  for (;;) {
    if (data.length - p < 4) throw corrupt('lz4: truncated block header');
    const word = data.readUInt32LE(p);
    p += 4;
    if (word === 0) break; // end mark
    const uncompressed = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw corrupt(`lz4: block size ${size} exceeds the frame's maximum ${blockMax}`);
    const need = size + (blockChecksum ? 4 : 0);
    if (data.length - p < need) throw corrupt('lz4: truncated block');
    p += need;
    bound += uncompressed ? size : blockMax;
  }
  if (contentChecksum) {
    if (data.length - p < 4) throw corrupt('lz4: truncated content checksum');
    p += 4;
  }
  const rawBound = bound;
  if (contentSize >= 0) bound = Math.min(bound, contentSize);
  return { end: p, bound, rawBound, skippable: false };
}

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
      out = lz4DecompressFrame(data.subarray(f.start, f.end));
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
  zstdCCtx ??= new zstd.CCtx();
  const dst = Buffer.allocUnsafe(zstd.compressBound(data.length));
  const n = zstdCCtx.compress(dst, data, level);
  return dst.subarray(0, n);
}

/**
 * Streaming decompression into chunks so a frame header that lies about its content size cannot
 * make us allocate more than `max` bytes.
 */
function zstdDecompress(data: Buffer, max: number): Buffer {
  if (data.length === 0) throw corrupt('zstd: empty input');
  const dctx = (zstdDCtx ??= new zstd.DCtx());
  const chunkSize = zstd.dStreamOutSize();
  const parts: Buffer[] = [];
  let total = 0;
  let src = data;
  let lastRet = 0;
  try {
    dctx.reset(zstd.ResetDirective.sessionOnly);
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
    dctx.reset(zstd.ResetDirective.sessionOnly);
    if (e instanceof KafkaError) throw e;
    throw corrupt('zstd: invalid compressed data', e);
  }
  if (lastRet !== 0) throw corrupt('zstd: truncated frame');
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  return Buffer.concat(parts, total);
}

// ---------------------------------------------------------------------------------------------
// Streaming decompression into a sink

/** Receives decompressed output in order. The chunk may be reused once write() returns. */
export interface DecompressSink {
  write(chunk: Buffer, start: number, end: number): void;
}

/**
 * Thrown by {@link decompressInto} when the output would pass `budget` (but not the limit): the
 * caller asked to stay small (e.g. on the event loop) and should redo the work elsewhere.
 */
export class DecompressBudgetExceeded extends Error {
  constructor(readonly bytes: number) {
    super(`decompressed output exceeds the synchronous budget (${bytes} bytes)`);
    this.name = 'DecompressBudgetExceeded';
  }
}

function overLimit(what: string, size: number, limit: number): KafkaError {
  return new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `${what}: record batch decompresses to ${size > limit ? `${size} bytes, more than` : 'more than'} the limit of ${limit} bytes`);
}

/** MESSAGE_TOO_LARGE past `limit`, DecompressBudgetExceeded past a smaller `budget`. */
function checkSize(what: string, size: number, limit: number, budget: number): void {
  if (size > limit) throw overLimit(what, size, limit);
  if (size > budget) throw new DecompressBudgetExceeded(size);
}

/** Errors that pass through unchanged: the sink's own (KafkaError) and the budget signal. */
function passThrough(e: unknown): boolean {
  return e instanceof KafkaError || e instanceof DecompressBudgetExceeded;
}

/**
 * Decompresses `data` into `sink` synchronously through bounded buffers (see the module comment).
 * Output over `limit` throws KafkaError(MESSAGE_TOO_LARGE); over `budget` (default: the limit)
 * DecompressBudgetExceeded; malformed input KafkaError(CORRUPT_MESSAGE); errors the sink throws
 * propagate unchanged. Returns the number of bytes written to the sink.
 */
export function decompressInto(codec: number, data: Buffer, sink: DecompressSink, limit: number, budget = limit): number {
  const b = Math.min(budget, limit);
  switch (codec) {
    case CompressionType.none:
      checkSize('none', data.length, limit, b);
      sink.write(data, 0, data.length);
      return data.length;
    case CompressionType.gzip:
      return gzipInto(data, sink, limit, b);
    case CompressionType.snappy:
      return snappyInto(data, sink, limit, b);
    case CompressionType.lz4:
      return lz4Into(data, sink, limit, b);
    case CompressionType.zstd:
      return zstdInto(data, sink, limit, b);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`);
  }
}

/**
 * Like {@link decompressInto} without a budget, for work off the event loop: gzip runs through
 * zlib's streaming Gunzip (inflated in 64 KiB chunks on the libuv threadpool, stopped at the limit);
 * the other codecs as in decompressInto.
 */
export async function decompressIntoAsync(codec: number, data: Buffer, sink: DecompressSink, limit: number): Promise<number> {
  if (codec !== CompressionType.gzip) return decompressInto(codec, data, sink, limit);
  return new Promise<number>((resolve, reject) => {
    const z = createGunzip({ chunkSize: 64 * 1024 });
    let total = 0;
    let done = false;
    const fail = (e: unknown): void => {
      if (done) return;
      done = true;
      z.destroy();
      reject(e);
    };
    z.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > limit) return fail(overLimit('gzip', total, limit));
      try {
        sink.write(chunk, 0, chunk.length);
      } catch (e) {
        fail(e);
      }
    });
    z.on('end', () => {
      if (done) return;
      done = true;
      resolve(total);
    });
    z.on('error', (e) => fail(corrupt('gzip: invalid compressed data', e)));
    z.end(data);
  });
}

function gzipInto(data: Buffer, sink: DecompressSink, limit: number, budget: number): number {
  // ISIZE (the last member's size mod 2^32) only routes work: a liar is caught by maxOutputLength.
  if (budget < limit && data.length >= 18 && data.readUInt32LE(data.length - 4) > budget) throw new DecompressBudgetExceeded(data.readUInt32LE(data.length - 4));
  let out: Buffer;
  try {
    out = gunzipSync(data, { maxOutputLength: Math.max(1, budget) });
  } catch (e) {
    if (e instanceof RangeError || (e instanceof Error && 'code' in e && e.code === 'ERR_BUFFER_TOO_LARGE')) {
      if (budget < limit) throw new DecompressBudgetExceeded(budget + 1);
      throw overLimit('gzip', budget + 1, limit);
    }
    throw corrupt('gzip: invalid compressed data', e);
  }
  sink.write(out, 0, out.length);
  return out.length;
}

function snappyInto(data: Buffer, sink: DecompressSink, limit: number, budget: number): number {
  if (!isXerialSnappy(data)) {
    checkSize('snappy', rawSnappyLength(data), limit, budget);
    const out = rawSnappyBlock(data, limit, 'snappy');
    sink.write(out, 0, out.length);
    return out.length;
  }
  if (data.length < XERIAL_HEADER_SIZE) throw corrupt('snappy: truncated xerial stream header');
  // Walk the framing first: the preambles give the exact output size before anything is inflated.
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('snappy: truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw corrupt(`snappy: xerial block length ${len} out of range`);
    total += rawSnappyLength(data.subarray(pos, pos + len));
    pos += len;
  }
  checkSize('snappy (xerial)', total, limit, budget);
  pos = XERIAL_HEADER_SIZE;
  let written = 0;
  while (pos < data.length) {
    const len = data.readInt32BE(pos);
    pos += 4;
    const block = rawSnappyBlock(data.subarray(pos, pos + len), limit - written, 'snappy (xerial)');
    pos += len;
    written += block.length;
    sink.write(block, 0, block.length);
  }
  return written;
}

function lz4Into(data: Buffer, sink: DecompressSink, limit: number, budget: number): number {
  if (data.length === 0) throw corrupt('lz4: empty input');
  const frames: number[] = [];
  let bound = 0;
  let pos = 0;
  while (pos < data.length) {
    const scan = scanLz4Frame(data, pos);
    if (!scan.skippable) {
      frames.push(pos, scan.end);
      bound += scan.rawBound;
    }
    pos = scan.end;
  }
  // The block count bounds what a frame can inflate to, whatever its header claims.
  checkSize('lz4', bound, limit, budget);
  let written = 0;
  for (let i = 0; i < frames.length; i += 2) {
    let out: Buffer;
    try {
      out = lz4DecompressFrame(data.subarray(frames[i], frames[i + 1]));
    } catch (e) {
      throw corrupt('lz4: invalid compressed data', e);
    }
    written += out.length;
    if (written > limit) throw overLimit('lz4', written, limit);
    sink.write(out, 0, out.length);
  }
  return written;
}

let zstdStreamDCtx: ZstdBindingModule.DCtx | undefined;
let zstdStreamOut: Buffer | undefined;

function zstdInto(data: Buffer, sink: DecompressSink, limit: number, budget: number): number {
  if (data.length === 0) throw corrupt('zstd: empty input');
  // The first frame's declared content size (zstd verifies it against what the frame decodes to).
  let declared: number | null = null;
  try {
    declared = zstd.getFrameContentSize(data);
  } catch {
    declared = null; // not a frame header zstd understands: the decoder below reports it
  }
  if (declared !== null) checkSize('zstd', declared, limit, budget);
  const dctx = (zstdStreamDCtx ??= new zstd.DCtx());
  const out = (zstdStreamOut ??= Buffer.allocUnsafe(zstd.dStreamOutSize()));
  let total = 0;
  let src = data;
  let lastRet = 0;
  try {
    dctx.reset(zstd.ResetDirective.sessionOnly);
    for (;;) {
      const [ret, produced, consumed] = dctx.decompressStream(out, src);
      if (consumed > 0 || produced > 0) lastRet = ret;
      src = src.subarray(consumed);
      if (produced > 0) {
        total += produced;
        checkSize('zstd', total, limit, budget);
        sink.write(out, 0, produced);
      }
      if (src.length === 0 && produced < out.length) break;
      if (consumed === 0 && produced === 0) throw corrupt('zstd: decoder made no progress');
    }
  } catch (e) {
    dctx.reset(zstd.ResetDirective.sessionOnly);
    if (passThrough(e)) throw e;
    throw corrupt('zstd: invalid compressed data', e);
  }
  if (lastRet !== 0) throw corrupt('zstd: truncated frame');
  return total;
}
