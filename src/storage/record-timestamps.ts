/**
 * Per-record timestamp lookups inside one stored v2 batch, for ListOffsets.
 *
 * Kafka's rule (FileRecords.searchForTimestamp, RecordBatch.offsetOfMaxTimestamp): the time index
 * and the batch headers only narrow the search to a batch; the answer is a record of that batch:
 * - by timestamp: the first record whose timestamp >= target and offset >= the log start offset
 *   (when no record of the batch qualifies, the search goes on with the next batch);
 * - MAX_TIMESTAMP: the first record whose timestamp equals the batch's maxTimestamp.
 * In a LogAppendTime batch every record's timestamp is the batch's maxTimestamp.
 *
 * The walk reads only each record's length, timestamp delta and offset delta (bounds-checked, no
 * per-record allocation); a compressed batch is decompressed once, within the same limit the
 * record decoder uses. A malformed batch throws CorruptRecordError.
 */
import { CorruptRecordError } from '../common/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CompressionType,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
} from '../protocol/records/batch-header.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from '../protocol/records/compression.js';
import { RecordReader } from '../protocol/records/varint.js';
import { readInt64 } from './int64.js';

export interface RecordTimestamp {
  offset: number;
  timestamp: number;
}

/**
 * Calls `visit(offset, timestamp)` for each record of the batch at batch[0..] in order until it
 * returns true; returns that record, or null when none was accepted.
 */
function findRecord(batch: Buffer, visit: (offset: number, timestamp: number) => boolean): RecordTimestamp | null {
  if (batch.length < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError(`batch of ${batch.length} bytes is shorter than its header`, { position: 0 });
  const size = batch.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  if (size < RECORD_BATCH_OVERHEAD || size > batch.length) throw new CorruptRecordError(`batch length ${size} out of range`, { position: 0 });
  const baseOffset = readInt64(batch, 0);
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP_OFFSET);
  const logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? readInt64(batch, MAX_TIMESTAMP_OFFSET) : null;
  const count = batch.readInt32BE(RECORDS_COUNT_OFFSET);
  const codec = attributes & COMPRESSION_CODEC_MASK;
  let r: RecordReader;
  if (codec === CompressionType.none) {
    r = new RecordReader(batch, RECORD_BATCH_OVERHEAD, size);
  } else {
    let data: Buffer;
    try {
      data = decompress(codec, batch.subarray(RECORD_BATCH_OVERHEAD, size), DEFAULT_MAX_DECOMPRESSED_BYTES);
    } catch (e) {
      throw new CorruptRecordError(`cannot decompress batch: ${e instanceof Error ? e.message : String(e)}`, { position: 0, cause: e });
    }
    r = new RecordReader(data, 0, data.length, 0);
  }
  for (let i = 0; i < count; i++) {
    const length = r.readVarint();
    if (length < 0 || length > r.remaining) throw r.fail(`record length ${length} out of range`);
    const end = r.pos + length;
    r.readInt8(); // attributes
    const timestampDelta = r.readVarlong();
    const offsetDelta = r.readVarint();
    if (r.pos > end) throw r.fail(`record declared ${length} bytes but its header takes more`);
    r.pos = end;
    const offset = baseOffset + offsetDelta;
    const timestamp = logAppendTime ?? baseTimestamp + Number(timestampDelta);
    if (visit(offset, timestamp)) return { offset, timestamp };
  }
  return null;
}

/** The first record with timestamp >= `target` and offset >= `startingOffset`, or null. */
export function firstRecordAtOrAfter(batch: Buffer, target: number, startingOffset: number): RecordTimestamp | null {
  return findRecord(batch, (offset, timestamp) => timestamp >= target && offset >= startingOffset);
}

/** The first record whose timestamp is the batch's maxTimestamp (Kafka's offsetOfMaxTimestamp), or null. */
export function recordOfMaxTimestamp(batch: Buffer): RecordTimestamp | null {
  if (batch.length < RECORD_BATCH_OVERHEAD) return null;
  const max = readInt64(batch, MAX_TIMESTAMP_OFFSET);
  return findRecord(batch, (_offset, timestamp) => timestamp === max);
}
