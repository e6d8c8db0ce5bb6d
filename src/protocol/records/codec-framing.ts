/**
 * The framing shared by the whole-buffer codecs (compression.ts) and the streaming decompression
 * into a sink (decompress-into.ts): the zstd binding, the snappy-java (xerial) stream header, a raw
 * snappy block's length preamble, the walk over an LZ4 frame that bounds its output without
 * inflating it, and the CORRUPT_MESSAGE errors.
 *
 * Kafka's rule: every failure to decode a batch's compressed payload is CORRUPT_MESSAGE; the
 * bounds on the output (checked here from the format's own size fields, before inflating) are
 * Samsa's (see the module comment of compression.ts).
 *
 * The three native codec addons (snappy, lz4-napi, zstd-napi) are loaded on first use, through
 * require (synchronous; all three are CommonJS): a broker whose clients do not compress with them
 * never loads them (start-up time, issue 22 target 3: ~8 ms of CPU for the three).
 */
import { createRequire } from 'node:module';
import type * as SnappyModule from 'snappy';
import type * as Lz4Module from 'lz4-napi';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';

const require = createRequire(import.meta.url);
let snappyModule: typeof SnappyModule | null = null;
let lz4Module: typeof Lz4Module | null = null;
let zstdModule: typeof ZstdBindingModule | null = null;

/** The snappy addon, loaded on first use. */
export function snappy(): typeof SnappyModule {
  return (snappyModule ??= require('snappy') as typeof SnappyModule);
}

/** The lz4-napi addon (LZ4 frame format), loaded on first use. */
export function lz4(): typeof Lz4Module {
  return (lz4Module ??= require('lz4-napi') as typeof Lz4Module);
}

/**
 * zstd-napi's low-level binding, loaded on first use: its streaming decompressor lets us cap the
 * output size.
 */
export function zstd(): typeof ZstdBindingModule {
  return (zstdModule ??= require('zstd-napi/binding.js') as typeof ZstdBindingModule);
}

/** Default upper bound on the decompressed size of one batch's records section: 512 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024;

/** Block size snappy-java's SnappyOutputStream uses by default (the Java client does not change it). */
export const XERIAL_BLOCK_SIZE = 32 * 1024;

/** 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00 — the snappy-java stream header magic. */
export const XERIAL_MAGIC: Buffer = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_SIZE = 16; // magic + int32 version + int32 compatible version

export function corrupt(message: string, cause?: unknown): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message, cause === undefined ? undefined : { cause });
}

export function tooLarge(what: string, size: number, max: number): KafkaError {
  return corrupt(`${what}: decompressed size ${size} exceeds the limit of ${max} bytes`);
}

// ---------------------------------------------------------------------------------------------
// snappy

/** True if `data` starts with the snappy-java (xerial) stream header magic. */
export function isXerialSnappy(data: Buffer): boolean {
  return data.length >= XERIAL_MAGIC.length && data.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, 0, XERIAL_MAGIC.length) === 0;
}

/** Reads the uncompressed-length varint preamble of a raw snappy block. */
/**
 * The blocks of a snappy-java (xerial) stream, as views of `data`: the whole framing is checked
 * (header, every int32 block length within the input) before any block is inflated.
 */
export function xerialBlocks(data: Buffer): Buffer[] {
  if (data.length < XERIAL_HEADER_SIZE) throw corrupt('snappy: truncated xerial stream header');
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('snappy: truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw corrupt(`snappy: xerial block length ${len} out of range`);
    blocks.push(data.subarray(pos, pos + len));
    pos += len;
  }
  return blocks;
}

export function rawSnappyLength(block: Buffer): number {
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

export function rawSnappyBlock(block: Buffer, max: number, what: string): Buffer {
  const expected = rawSnappyLength(block);
  if (expected > max) throw tooLarge(what, expected, max);
  let out: Buffer;
  try {
    const r = snappy().uncompressSync(block, { asBuffer: true });
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

export interface Lz4FrameScan {
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
export function scanLz4Frame(data: Buffer, pos: number): Lz4FrameScan {
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
