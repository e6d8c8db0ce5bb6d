/**
 * Validation of a produce request's `records` field, batch by batch: the batch headers and CRCs.
 * The records inside each batch are checked next, by record-scan.ts (called from the Produce
 * path's broker/produce-policy.ts, which also decompresses with a size limit).
 *
 * Work per batch: a handful of header reads and one CRC32C over the batch; no per-record work
 * and no allocation beyond one Buffer view per batch. Error mapping follows the Kafka broker
 * (ProduceRequest.validateRecords, LogValidator, UnifiedLog.analyzeAndValidateRecords):
 *
 * | condition                                                     | error                         |
 * |---------------------------------------------------------------|-------------------------------|
 * | no batch at all                                               | INVALID_RECORD                |
 * | total size over `maxTotalBytes` (segment.bytes)               | RECORD_LIST_TOO_LARGE         |
 * | magic != 2 (checked first; Produce v0-v2 old-format sets go to legacy-up-convert.ts before) | INVALID_RECORD |
 * | batchLength < 49, truncated batch, trailing partial bytes     | CORRUPT_MESSAGE               |
 * | batch size over `maxBatchBytes` (max.message.bytes)           | MESSAGE_TOO_LARGE             |
 * | CRC32C mismatch                                               | CORRUPT_MESSAGE               |
 * | codec id 5-7, or zstd with produce version < 7                | UNSUPPORTED_COMPRESSION_TYPE  |
 * | control batch from a client                                   | INVALID_RECORD                |
 * | recordsCount <= 0, or lastOffsetDelta + 1 != recordsCount     | INVALID_RECORD                |
 * | producerId >= 0 with baseSequence < 0                         | INVALID_RECORD                |
 * | transactional batch without a producerId                      | INVALID_RECORD                |
 * | batches disagreeing on producerId/epoch/transactional flag    | INVALID_RECORD                |
 * | more than one batch when `requireSingleBatch`                 | INVALID_RECORD                |
 *
 * Deviation: Kafka silently trims trailing bytes that do not form a whole batch; we reject them.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_SEQUENCE,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TRANSACTIONAL_FLAG_MASK,
} from './batch-header.js';
import { crc32c } from './crc32c.js';
import { readBigInt64At } from '../primitives/bigint64.js';

const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
const INT32_MAX = 0x7fffffff;

export interface ValidateOptions {
  /** max.message.bytes: largest single batch (bytes incl. the 12-byte log overhead). */
  maxBatchBytes?: number;
  /** segment.bytes: largest total records size. */
  maxTotalBytes?: number;
  /** Produce request version; zstd needs >= 7. Omit to skip the check. */
  produceVersion?: number;
  /** Kafka allows exactly one batch per partition for produce v3+; default false (several allowed). */
  requireSingleBatch?: boolean;
  /** Accept control batches (internal writers only; clients may never send them). Default false. */
  allowControl?: boolean;
}

export interface BatchSetInfo {
  batchCount: number;
  /** Sum of the batches' recordsCount fields (= offsets the append consumes, since each batch's lastOffsetDelta + 1 == recordsCount). */
  recordCount: number;
  /** Byte position of the first batch in the buffer (always 0: batches must start at 0). */
  firstBatchPos: number;
  /** Largest header maxTimestamp over all batches. */
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  /** baseSequence of the first batch. */
  baseSequence: number;
  /** Sequence of the last record of the last batch (wrapping at int32 max like Kafka); -1 without sequences. */
  lastSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  /** Codec of the first batch. */
  compression: number;
}

