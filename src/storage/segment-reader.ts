/**
 * Stateless read-side operations on one segment's `.log` file descriptor: locating the batch
 * holding an offset, reading whole batches into one Buffer, timestamp search and tail scans.
 */
import * as fs from 'node:fs';
import { POOLED_READ_BYTES, type BufferPool } from '../common/buffer-pool.js';
import { CorruptRecordError } from '../common/errors.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { CURRENT_MAGIC, MIN_BATCH_LENGTH, ScanStatus, scanBatches } from './batch-scanner.js';
import { readFully } from './fs-util.js';
import { readInt64 } from './int64.js';
import { firstRecordAtOrAfter, recordOfMaxTimestamp, type RecordTimestamp } from './record-timestamps.js';
import { TIME_INDEX_ENTRY_SIZE } from './time-index.js';

/**
 * A buffer for a batch read. Large ones come from the log-read pool: when Fetch has written them
 * to a client the connection gives them back (other readers simply drop theirs).
 */
function readBuffer(size: number, pool: BufferPool | undefined): Buffer {
  return pool !== undefined && size >= POOLED_READ_BYTES ? pool.take(size) : Buffer.allocUnsafe(size);
}

/** Location of the batch containing (or first following) an offset. */
export interface BatchLocation {
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
}

export interface SegmentRead {
  records: Buffer;
  firstBatchOffset: number;
  /** File position just past the returned batches. */
  endPosition: number;
  /** lastOffset of the last returned batch (-1 if none). */
  lastOffset: number;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** The first batch with lastOffset >= target, scanning [startPosition, end). Throws on a malformed log. */
export function findBatch(fd: number, path: string, baseOffset: number, end: number, target: number, startPosition: number): BatchLocation | null {
  let found: BatchLocation | null = null;
  const res = scanBatches(fd, startPosition, end, { validateCrc: false, minBaseOffset: baseOffset, maxOffsetExclusive: NO_LIMIT }, (position, base, last, _ts, size) => {
    if (last < target) return true;
    found = { position, baseOffset: base, lastOffset: last, size };
    return false;
  });
  if (found === null && res.status !== ScanStatus.end) {
    throw new CorruptRecordError(`malformed batch in ${path} at position ${res.position}`, { position: res.position });
  }
  return found;
}

function empty(firstBatchOffset: number, position: number): SegmentRead {
  return { records: EMPTY_BUFFER, firstBatchOffset, endPosition: position, lastOffset: -1 };
}

/**
 * Reads whole batches starting at `position` (a batch boundary) with a single read in the common
 * case: at most `maxBytes` (one whole batch regardless when `minOneMessage`), stopping before the
 * first batch whose lastOffset reaches `maxOffset`. `firstSize` is the first batch's size if known (else 0).
 */
export function readBatchesAt(
  fd: number,
  path: string,
  position: number,
  end: number,
  maxBytes: number,
  maxOffset: number,
  minOneMessage: boolean,
  firstSize: number,
  pool?: BufferPool,
): SegmentRead {
  const available = end - position;
  let toRead = Math.min(maxBytes, available);
  if (firstSize > 0 && toRead < firstSize) toRead = minOneMessage ? firstSize : Math.min(available, RECORD_BATCH_OVERHEAD);
  if (toRead < RECORD_BATCH_OVERHEAD) toRead = Math.min(available, RECORD_BATCH_OVERHEAD);
  let buf = readBuffer(toRead, pool);
  let n = readFully(fd, buf, 0, toRead, position);
  if (n < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError(`short read in ${path} at ${position}`, { position });
  const batchLength = buf.readInt32BE(BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH || buf[MAGIC_OFFSET] !== CURRENT_MAGIC || batchLength + LOG_OVERHEAD > available) {
    throw new CorruptRecordError(`malformed batch in ${path} at position ${position}`, { position });
  }
  const size0 = batchLength + LOG_OVERHEAD;
  const base0 = readInt64(buf, 0);
  const last0 = base0 + buf.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  if (last0 >= maxOffset) return empty(base0, position);
  if (size0 > n) {
    if (!minOneMessage && size0 > maxBytes) return empty(base0, position);
    buf = readBuffer(size0, pool);
    n = readFully(fd, buf, 0, size0, position);
    if (n < size0) throw new CorruptRecordError(`short read in ${path} at ${position}`, { position });
  } else if (size0 > maxBytes && !minOneMessage) {
    return empty(base0, position);
  }
  let endPos = size0;
  let lastOffset = last0;
  const limit = Math.min(n, Math.max(maxBytes, size0));
  while (endPos + RECORD_BATCH_OVERHEAD <= limit) {
    const len = buf.readInt32BE(endPos + BATCH_LENGTH_OFFSET);
    if (len < MIN_BATCH_LENGTH) break;
    const size = len + LOG_OVERHEAD;
    if (endPos + size > limit) break;
    const last = readInt64(buf, endPos) + buf.readInt32BE(endPos + LAST_OFFSET_DELTA_OFFSET);
    if (last >= maxOffset) break;
    lastOffset = last;
    endPos += size;
  }
  return { records: endPos === buf.length ? buf : buf.subarray(0, endPos), firstBatchOffset: base0, endPosition: position + endPos, lastOffset };
}

/** The whole batch at `position` (`size` bytes), read for a record-level look inside it. */
function readWholeBatch(fd: number, position: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  if (readFully(fd, buf, 0, size, position) < size) throw new CorruptRecordError(`short read of a ${size}-byte batch at ${position}`, { position });
  return buf;
}

/**
 * ListOffsets by timestamp in [startPosition, end): in the first batch whose maxTimestamp >= ts,
 * the first record with timestamp >= ts at or after `startingOffset` (see record-timestamps.ts).
 */
export function searchTimestamp(
  fd: number,
  baseOffset: number,
  startPosition: number,
  end: number,
  ts: number,
  startingOffset: number,
): RecordTimestamp | null {
  let result: RecordTimestamp | null = null;
  scanBatches(fd, startPosition, end, { validateCrc: false, minBaseOffset: baseOffset, maxOffsetExclusive: NO_LIMIT }, (pos, _base, last, maxTimestamp, size) => {
    if (maxTimestamp < ts || last < startingOffset) return true;
    result = firstRecordAtOrAfter(readWholeBatch(fd, pos, size), ts, startingOffset);
    return result === null;
  });
  return result;
}

/**
 * ListOffsets MAX_TIMESTAMP in [startPosition, end): the first batch whose maxTimestamp is `ts`,
 * and in it the first record carrying that timestamp.
 */
export function searchMaxTimestampRecord(fd: number, baseOffset: number, startPosition: number, end: number, ts: number): RecordTimestamp | null {
  let result: RecordTimestamp | null = null;
  scanBatches(fd, startPosition, end, { validateCrc: false, minBaseOffset: baseOffset, maxOffsetExclusive: NO_LIMIT }, (pos, _base, _last, maxTimestamp, size) => {
    if (maxTimestamp !== ts) return true;
    result = recordOfMaxTimestamp(readWholeBatch(fd, pos, size));
    return false;
  });
  return result;
}

/** maxTimestamp of the batch at position 0, -1 if unreadable. */
export function readFirstBatchMaxTimestamp(fd: number): number {
  const head = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
  return readFully(fd, head, 0, RECORD_BATCH_OVERHEAD, 0) === RECORD_BATCH_OVERHEAD ? readInt64(head, MAX_TIMESTAMP_OFFSET) : -1;
}

/**
 * Last entry of a sealed time index file, read with one small read: {timestamp: -1} for an empty
 * file, undefined when missing or implausible (the caller then loads and validates the index).
 */
export function readLastTimeIndexEntry(file: string, baseOffset: number): { timestamp: number; offset: number } | undefined {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    if (size === 0) return { timestamp: -1, offset: -1 };
    if (size % TIME_INDEX_ENTRY_SIZE !== 0) return undefined;
    const entry = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE);
    if (readFully(fd, entry, 0, TIME_INDEX_ENTRY_SIZE, size - TIME_INDEX_ENTRY_SIZE) !== TIME_INDEX_ENTRY_SIZE) return undefined;
    const timestamp = readInt64(entry, 0);
    const rel = entry.readInt32BE(8);
    return timestamp >= 0 && rel >= 0 ? { timestamp, offset: baseOffset + rel } : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

export interface TailState {
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/**
 * Scans the batches after the last offset index entry (at `from`, which must hold the batch whose
 * lastOffset is `indexedOffset` when `hasEntry`) to the end: next offset and max timestamp, merged
 * with the time index's last entry. Null when the tail is malformed or inconsistent with the index.
 */
export function scanTail(
  fd: number,
  baseOffset: number,
  from: number,
  end: number,
  hasEntry: boolean,
  indexedOffset: number,
  maxTimestamp: number,
  offsetOfMaxTimestamp: number,
): TailState | null {
  let first = true;
  let consistent = true;
  const state: TailState = { nextOffset: baseOffset, maxTimestamp, offsetOfMaxTimestamp };
  const res = scanBatches(fd, from, end, { validateCrc: false, minBaseOffset: baseOffset, maxOffsetExclusive: baseOffset + 0x80000000 }, (_pos, base, last, ts) => {
    if (first && hasEntry && (base > indexedOffset || last < indexedOffset)) {
      consistent = false;
      return false;
    }
    first = false;
    if (ts > state.maxTimestamp) {
      state.maxTimestamp = ts;
      state.offsetOfMaxTimestamp = last;
    }
    return true;
  });
  if (!consistent || res.status !== ScanStatus.end) return null;
  if (res.lastOffset >= 0) state.nextOffset = res.lastOffset + 1;
  return state;
}
