/**
 * Streaming decompression of a record batch's payload into a sink (the produce path's record
 * scanner) through bounded buffers, never holding the whole output:
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
 *
 * Kafka's rule: undecodable compressed data is CORRUPT_MESSAGE (unknown codec ids:
 * UNSUPPORTED_COMPRESSION_TYPE). The size limit and the synchronous budget are Samsa's.
 */
import { createGunzip, gunzipSync } from 'node:zlib';
import type * as ZstdBindingModule from 'zstd-napi/binding.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { CompressionType } from './batch-header.js';
import { corrupt, isXerialSnappy, lz4, rawSnappyBlock, rawSnappyLength, scanLz4Frame, xerialBlocks, zstd } from './codec-framing.js';

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
  // The framing first: the preambles give the exact output size before anything is inflated.
  const blocks = xerialBlocks(data);
  let total = 0;
  for (const block of blocks) total += rawSnappyLength(block);
  checkSize('snappy (xerial)', total, limit, budget);
  let written = 0;
  for (const b of blocks) {
    const block = rawSnappyBlock(b, limit - written, 'snappy (xerial)');
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
      out = lz4().decompressFrameSync(data.subarray(frames[i], frames[i + 1]));
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
    declared = zstd().getFrameContentSize(data);
  } catch {
    declared = null; // not a frame header zstd understands: the decoder below reports it
  }
  if (declared !== null) checkSize('zstd', declared, limit, budget);
  const dctx = (zstdStreamDCtx ??= new (zstd().DCtx)());
  const out = (zstdStreamOut ??= Buffer.allocUnsafe(zstd().dStreamOutSize()));
  let total = 0;
  let src = data;
  let lastRet = 0;
  try {
    dctx.reset(zstd().ResetDirective.sessionOnly);
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
    dctx.reset(zstd().ResetDirective.sessionOnly);
    if (passThrough(e)) throw e;
    throw corrupt('zstd: invalid compressed data', e);
  }
  if (lastRet !== 0) throw corrupt('zstd: truncated frame');
  return total;
}
