/**
 * Fully decoded view of v2 record batches, and an encoder that builds valid batches.
 *
 * This is for tooling, tests, compaction and the group/transaction coordinators — NOT the
 * produce/fetch hot path, which moves batches as opaque bytes (see validate.ts).
 */
import { systemClock } from '../../common/clock.js';
import { CorruptRecordError } from '../../common/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
} from './batch-header.js';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { crc32c } from './crc32c.js';
import { RecordReader, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

/** The only batch format this broker reads and writes. */
export const MAGIC_V2 = 2;
/** Smallest legal `batchLength` field: the v2 header minus baseOffset and batchLength. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Alias that does not shadow TypeScript's `Record<K, V>` utility type. */
export type KafkaRecord = Record;

export interface RecordBatch {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  compression: number;
  timestampType: 0 | 1;
  records: Record[];
}

/** The fixed 61-byte header of a batch, as read by {@link readBatchHeader}. */
export interface BatchHeader {
  baseOffset: bigint;
  /** Total bytes of the batch including baseOffset and batchLength (batchLength + 12). */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Reads the header of the batch at `pos`. The caller guarantees 61 bytes are present. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(`batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${buf.length - pos} available`, { position: pos });
  }
  return {
    baseOffset: buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET),
    sizeInBytes: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: buf.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordsCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

/**
 * Cheap header walker: calls `cb(pos, size)` for every complete batch in `buf`, in order, without
 * looking inside. A trailing partial batch (as in fetch responses) ends the walk silently. Returning
 * `false` from `cb` stops early. Returns the position just after the last batch visited.
 * A batchLength below the v2 minimum throws CorruptRecordError (the walk cannot continue safely).
 */
export function iterateBatches(buf: Buffer, cb: (pos: number, size: number) => boolean | void): number {
  let pos = 0;
  while (buf.length - pos >= LOG_OVERHEAD) {
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH) {
      throw new CorruptRecordError(`batch length ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`, { position: pos });
    }
    const size = batchLength + LOG_OVERHEAD;
    if (buf.length - pos < size) break;
    const next = pos + size;
    if (cb(pos, size) === false) return next;
    pos = next;
  }
  return pos;
}

/** CRC32C check of the batch at `pos` with total size `size`. */
export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) === buf.readUInt32BE(pos + CRC_OFFSET);
}

export interface DecodeOptions {
  /** Verify each batch's CRC32C (default true). */
  verifyCrc?: boolean;
  /** Cap on one batch's decompressed records section (default 512 MiB). */
  maxDecompressedBytes?: number;
}

/**
 * Decodes every complete batch in `buf` (decompressing and parsing each record). A trailing
 * partial batch is ignored, as fetch responses may end with one. Malformed data throws
 * CorruptRecordError.
 */
export function decodeRecordBatches(buf: Buffer, opts?: DecodeOptions): RecordBatch[] {
  const out: RecordBatch[] = [];
  iterateBatches(buf, (pos, size) => {
    out.push(decodeBatchAt(buf, pos, size, opts));
  });
  return out;
}

/** Decodes the single complete batch at `pos` (default 0). */
export function decodeRecordBatch(buf: Buffer, pos = 0, opts?: DecodeOptions): RecordBatch {
  if (buf.length - pos < LOG_OVERHEAD) throw new CorruptRecordError('truncated batch', { position: pos });
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordError(`batch length ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`, { position: pos });
  }
  const size = batchLength + LOG_OVERHEAD;
  if (buf.length - pos < size) throw new CorruptRecordError('truncated batch', { position: pos });
  return decodeBatchAt(buf, pos, size, opts);
}

