/**
 * Walks v2 record batch headers stored in a file, validating their structure (and optionally the
 * CRC), without decoding records. Used by index lookups, timestamp search, tail loading and
 * recovery. Reads in chunks into a shared scratch buffer: no per-batch allocation.
 */
import {
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  ATTRIBUTES_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../protocol/records/batch-header.js';
import { crc32c } from '../protocol/records/crc32c.js';
import { readFully } from './fs-util.js';
import { readInt64 } from './int64.js';

export const CURRENT_MAGIC = 2;
/** Smallest legal batchLength field value (a batch with no records). */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

/** How a scan ended. */
export const ScanStatus = {
  /** Reached `end` exactly on a batch boundary. */
  end: 0,
  /** The visitor asked to stop; `position` is the start of the batch it rejected. */
  stopped: 1,
  /** A batch runs past `end` (torn write). */
  partial: 2,
  /** Bad length, magic, offsets or CRC. */
  corrupt: 3,
} as const;
export type ScanStatus = (typeof ScanStatus)[keyof typeof ScanStatus];

export interface ScanResult {
  status: ScanStatus;
  /** File position where the scan stopped (= end of the last accepted batch). */
  position: number;
  /** lastOffset of the last accepted batch, or -1 if none. */
  lastOffset: number;
}

/**
 * Called for every structurally valid batch. `buf[bufPos]` is the batch start (the whole batch is
 * present in `buf` only when validating CRCs). Return false to stop before this batch.
 */
export type BatchVisitor = (
  position: number,
  baseOffset: number,
  lastOffset: number,
  maxTimestamp: number,
  size: number,
  leaderEpoch: number,
  buf: Buffer,
  bufPos: number,
) => boolean;

const HEADER_CHUNK = 16 * 1024;
const FULL_CHUNK = 1024 * 1024;
let headerScratch = Buffer.allocUnsafe(HEADER_CHUNK);
let fullScratch: Buffer | undefined;

export interface ScanOptions {
  validateCrc: boolean;
  /** Batches must start at or after this offset (and increase monotonically). */
  minBaseOffset: number;
  /** Batches must end before this offset (exclusive bound), e.g. the next segment's base. */
  maxOffsetExclusive: number;
}

/** Scans batches in [start, end) of `fd`. */
export function scanBatches(fd: number, start: number, end: number, opts: ScanOptions, visit: BatchVisitor): ScanResult {
  const chunk = opts.validateCrc ? FULL_CHUNK : HEADER_CHUNK;
  let buf = opts.validateCrc ? (fullScratch ??= Buffer.allocUnsafe(FULL_CHUNK)) : headerScratch;
  let bufStart = 0;
  let bufLen = 0;
  let pos = start;
  let nextMin = opts.minBaseOffset;
  let lastOffset = -1;
  while (pos < end) {
    const remaining = end - pos;
    if (remaining < LOG_OVERHEAD) return { status: ScanStatus.partial, position: pos, lastOffset };
    const headerNeed = Math.min(remaining, RECORD_BATCH_OVERHEAD);
    if (pos < bufStart || pos + headerNeed > bufStart + bufLen) {
      bufStart = pos;
      bufLen = readFully(fd, buf, 0, Math.min(buf.length, remaining), pos);
      if (bufLen < headerNeed) return { status: ScanStatus.partial, position: pos, lastOffset };
    }
    let bp = pos - bufStart;
    const batchLength = buf.readInt32BE(bp + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH) return { status: ScanStatus.corrupt, position: pos, lastOffset };
    const size = batchLength + LOG_OVERHEAD;
    if (size > remaining) return { status: ScanStatus.partial, position: pos, lastOffset };
    if (buf[bp + MAGIC_OFFSET] !== CURRENT_MAGIC) return { status: ScanStatus.corrupt, position: pos, lastOffset };
    const baseOffset = readInt64(buf, bp);
    const lastDelta = buf.readInt32BE(bp + LAST_OFFSET_DELTA_OFFSET);
    const batchLast = baseOffset + lastDelta;
    if (lastDelta < 0 || baseOffset < nextMin || batchLast >= opts.maxOffsetExclusive) {
      return { status: ScanStatus.corrupt, position: pos, lastOffset };
    }
    if (opts.validateCrc) {
      if (pos + size > bufStart + bufLen) {
        if (size > buf.length) {
          buf = Buffer.allocUnsafe(Math.max(size, chunk));
          fullScratch = buf;
        }
        bufStart = pos;
        bufLen = readFully(fd, buf, 0, Math.min(buf.length, remaining), pos);
        if (bufLen < size) return { status: ScanStatus.partial, position: pos, lastOffset };
        bp = 0;
      }
      const stored = buf.readUInt32BE(bp + CRC_OFFSET);
      if (crc32c(buf.subarray(bp + ATTRIBUTES_OFFSET, bp + size)) !== stored) {
        return { status: ScanStatus.corrupt, position: pos, lastOffset };
      }
    }
    const maxTimestamp = readInt64(buf, bp + MAX_TIMESTAMP_OFFSET);
    const epoch = buf.readInt32BE(bp + PARTITION_LEADER_EPOCH_OFFSET);
    if (!visit(pos, baseOffset, batchLast, maxTimestamp, size, epoch, buf, bp)) {
      return { status: ScanStatus.stopped, position: pos, lastOffset };
    }
    lastOffset = batchLast;
    nextMin = batchLast + 1;
    pos += size;
  }
  return { status: ScanStatus.end, position: pos, lastOffset };
}

/** Test hook: shrink/grow the header chunk (exercises chunk-boundary handling). */
export function setHeaderChunkSizeForTests(bytes: number): void {
  headerScratch = Buffer.allocUnsafe(Math.max(RECORD_BATCH_OVERHEAD, bytes));
}
