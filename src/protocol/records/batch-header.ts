/**
 * Field layout of a v2 record batch header (magic 2), read and patched in place on a Buffer.
 * Offsets are from the start of the batch. The CRC32C covers bytes [ATTRIBUTES_OFFSET, end).
 */
export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
/** Size of the fixed batch header; records start here. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes before batchLength starts counting. */
export const LOG_OVERHEAD = 12;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

/**
 * The codec a topic's compression.type names (other than `producer`, which keeps the producer's):
 * Kafka's config says `uncompressed` where the batch attribute says none.
 */
export const CODEC_BY_TOPIC_COMPRESSION: Readonly<Record<string, CompressionType>> = {
  uncompressed: CompressionType.none,
  gzip: CompressionType.gzip,
  snappy: CompressionType.snappy,
  lz4: CompressionType.lz4,
  zstd: CompressionType.zstd,
};

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** Total size in bytes of the batch starting at `pos` (batchLength + LOG_OVERHEAD). */
export function batchSizeAt(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
}

export function baseOffsetOf(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET);
}

export function lastOffsetOf(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET) + BigInt(buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET));
}

export function attributesOf(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
}

export function isControlBatch(buf: Buffer, pos = 0): boolean {
  return (attributesOf(buf, pos) & CONTROL_FLAG_MASK) !== 0;
}

export function isTransactionalBatch(buf: Buffer, pos = 0): boolean {
  return (attributesOf(buf, pos) & TRANSACTIONAL_FLAG_MASK) !== 0;
}

export function compressionOf(buf: Buffer, pos = 0): number {
  return attributesOf(buf, pos) & COMPRESSION_CODEC_MASK;
}
