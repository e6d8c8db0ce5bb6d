/**
 * The pre-0.11 message formats (magic 0 and 1), as old clients send them in Produce v0-v2: a
 * message set is a sequence of entries `offset int64, size int32, message`, where a message is
 * `crc uint32, magic int8, attributes int8, [timestamp int64 (magic 1)], key bytes, value bytes`.
 * The CRC is CRC32 (IEEE, not v2's CRC32C) over magic..end. Attributes: bits 0-2 codec (none,
 * gzip, snappy, lz4; zstd does not exist before v2), bit 3 timestamp type (magic 1: LogAppendTime).
 * A compressed message (a "wrapper") holds a whole inner message set in its value; in a magic 1
 * wrapper the inner offsets are relative (0..n-1) and the wrapper's offset is the absolute offset
 * of the last inner message (0 from some producers); an inner message of a LogAppendTime wrapper
 * takes the wrapper's timestamp.
 *
 * This file reads the format: {@link readLegacyEntry} (one entry, header and CRC checked, no
 * allocation), {@link legacyWrapperValue} (bounded decompression of a wrapper's value, through
 * compression.ts) and {@link decodeLegacyMessageSet} (a whole set, wrappers expanded, absolute
 * offsets as a consumer computes them: for tests and tools). Validation against the topic and the
 * up-conversion to v2 are in legacy-up-convert.ts. Errors, as Kafka:
 *
 * | condition                                                          | error                        |
 * |--------------------------------------------------------------------|------------------------------|
 * | entry truncated, size < 14 (v0) / 22 (v1) bytes, trailing bytes    | CORRUPT_MESSAGE              |
 * | CRC32 mismatch (any message, inner ones included)                  | CORRUPT_MESSAGE              |
 * | undecodable compressed value                                       | CORRUPT_MESSAGE              |
 * | key/value length < -1 or past the message, bytes left after value  | INVALID_RECORD               |
 * | codec 4-7 (zstd or unknown) in an old-format message               | UNSUPPORTED_COMPRESSION_TYPE |
 * | wrapper with a null value, or no inner message                     | INVALID_RECORD               |
 * | magic 1 wrapper offset non-zero and below the last inner offset    | INVALID_RECORD               |
 * | decompressed value over the limit                                  | MESSAGE_TOO_LARGE            |
 *
 * Deviation: Kafka reads a key/value length below -1 as null and ignores trailing partial entries;
 * both are rejected here (as for v2 batches).
 */
import { crc32 } from 'node:zlib';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { CompressionType } from './batch-header.js';
import { decompressInto, type DecompressSink } from './compression.js';
import { fixLegacyLz4HeaderChecksum } from './legacy-lz4.js';

/** Entry layout: offset int64, size int32, then the message. */
export const LEGACY_OFFSET_OFFSET = 0;
export const LEGACY_SIZE_OFFSET = 8;
export const LEGACY_LOG_OVERHEAD = 12;
/** Message layout, relative to the entry start. */
export const LEGACY_CRC_OFFSET = 12;
export const LEGACY_MAGIC_OFFSET = 16;
export const LEGACY_ATTRIBUTES_OFFSET = 17;
export const LEGACY_TIMESTAMP_OFFSET = 18;
/** Smallest message (crc, magic, attributes, [timestamp], key length, value length). */
export const LEGACY_RECORD_OVERHEAD_V0 = 14;
export const LEGACY_RECORD_OVERHEAD_V1 = 22;
export const LEGACY_TIMESTAMP_TYPE_MASK = 0x08;
export const LEGACY_CODEC_MASK = 0x07;

/** True when `records` is an old-format message set: its first entry's magic byte (at the v2 magic's position too) is 0 or 1. */
export function isLegacyMessageSet(records: Buffer): boolean {
  if (records.length <= LEGACY_MAGIC_OFFSET) return false;
  const magic = records[LEGACY_MAGIC_OFFSET];
  return magic === 0 || magic === 1;
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message);
}