function decodeBatchAt(buf: Buffer, pos: number, size: number, opts: DecodeOptions | undefined): RecordBatch {
  const h = readBatchHeader(buf, pos);
  if (h.magic !== MAGIC_V2) throw new CorruptRecordError(`unsupported record batch magic ${h.magic}`, { position: pos });
  if ((opts?.verifyCrc ?? true) && !batchCrcMatches(buf, pos, size)) {
    throw new CorruptRecordError(`record batch CRC mismatch (stored ${h.crc})`, { position: pos });
  }
  if (h.recordsCount < 0) throw new CorruptRecordError(`negative record count ${h.recordsCount}`, { position: pos });
  const compression = h.attributes & COMPRESSION_CODEC_MASK;
  const timestampType: 0 | 1 = (h.attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0;

  let data = buf;
  let start = pos + RECORD_BATCH_OVERHEAD;
  let end = pos + size;
  if (compression !== CompressionType.none) {
    try {
      data = decompress(compression, buf.subarray(start, end), opts?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    } catch (e) {
      throw new CorruptRecordError(`cannot decompress batch: ${e instanceof Error ? e.message : String(e)}`, { position: pos, cause: e });
    }
    start = 0;
    end = data.length;
  }
  // Errors inside a compressed payload are reported at the batch's position.
  const reader = new RecordReader(data, start, end, compression === CompressionType.none ? undefined : pos);
  const logAppendTime = timestampType === 1 ? h.maxTimestamp : null;
  const records: Record[] = [];
  for (let i = 0; i < h.recordsCount; i++) {
    records.push(readRecord(reader, h.baseOffset, h.baseTimestamp, logAppendTime));
  }
  if (reader.remaining !== 0) {
    throw new CorruptRecordError(`${reader.remaining} bytes remain after the batch's ${h.recordsCount} records`, { position: pos });
  }
  return {
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    attributes: h.attributes,
    lastOffsetDelta: h.lastOffsetDelta,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    isTransactional: (h.attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (h.attributes & CONTROL_FLAG_MASK) !== 0,
    compression,
    timestampType,
    records,
  };
}

function readRecord(r: RecordReader, baseOffset: bigint, baseTimestamp: bigint, logAppendTime: bigint | null): Record {
  const length = r.readVarint();
  if (length < 0 || length > r.remaining) throw r.fail(`record length ${length} out of range`);
  const recordStart = r.pos;
  r.readInt8(); // attributes: unused
  const timestampDelta = r.readVarlong();
  const offsetDelta = r.readVarint();
  const keyLen = r.readVarint();
  const key = keyLen < 0 ? null : Buffer.from(r.readSlice(keyLen));
  const valueLen = r.readVarint();
  const value = valueLen < 0 ? null : Buffer.from(r.readSlice(valueLen));
  const headerCount = r.readVarint();
  if (headerCount < 0) throw r.fail(`negative header count ${headerCount}`);
  // Each header takes at least 2 bytes; reject impossible counts before looping.
  if (headerCount > (recordStart + length - r.pos) / 2) throw r.fail(`header count ${headerCount} exceeds the record size`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const hkLen = r.readVarint();
    if (hkLen < 0) throw r.fail(`negative header key length ${hkLen}`);
    const hk = r.readSlice(hkLen).toString('utf8');
    const hvLen = r.readVarint();
    const hv = hvLen < 0 ? null : Buffer.from(r.readSlice(hvLen));
    headers.push({ key: hk, value: hv });
  }
  if (r.pos - recordStart !== length) {
    throw r.fail(`record declared ${length} bytes but its fields take ${r.pos - recordStart}`);
  }
  return {
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding

export type BytesInput = Buffer | Uint8Array | string | null | undefined;

export interface RecordInput {
  key?: BytesInput;
  value?: BytesInput;
  headers?: { key: string; value?: BytesInput }[];
  /** Defaults to the batch's baseTimestamp (or the current time). */
  timestamp?: bigint;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface RecordBatchInput {
  baseOffset?: bigint;
  records: RecordInput[];
  compression?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: 0 | 1;
  /** Defaults to the first record's timestamp, else the current time. */
  baseTimestamp?: bigint;
  /** Defaults to the largest record timestamp (baseTimestamp for an empty batch). */
  maxTimestamp?: bigint;
  /** Defaults to the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  /** Extra attribute bits OR-ed in (e.g. DELETE_HORIZON_FLAG_MASK). */
  extraAttributes?: number;
}

function toBytes(v: BytesInput): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

interface PreparedRecord {
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  bodySize: number;
}

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? sizeOfVarint(-1) : sizeOfVarint(b.length) + b.length;
}

/** Builds one v2 batch with a correct CRC. */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const compression = input.compression ?? CompressionType.none;
  const first = input.records[0];
  const baseTimestamp = input.baseTimestamp ?? first?.timestamp ?? BigInt(systemClock.now());

  let maxTimestamp: bigint | null = null;
  let recordsSize = 0;
  const prepared: PreparedRecord[] = input.records.map((rec, i) => {
    const ts = rec.timestamp ?? baseTimestamp;
    if (maxTimestamp === null || ts > maxTimestamp) maxTimestamp = ts;
    const key = toBytes(rec.key);
    const value = toBytes(rec.value);
    const headers = (rec.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBytes(h.value) }));
    const timestampDelta = ts - baseTimestamp;
    const offsetDelta = rec.offsetDelta ?? i;
    let bodySize = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + sizeOfBytes(key) + sizeOfBytes(value);
    bodySize += sizeOfVarint(headers.length);
    for (const h of headers) bodySize += sizeOfBytes(h.key) + sizeOfBytes(h.value);
    recordsSize += sizeOfVarint(bodySize) + bodySize;
    return { timestampDelta, offsetDelta, key, value, headers, bodySize };
  });

  const recordsBuf = Buffer.allocUnsafe(recordsSize);
  let p = 0;
  const putBytes = (b: Buffer | null): void => {
    if (b === null) {
      p = writeVarint(recordsBuf, p, -1);
    } else {
      p = writeVarint(recordsBuf, p, b.length);
      p += b.copy(recordsBuf, p);
    }
  };
  for (const r of prepared) {
    p = writeVarint(recordsBuf, p, r.bodySize);
    recordsBuf[p++] = 0; // attributes
    p = writeVarlong(recordsBuf, p, r.timestampDelta);
    p = writeVarint(recordsBuf, p, r.offsetDelta);
    putBytes(r.key);
    putBytes(r.value);
    p = writeVarint(recordsBuf, p, r.headers.length);
    for (const h of r.headers) {
      putBytes(h.key);
      putBytes(h.value);
    }
  }

  const payload = compression === CompressionType.none ? recordsBuf : compress(compression, recordsBuf);
  const last = prepared[prepared.length - 1];
  const timestampType = input.timestampType ?? 0;
  let attributes = compression & COMPRESSION_CODEC_MASK;
  if (timestampType === 1) attributes |= TIMESTAMP_TYPE_MASK;
  if (input.isTransactional === true) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (input.isControl === true) attributes |= CONTROL_FLAG_MASK;
  attributes |= input.extraAttributes ?? 0;

  const size = RECORD_BATCH_OVERHEAD + payload.length;
  const out = Buffer.allocUnsafe(size);
  out.writeBigInt64BE(input.baseOffset ?? 0n, BASE_OFFSET_OFFSET);
  out.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(MAGIC_V2, MAGIC_OFFSET);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(input.lastOffsetDelta ?? last?.offsetDelta ?? 0, LAST_OFFSET_DELTA_OFFSET);
  out.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(input.maxTimestamp ?? maxTimestamp ?? baseTimestamp, MAX_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(input.producerId ?? NO_PRODUCER_ID, PRODUCER_ID_OFFSET);
  out.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(prepared.length, RECORDS_COUNT_OFFSET);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

/**
 * Recomputes and stores the CRC of the batch at `pos` (after patching header fields such as
 * baseOffset-independent attributes or maxTimestamp in place).
 */
export function rewriteBatchCrc(buf: Buffer, pos = 0): void {
  const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)), pos + CRC_OFFSET);
}
