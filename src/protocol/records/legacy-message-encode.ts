/**
 * Down-conversion of one stored v2 record batch to the pre-0.11 message format (magic 0 or 1),
 * for Fetch v0-v3 (Kafka's RecordsUtil.downConvert with MemoryRecordsBuilder, as in Kafka 3.x).
 *
 * A legacy message: offset int64, size int32, crc uint32 (CRC-32 of the bytes after it), magic
 * int8, attributes int8 (bits 0-2 codec, bit 3 LogAppendTime on magic 1), timestamp int64 (magic
 * 1 only), key bytes, value bytes (int32 length, -1 = null). Kafka's rules, kept here:
 *
 * | stored batch                   | sent as                                                          |
 * |--------------------------------|------------------------------------------------------------------|
 * | control batch                  | nothing (no legacy form; never reaches an old client)            |
 * | uncompressed                   | one message per record, records before the fetch offset dropped  |
 * | compressed (gzip/snappy/lz4)   | one wrapper message, same codec, every record of the batch       |
 * |                                | inside; wrapper offset = last inner offset; inner offsets        |
 * |                                | relative to the first record on magic 1, absolute on magic 0     |
 * | zstd                           | KafkaError UNSUPPORTED_COMPRESSION_TYPE (no legacy codec id)     |
 * | LogAppendTime (magic 1)        | timestamps = the batch's max timestamp, type bit on each message |
 * | CreateTime (magic 1)           | record timestamps; a wrapper carries the largest one             |
 * | magic 0                        | no timestamps at all                                             |
 *
 * Headers are dropped (no legacy form). Aborted transactional records are not dropped: Fetch
 * v0-v3 carries no isolation level, so an old client reads uncommitted, as it does from Kafka.
 * Samsa deviation: lz4 wrappers carry the LZ4 spec's frame-descriptor checksum on magic 0 too,
 * where Kafka writes the one Kafka 0.8/0.9 computed (over the frame magic as well, KAFKA-3160).
 * Java clients from 0.10 ignore that checksum on magic 0, librdkafka accepts both, kafka-python
 * recomputes it, but sarama (pierrec/lz4) rejects the broken one ("lz4: invalid header checksum"),
 * and sarama with a Version below 0.10 fetches magic 0; only Java 0.8/0.9 consumers, which
 * verified the broken checksum, are left out.
 * Memory: one batch is decoded and converted at a time (the caller bounds how many).
 */
import { crc32 } from 'node:zlib';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { CompressionType, CONTROL_FLAG_MASK, ATTRIBUTES_OFFSET } from './batch-header.js';
import { compress } from './compression.js';
import { decodeRecordBatch, type Record } from './record.js';

export type LegacyMagic = 0 | 1;

/** Attribute bit 3 of a magic 1 message: its timestamp is the broker's LogAppendTime. */
export const LEGACY_TIMESTAMP_TYPE_MASK = 0x08;
/** offset + size, before each message. */
export const LEGACY_LOG_OVERHEAD = 12;
/** crc + magic + attributes (+ timestamp on magic 1) + key length + value length. */
export function legacyRecordOverhead(magic: LegacyMagic): number {
  return magic === 0 ? 14 : 22;
}

const CRC_POS = LEGACY_LOG_OVERHEAD;
const MAGIC_POS = CRC_POS + 4;

function bytesSize(b: Buffer | null): number {
  return 4 + (b === null ? 0 : b.length);
}

/** Total size of one message with its 12-byte log overhead. */
export function legacyMessageSize(magic: LegacyMagic, key: Buffer | null, value: Buffer | null): number {
  return LEGACY_LOG_OVERHEAD + legacyRecordOverhead(magic) - 8 + bytesSize(key) + bytesSize(value);
}

/** Writes one message at `pos`; returns the position after it. */
function writeMessage(out: Buffer, pos: number, magic: LegacyMagic, offset: bigint, attributes: number, timestamp: bigint, key: Buffer | null, value: Buffer | null): number {
  const size = legacyMessageSize(magic, key, value);
  out.writeBigInt64BE(offset, pos);
  out.writeInt32BE(size - LEGACY_LOG_OVERHEAD, pos + 8);
  let p = pos + MAGIC_POS;
  out.writeInt8(magic, p++);
  out.writeInt8(attributes, p++);
  if (magic === 1) {
    out.writeBigInt64BE(timestamp, p);
    p += 8;
  }
  for (const b of [key, value]) {
    if (b === null) {
      out.writeInt32BE(-1, p);
      p += 4;
    } else {
      out.writeInt32BE(b.length, p);
      p += 4;
      p += b.copy(out, p);
    }
  }
  out.writeUInt32BE(crc32(out.subarray(pos + MAGIC_POS, p)), pos + CRC_POS);
  return p;
}

export interface LegacyConversion {
  /** The converted message set (empty when nothing of the batch is sent). */
  data: Buffer;
  /** Records written (inner messages included). */
  records: number;
}

const EMPTY: LegacyConversion = { data: Buffer.alloc(0), records: 0 };

/**
 * Converts the whole v2 batch `batch` (exactly one batch) to `magic`. `fetchOffset` drops the
 * records of an uncompressed batch that precede it. The batch is trusted (read from the log):
 * a malformed one throws CorruptRecordError.
 */
export function downConvertBatch(batch: Buffer, magic: LegacyMagic, fetchOffset: bigint): LegacyConversion {
  if ((batch.readInt16BE(ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) !== 0) return EMPTY;
  const b = decodeRecordBatch(batch, 0, { verifyCrc: false });
  const codec = b.compression;
  if (codec === CompressionType.zstd) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd-compressed records cannot be down-converted to message format v0/v1');
  }
  const logAppendTime = b.timestampType === 1;
  const typeBit = magic === 1 && logAppendTime ? LEGACY_TIMESTAMP_TYPE_MASK : 0;
  const timestampOf = (r: Record): bigint => (logAppendTime ? b.maxTimestamp : r.timestamp);
  if (codec === CompressionType.none) {
    const records = b.records.filter((r) => r.offset >= fetchOffset);
    let size = 0;
    for (const r of records) size += legacyMessageSize(magic, r.key, r.value);
    const out = Buffer.allocUnsafe(size);
    let p = 0;
    for (const r of records) p = writeMessage(out, p, magic, r.offset, typeBit, timestampOf(r), r.key, r.value);
    return { data: out, records: records.length };
  }
  const first = b.records[0];
  const last = b.records[b.records.length - 1];
  if (first === undefined || last === undefined) return EMPTY;
  let innerSize = 0;
  for (const r of b.records) innerSize += legacyMessageSize(magic, r.key, r.value);
  const inner = Buffer.allocUnsafe(innerSize);
  let p = 0;
  let maxTimestamp = -1n;
  for (const r of b.records) {
    const ts = timestampOf(r);
    if (ts > maxTimestamp) maxTimestamp = ts;
    p = writeMessage(inner, p, magic, magic === 1 ? r.offset - first.offset : r.offset, typeBit, ts, r.key, r.value);
  }
  const payload = compress(codec, inner);
  const out = Buffer.allocUnsafe(legacyMessageSize(magic, null, payload));
  writeMessage(out, 0, magic, last.offset, codec | typeBit, maxTimestamp, null, payload);
  return { data: out, records: b.records.length };
}
