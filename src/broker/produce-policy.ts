/**
 * Topic-config checks and transformations on produced batches, called once per partition by
 * Produce after validation:
 * - cleanup.policy includes compact: every record needs a key (Kafka's LogValidator rejects the
 *   batch with INVALID_RECORD). Keys are found by walking the record headers in place (no decoding).
 * - compression.type other than `producer`: batches with another codec are recompressed with the
 *   topic's codec (and its compression.<codec>.level); `uncompressed` stores them uncompressed.
 *   Header fields (producer id/epoch/sequence, transactional flag, timestamps) are kept.
 * - message.timestamp.before.max.ms / after.max.ms (CreateTime topics, when set): every record's
 *   timestamp must lie within [now - before, now + after], else INVALID_TIMESTAMP (KIP-937). The
 *   batch header's base and max timestamps settle most batches without looking at records.
 */
import { ErrorCode } from '../common/error-codes.js';
import { CorruptRecordError } from '../common/errors.js';
import { KafkaError } from '../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  MAX_TIMESTAMP_OFFSET,
  CompressionType,
  LOG_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../protocol/records/batch-header.js';
import { compress, decompress } from '../protocol/records/compression.js';
import { rewriteBatchCrc } from '../protocol/records/record.js';
import { walkRecords } from '../storage/cleaner/batch-io.js';
import type { ProducePolicy } from './topic-manager.js';

const CODEC_BY_NAME: Record<string, number> = {
  uncompressed: CompressionType.none,
  gzip: CompressionType.gzip,
  snappy: CompressionType.snappy,
  lz4: CompressionType.lz4,
  zstd: CompressionType.zstd,
};

/** Returns the records to append (the same buffer unless recompressed); throws KafkaError(INVALID_RECORD) on a keyless record in a compacted topic. */
export function applyProducePolicy(policy: ProducePolicy | undefined, topic: string, partition: number, records: Buffer, now: number): Buffer {
  if (policy === undefined) return records;
  try {
    return apply(policy, topic, partition, records, now);
  } catch (e) {
    if (e instanceof CorruptRecordError) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed records in ${topic}-${partition}: ${e.message}`);
    throw e;
  }
}

function apply(policy: ProducePolicy, topic: string, partition: number, records: Buffer, now: number): Buffer {
  const target = policy.compressionType === 'producer' ? undefined : CODEC_BY_NAME[policy.compressionType];
  const bounded = policy.timestampBeforeMaxMs < Number.MAX_SAFE_INTEGER || policy.timestampAfterMaxMs < Number.MAX_SAFE_INTEGER;
  if (bounded) checkTimestamps(policy, topic, partition, records, now);
  if (!policy.compact && target === undefined) return records;
  let out: Buffer[] | undefined;
  let pos = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    const codec = records.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
    const count = records.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    const body = records.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size);
    let plain: Buffer | undefined;
    if (policy.compact) {
      plain = codec === CompressionType.none ? body : decompress(codec, body);
      walkRecords(plain, 0, plain.length, count, (r) => {
        if (r.keyLength < 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}.`);
      });
    }
    if (target !== undefined && target !== codec) {
      plain ??= codec === CompressionType.none ? body : decompress(codec, body);
      out ??= pos > 0 ? [records.subarray(0, pos)] : [];
      out.push(recompressed(records, pos, plain, target, policy.compressionLevel));
    } else if (out !== undefined) {
      out.push(records.subarray(pos, pos + size));
    }
    pos += size;
  }
  return out === undefined ? records : Buffer.concat(out);
}

function checkTimestamps(policy: ProducePolicy, topic: string, partition: number, records: Buffer, now: number): void {
  const low = now - policy.timestampBeforeMaxMs;
  const high = now + policy.timestampAfterMaxMs;
  const reject = (ts: number): never => {
    throw new KafkaError(ErrorCode.INVALID_TIMESTAMP, `Timestamp ${ts} of a record in ${topic}-${partition} is out of range: message.timestamp.before.max.ms=${policy.timestampBeforeMaxMs}, message.timestamp.after.max.ms=${policy.timestampAfterMaxMs}, broker time ${now}`);
  };
  let pos = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= records.length) {
    const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    const base = Number(records.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET));
    const max = Number(records.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET));
    if (max > high) reject(max);
    if (base < low) reject(base);
    // Later records may carry timestamps below the first one: with more than one record, look.
    if (records.readInt32BE(pos + RECORDS_COUNT_OFFSET) > 1) {
      const codec = records.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
      const body = records.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size);
      const plain = codec === CompressionType.none ? body : decompress(codec, body);
      walkRecords(plain, 0, plain.length, records.readInt32BE(pos + RECORDS_COUNT_OFFSET), (r) => {
        const ts = base + Number(r.timestampDelta);
        if (ts < low || ts > high) reject(ts);
      });
    }
    pos += size;
  }
}

function recompressed(records: Buffer, pos: number, plain: Buffer, codec: number, level: number | undefined): Buffer {
  const payload = codec === CompressionType.none ? plain : compress(codec, plain, level === undefined ? undefined : { level });
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  records.copy(out, 0, pos, pos + RECORD_BATCH_OVERHEAD);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES_OFFSET);
  rewriteBatchCrc(out, 0);
  return out;
}