function fail(code: number, message: string): KafkaError {
  return new KafkaError(code, message);
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from int32 max back to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/**
 * Validates the records of one partition in a produce request. Throws KafkaError; see the module
 * comment for the mapping.
 */
export function validateRecordBatches(buf: Buffer, opts?: ValidateOptions): BatchSetInfo {
  const len = buf.length;
  if (len === 0) throw fail(ErrorCode.INVALID_RECORD, 'produce request must contain at least one record batch');
  if (opts?.maxTotalBytes !== undefined && len > opts.maxTotalBytes) {
    throw fail(ErrorCode.RECORD_LIST_TOO_LARGE, `records size ${len} exceeds the limit of ${opts.maxTotalBytes} bytes`);
  }
  const maxBatchBytes = opts?.maxBatchBytes;
  const allowControl = opts?.allowControl ?? false;
  const produceVersion = opts?.produceVersion;

  let batchCount = 0;
  let recordCount = 0;
  let maxTimestamp = -1n;
  let producerId = -1n;
  let producerEpoch = -1;
  let baseSequence = NO_SEQUENCE;
  let lastSequence = NO_SEQUENCE;
  let isTransactional = false;
  let isControl = false;
  let compression: number = CompressionType.none;

  let pos = 0;
  while (pos < len) {
    const remaining = len - pos;
    if (remaining < LOG_OVERHEAD) throw fail(ErrorCode.CORRUPT_MESSAGE, `${remaining} trailing bytes do not form a record batch`);
    // The magic first: an old-format message set (whose magic sits at the same byte) is never read as a v2 header.
    if (remaining > MAGIC_OFFSET) {
      const magic = buf.readInt8(pos + MAGIC_OFFSET);
      if (magic !== 2) throw fail(ErrorCode.INVALID_RECORD, `record batch magic ${magic} is not supported here; only magic 2 is accepted`);
    }
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH) {
      throw fail(ErrorCode.CORRUPT_MESSAGE, `record batch length ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`);
    }
    const size = batchLength + LOG_OVERHEAD;
    if (remaining < size) throw fail(ErrorCode.CORRUPT_MESSAGE, `record batch of ${size} bytes is truncated to ${remaining}`);

    if (batchCount > 0 && opts?.requireSingleBatch === true) {
      throw fail(ErrorCode.INVALID_RECORD, 'only one record batch per partition is allowed');
    }
    if (maxBatchBytes !== undefined && size > maxBatchBytes) {
      throw fail(ErrorCode.MESSAGE_TOO_LARGE, `record batch of ${size} bytes exceeds the limit of ${maxBatchBytes} bytes`);
    }
    const storedCrc = buf.readUInt32BE(pos + CRC_OFFSET);
    if (crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) !== storedCrc) {
      throw fail(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${pos} failed its CRC check`);
    }

    const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
    const codec = attributes & COMPRESSION_CODEC_MASK;
    if (codec > CompressionType.zstd) throw fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`);
    if (codec === CompressionType.zstd && produceVersion !== undefined && produceVersion < 7) {
      throw fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `zstd requires produce version 7 or later (got ${produceVersion})`);
    }
    const control = (attributes & CONTROL_FLAG_MASK) !== 0;
    if (control && !allowControl) throw fail(ErrorCode.INVALID_RECORD, 'clients are not allowed to write control records');
    const transactional = (attributes & TRANSACTIONAL_FLAG_MASK) !== 0;

    const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    if (count <= 0) throw fail(ErrorCode.INVALID_RECORD, `invalid record count ${count}`);
    if (lastOffsetDelta < 0 || lastOffsetDelta + 1 !== count) {
      throw fail(ErrorCode.INVALID_RECORD, `inconsistent batch offset range [0, ${lastOffsetDelta}] and record count ${count}`);
    }

    const pid = readBigInt64At(buf, pos + PRODUCER_ID_OFFSET);
    const epoch = buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
    const seq = buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
    // Markers written by the transaction coordinator carry no sequence; only client batches need one.
    if (!control && pid >= 0n && seq < 0) throw fail(ErrorCode.INVALID_RECORD, `invalid sequence number ${seq} for producer id ${pid}`);
    if (transactional && pid < 0n) throw fail(ErrorCode.INVALID_RECORD, 'transactional record batch without a producer id');

    if (batchCount === 0) {
      producerId = pid;
      producerEpoch = epoch;
      baseSequence = seq;
      isTransactional = transactional;
      isControl = control;
      compression = codec;
    } else if (pid !== producerId || epoch !== producerEpoch || transactional !== isTransactional || control !== isControl) {
      throw fail(ErrorCode.INVALID_RECORD, 'record batches in one request disagree on producer id, epoch or transactional/control flags');
    }
    lastSequence = seq < 0 ? NO_SEQUENCE : incrementSequence(seq, lastOffsetDelta);

    const ts = readBigInt64At(buf, pos + MAX_TIMESTAMP_OFFSET);
    if (ts > maxTimestamp) maxTimestamp = ts;
    batchCount++;
    recordCount += count;
    pos += size;
  }

  return {
    batchCount,
    recordCount,
    firstBatchPos: 0,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    lastSequence,
    isTransactional,
    isControl,
    compression,
  };
}