/** int64 as a double (exact for timestamps and offsets below 2^53). */
export function readInt64Number(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

/** One entry, as {@link readLegacyEntry} leaves it (a reused object: read it before the next call). */
export interface LegacyEntry {
  /** The entry's offset field (absolute, relative or whatever the producer put there). */
  offset: number;
  magic: number;
  attributes: number;
  codec: number;
  /** 1 for LogAppendTime (magic 1 only), else 0. */
  timestampType: number;
  /** The message's own timestamp (-1 for magic 0). */
  timestamp: number;
  /** Key bytes at [keyStart, keyStart + keyLength), keyLength -1 for a null key; same for the value. */
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
  /** Position after the entry. */
  next: number;
}

/** A fresh entry object for {@link readLegacyEntry}. */
export function legacyEntry(): LegacyEntry {
  return { offset: 0, magic: 0, attributes: 0, codec: 0, timestampType: 0, timestamp: -1, keyStart: 0, keyLength: -1, valueStart: 0, valueLength: -1, next: 0 };
}

/**
 * Reads and checks the entry at `pos` of buf[.., end) into `out` (size, CRC32, magic 0/1, codec,
 * key and value lengths); throws KafkaError (see the module comment).
 */
export function readLegacyEntry(buf: Buffer, pos: number, end: number, out: LegacyEntry): LegacyEntry {
  const remaining = end - pos;
  if (remaining < LEGACY_LOG_OVERHEAD) throw corrupt(`${remaining} trailing bytes do not form a message`);
  const size = buf.readInt32BE(pos + LEGACY_SIZE_OFFSET);
  if (size < LEGACY_RECORD_OVERHEAD_V0) throw corrupt(`Record size ${size} is less than the minimum record overhead (${LEGACY_RECORD_OVERHEAD_V0})`);
  if (size > remaining - LEGACY_LOG_OVERHEAD) throw corrupt(`message of ${size} bytes is truncated to ${remaining - LEGACY_LOG_OVERHEAD}`);
  const next = pos + LEGACY_LOG_OVERHEAD + size;
  const magic = buf[pos + LEGACY_MAGIC_OFFSET] as number;
  if (magic > 1) throw invalid(`message magic ${magic} in an old-format message set (only 0 and 1 can appear here)`);
  if (magic === 1 && size < LEGACY_RECORD_OVERHEAD_V1) throw corrupt(`Record size ${size} is less than the minimum record overhead (${LEGACY_RECORD_OVERHEAD_V1})`);
  const stored = buf.readUInt32BE(pos + LEGACY_CRC_OFFSET);
  const computed = crc32(buf.subarray(pos + LEGACY_MAGIC_OFFSET, next));
  if (stored !== computed) throw corrupt(`Record is corrupt (stored crc = ${stored}, computed crc = ${computed})`);
  const attributes = buf[pos + LEGACY_ATTRIBUTES_OFFSET] as number;
  const codec = attributes & LEGACY_CODEC_MASK;
  if (codec > CompressionType.lz4) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression codec ${codec} is not supported in message format v${magic}`);
  let p = pos + LEGACY_TIMESTAMP_OFFSET;
  let timestamp = -1;
  let timestampType = 0;
  if (magic === 1) {
    timestamp = readInt64Number(buf, p);
    timestampType = (attributes & LEGACY_TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0;
    p += 8;
  }
  const keyLength = buf.readInt32BE(p);
  p += 4;
  if (keyLength < -1 || keyLength > next - p - 4) throw invalid(`Found invalid record structure: key length ${keyLength} in a message of ${size} bytes`);
  const keyStart = p;
  if (keyLength > 0) p += keyLength;
  const valueLength = buf.readInt32BE(p);
  p += 4;
  if (valueLength < -1 || valueLength > next - p) throw invalid(`Found invalid record structure: value length ${valueLength} in a message of ${size} bytes`);
  const valueStart = p;
  if (valueLength > 0) p += valueLength;
  if (p !== next) throw invalid(`Found invalid record structure: ${next - p} bytes after the value of a message`);
  out.offset = readInt64Number(buf, pos + LEGACY_OFFSET_OFFSET);
  out.magic = magic;
  out.attributes = attributes;
  out.codec = codec;
  out.timestampType = timestampType;
  out.timestamp = timestamp;
  out.keyStart = keyStart;
  out.keyLength = keyLength;
  out.valueStart = valueStart;
  out.valueLength = valueLength;
  out.next = next;
  return out;
}

class Collect implements DecompressSink {
  readonly chunks: Buffer[] = [];
  size = 0;
  write(chunk: Buffer, start: number, end: number): void {
    this.chunks.push(Buffer.from(chunk.subarray(start, end)));
    this.size += end - start;
  }
}

/**
 * The decompressed inner message set of the wrapper `e` (read from `buf`), at most `limit` bytes
 * (MESSAGE_TOO_LARGE beyond; the decompressors stop there). Throws KafkaError.
 */
export function legacyWrapperValue(buf: Buffer, e: LegacyEntry, limit: number): Buffer {
  if (e.valueLength < 0) throw invalid(`Found invalid compressed record set with null value (magic = ${e.magic})`);
  let value = buf.subarray(e.valueStart, e.valueStart + e.valueLength);
  if (e.codec === CompressionType.lz4 && e.magic === 0) value = fixLegacyLz4HeaderChecksum(value);
  const sink = new Collect();
  decompressInto(e.codec, value, sink, limit);
  return sink.chunks.length === 1 ? (sink.chunks[0] as Buffer) : Buffer.concat(sink.chunks, sink.size);
}

/** A message of a decoded old-format set (inner messages of wrappers, not the wrappers). */
export interface LegacyMessage {
  /** Absolute offset as a consumer computes it (magic 1 wrappers: wrapper offset - last relative + relative). */
  offset: bigint;
  magic: number;
  /** The compression of the wrapper it came in (none for an uncompressed message). */
  codec: number;
  /** LogAppendTime (1) when the message or its wrapper says so. */
  timestampType: number;
  /** The wrapper's timestamp for LogAppendTime wrappers, else the message's own (-1 for magic 0). */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function bytes(buf: Buffer, start: number, length: number): Buffer | null {
  return length < 0 ? null : buf.subarray(start, start + length);
}

/**
 * Decodes a whole old-format message set (CRCs checked, wrappers decompressed, each at most
 * `maxDecompressedBytes`). For tests and tools; the Produce path uses legacy-up-convert.ts.
 */
export function decodeLegacyMessageSet(buf: Buffer, maxDecompressedBytes = 64 * 1024 * 1024): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  const e = legacyEntry();
  const inner = legacyEntry();
  for (let pos = 0; pos < buf.length; pos = e.next) {
    readLegacyEntry(buf, pos, buf.length, e);
    if (e.codec === CompressionType.none) {
      out.push({ offset: BigInt(e.offset), magic: e.magic, codec: 0, timestampType: e.timestampType, timestamp: BigInt(e.timestamp), key: bytes(buf, e.keyStart, e.keyLength), value: bytes(buf, e.valueStart, e.valueLength) });
      continue;
    }
    const set = legacyWrapperValue(buf, e, maxDecompressedBytes);
    const first = out.length;
    for (let p = 0; p < set.length; p = inner.next) {
      readLegacyEntry(set, p, set.length, inner);
      const logAppend = e.magic === 1 && e.timestampType === 1;
      out.push({
        offset: BigInt(inner.offset),
        magic: inner.magic,
        codec: e.codec,
        timestampType: logAppend ? 1 : inner.timestampType,
        timestamp: BigInt(logAppend ? e.timestamp : inner.timestamp),
        key: bytes(set, inner.keyStart, inner.keyLength),
        value: bytes(set, inner.valueStart, inner.valueLength),
      });
    }
    if (out.length === first) throw invalid('Found invalid compressed record set with no inner records');
    if (e.magic === 1 && e.offset !== 0) {
      const lastInner = (out[out.length - 1] as LegacyMessage).offset;
      const wrapper = BigInt(e.offset);
      if (wrapper < lastInner) throw invalid(`Found invalid wrapper offset in compressed v1 message set, wrapper offset '${wrapper}' is less than the last inner message offset '${lastInner}' and it is not zero.`);
      for (let i = first; i < out.length; i++) (out[i] as LegacyMessage).offset += wrapper - lastInner;
    }
  }
  return out;
}
