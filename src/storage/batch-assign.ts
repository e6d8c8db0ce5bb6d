/**
 * Per-batch work of the produce path, done in place on the received buffer: validate the framing
 * of each v2 batch, assign offsets (leader) or check them and the CRCs (follower). One pass, no per-record work,
 * no allocation besides the result.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
} from '../protocol/records/batch-header.js';
import { crc32c } from '../protocol/records/crc32c.js';
import { CURRENT_MAGIC, MIN_BATCH_LENGTH } from './batch-scanner.js';
import { UnexpectedAppendOffsetError } from './errors.js';
import { readInt64, writeInt64 } from './int64.js';

export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
  /** The broker time stamped on the batches, -1 unless the topic uses LogAppendTime. */
  logAppendTime: number;
  maxTimestamp: number;
  recordCount: number;
}

/** Validates the framing of the batch at `p`; returns its size. */
function batchSize(buf: Buffer, p: number): number {
  const remaining = buf.length - p;
  if (remaining < RECORD_BATCH_OVERHEAD) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `truncated record batch header at byte ${p} (${remaining} bytes left)`);
  }
  const batchLength = buf.readInt32BE(p + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH || batchLength + LOG_OVERHEAD > remaining) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${p} has invalid length ${batchLength} (${remaining} bytes left)`);
  }
  if (buf[p + MAGIC_OFFSET] !== CURRENT_MAGIC) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch at byte ${p} has magic ${buf[p + MAGIC_OFFSET]}, only v2 is stored`);
  }
  if (buf.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET) < 0) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${p} has a negative lastOffsetDelta`);
  }
  return batchLength + LOG_OVERHEAD;
}

/**
 * Leader: rewrites baseOffset (from `nextOffset`) and partitionLeaderEpoch of every batch; with
 * `logAppendTime >= 0` also sets the timestamp-type bit and maxTimestamp and recomputes the CRC.
 */
export function assignOffsetsAsLeader(buf: Buffer, nextOffset: number, leaderEpoch: number, logAppendTime: number): AppendResult {
  let offset = nextOffset;
  let maxTimestamp = -1;
  let recordCount = 0;
  let p = 0;
  while (p < buf.length) {
    const size = batchSize(buf, p);
    writeInt64(buf, offset, p);
    buf.writeInt32BE(leaderEpoch, p + PARTITION_LEADER_EPOCH_OFFSET);
    let ts: number;
    if (logAppendTime >= 0) {
      buf.writeInt16BE(buf.readInt16BE(p + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, p + ATTRIBUTES_OFFSET);
      writeInt64(buf, logAppendTime, p + MAX_TIMESTAMP_OFFSET);
      buf.writeUInt32BE(crc32c(buf.subarray(p + ATTRIBUTES_OFFSET, p + size)), p + CRC_OFFSET);
      ts = logAppendTime;
    } else {
      ts = readInt64(buf, p + MAX_TIMESTAMP_OFFSET);
    }
    if (ts > maxTimestamp) maxTimestamp = ts;
    recordCount += buf.readInt32BE(p + RECORDS_COUNT_OFFSET);
    offset += buf.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET) + 1;
    p += size;
  }
  return { firstOffset: nextOffset, lastOffset: offset - 1, logAppendTime, maxTimestamp, recordCount };
}

/**
 * Follower: offsets are already assigned; they must start at or after `logEndOffset` and increase.
 * Every batch's CRC32C is checked (Kafka's follower append validates each batch as the leader's
 * does: a batch damaged on the way is CORRUPT_MESSAGE and nothing of `buf` is appended), one pass
 * over the bytes with the native checksum, no per-record work.
 * `onEpoch` is called for each batch whose leader epoch is higher than any seen before in `buf`.
 */
export function analyzeFollowerBatches(buf: Buffer, logEndOffset: number, onEpoch: (epoch: number, baseOffset: number) => void): AppendResult {
  let firstOffset = -1;
  let nextMin = logEndOffset;
  let lastOffset = logEndOffset - 1;
  let maxTimestamp = -1;
  let recordCount = 0;
  let maxEpoch = -1;
  let p = 0;
  while (p < buf.length) {
    const size = batchSize(buf, p);
    const base = readInt64(buf, p);
    const last = base + buf.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET);
    if (base < nextMin) {
      throw new UnexpectedAppendOffsetError(
        `unexpected offset in append: batch at byte ${p} starts at ${base}, expected at least ${nextMin} (log end offset ${logEndOffset})`,
        firstOffset < 0 ? base : firstOffset,
        last,
      );
    }
    if (crc32c(buf.subarray(p + ATTRIBUTES_OFFSET, p + size)) !== buf.readUInt32BE(p + CRC_OFFSET)) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${p} (offset ${base}) failed its CRC check`);
    }
    if (firstOffset < 0) firstOffset = base;
    const epoch = buf.readInt32BE(p + PARTITION_LEADER_EPOCH_OFFSET);
    if (epoch > maxEpoch) {
      maxEpoch = epoch;
      onEpoch(epoch, base);
    }
    const ts = readInt64(buf, p + MAX_TIMESTAMP_OFFSET);
    if (ts > maxTimestamp) maxTimestamp = ts;
    recordCount += buf.readInt32BE(p + RECORDS_COUNT_OFFSET);
    lastOffset = last;
    nextMin = last + 1;
    p += size;
  }
  return { firstOffset: firstOffset < 0 ? logEndOffset : firstOffset, lastOffset, logAppendTime: -1, maxTimestamp, recordCount };
}
