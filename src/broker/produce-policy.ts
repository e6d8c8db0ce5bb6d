/**
 * Topic-config checks and transformations on produced batches, called once per partition by
 * Produce after validation:
 * - cleanup.policy includes compact: every record needs a key (Kafka's LogValidator rejects the
 *   batch with INVALID_RECORD). Keys are found by walking the record headers in place (no decoding).
 * - compression.type other than `producer`: batches with another codec are recompressed with the
 *   topic's codec (and its compression.<codec>.level); `uncompressed` stores them uncompressed.
 *   Header fields (producer id/epoch/sequence, transactional flag, timestamps) are kept.
 */
import { ErrorCode } from '../common/error-codes.js';
import { CorruptRecordError } from '../common/errors.js';
import { KafkaError } from '../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
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
export function applyProducePolicy(policy: ProducePolicy | undefined, topic: string, partition: number, records: Buffer): Buffer {
  if (policy === undefined) return records;
  try {
    return apply(policy, topic, partition, records);
  } catch (e) {
    if (e instanceof CorruptRecordError) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed records in ${topic}-${partition}: ${e.message}`);
    throw e;
  }
}

function apply(policy: ProducePolicy, topic: string, partition: number, records: Buffer): Buffer {
  const target = policy.compressionType === 'producer' ? undefined : CODEC_BY_NAME[policy.compressionType];
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
