/**
 * Up-conversion of an old-format (magic 0/1) message set from Produce v0-v2 into one v2 batch, as
 * Kafka 3.x's LogValidator does when the log's format is v2 (convertAndAssignOffsetsNonCompressed
 * and buildRecordsAndAssignOffsets): the messages are checked (legacy-message-set.ts: sizes, CRC32
 * of every message, inner ones included; codecs; wrapper offsets), the topic's per-record rules are
 * applied, and the records are written into a single v2 batch with offset deltas 0..n-1 (the log
 * assigns the absolute offsets), timestamps kept (magic 0: -1, "none"; an inner message of a
 * LogAppendTime wrapper: the wrapper's timestamp; a LogAppendTime topic restamps the batch on
 * append), no producer id, and compressed with the topic's compression.type, or with the
 * wrapper's codec when it is `producer`.
 *
 * | condition                                                            | error                |
 * |----------------------------------------------------------------------|----------------------|
 * | messages of different magic in one set                               | INVALID_RECORD       |
 * | a compressed wrapper that is not the only entry of the set           | INVALID_RECORD       |
 * | an entry over max.message.bytes, or the converted batch over it      | MESSAGE_TOO_LARGE    |
 * | per record (record_errors): compressed inner message; inner magic != wrapper magic; keyless record on a compacted topic | INVALID_RECORD |
 * | per record: timestamp out of message.timestamp.{before,after}.max.ms; LogAppendTime set by the producer where Kafka refuses it | INVALID_TIMESTAMP |
 *
 * Record errors follow Kafka's batch boundaries: an uncompressed old-format message is a batch of
 * its own (so the first failing one is reported, at index 0), a wrapper's inner messages are
 * indexed 0..n-1. The whole set is rejected either way.
 *
 * Cost: one pass over the messages (one CRC32 each) into a flat table of positions, one exact-size
 * buffer for the v2 records, and the compression; the decompressed inner set of a wrapper is held
 * while converting (bounded by `limit`).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from './batch-header.js';
import { compress } from './compression.js';
import { crc32c } from './crc32c.js';
import { legacyEntry, legacyWrapperValue, readLegacyEntry } from './legacy-message-set.js';
import { keylessRecordMessage, recordValidationError, timestampOutOfRangeMessage, type RecordError } from './record-errors.js';
import { sizeOfVarint, writeVarint } from './varint.js';

export interface UpConvertOptions {
  topic: string;
  partition: number;
  /** cleanup.policy includes compact: every record needs a key. */
  compact: boolean;
  /** message.timestamp.type is LogAppendTime. */
  logAppendTime: boolean;
  /** Accepted CreateTime range [low, high] (±Infinity when unbounded). */
  low: number;
  high: number;
  /** Codec of the converted batch; undefined keeps the producer's (compression.type=producer). */
  target: number | undefined;
  level: number | undefined;
  /** Largest decompressed inner message set. */
  limit: number;
  /** max.message.bytes: largest entry and largest converted batch. */
  maxMessageBytes: number;
}

export interface UpConverted {
  /** One v2 batch, baseOffset 0, offset deltas 0..n-1, no producer id. */
  batch: Buffer;
  records: number;
  sourceMagic: number;
  sourceCodec: number;
  codec: number;
}

// Per record in the flat table: source index (0: the request, 1: the wrapper's inner set), key start, key length, value start, value length, timestamp.
const FIELDS = 6;

interface Fault {
  index: number;
  message: string;
  timestamp: boolean;
}

const KEYLESS = 1;
const OUT_OF_RANGE = 2;
const LOG_APPEND_BY_PRODUCER = 3;

/** Kafka's per-record checks (LogValidator.validateKey / validateTimestamp) for one message: 0 or the fault's kind. */
function checkRecord(o: UpConvertOptions, keyLength: number, timestamp: number, batchLogAppend: boolean): number {
  if (o.compact && keyLength < 0) return KEYLESS;
  if (!o.logAppendTime && timestamp !== -1) {
    if (timestamp < o.low || timestamp > o.high) return OUT_OF_RANGE;
  } else if (batchLogAppend) {
    return LOG_APPEND_BY_PRODUCER;
  }
  return 0;
}

function fault(o: UpConvertOptions, index: number, kind: number, timestamp: number, offset: number): Fault {
  if (kind === KEYLESS) return { index, message: keylessRecordMessage(o.topic, o.partition), timestamp: false };
  if (kind === OUT_OF_RANGE) return { index, message: timestampOutOfRangeMessage(timestamp, offset, o.low, o.high), timestamp: true };
  return { index, message: `Invalid timestamp type in message with offset ${offset}. Producer should not set timestamp type to LogAppendTime.`, timestamp: true };
}

function reject(faults: Fault[]): never {
  const errors: RecordError[] = faults.map((f) => ({ batchIndex: f.index, message: f.message }));
  throw recordValidationError(errors, faults.some((f) => f.timestamp));
}

/** Validates the old-format message set `buf` and converts it to one v2 batch. Throws KafkaError (RecordValidationError for per-record faults). */
export function upConvertLegacyMessageSet(buf: Buffer, o: UpConvertOptions): UpConverted {
  const sources: Buffer[] = [buf];
  const table: number[] = [];
  const e = legacyEntry();
  const inner = legacyEntry();
  let magic = -1;
  let sourceCodec: number = CompressionType.none;
  for (let pos = 0; pos < buf.length; pos = e.next) {
    readLegacyEntry(buf, pos, buf.length, e);
    if (e.next - pos > o.maxMessageBytes) {
      throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append to ${o.topic}-${o.partition} is ${e.next - pos} bytes which exceeds the maximum configured value of ${o.maxMessageBytes}.`);
    }
    if (magic < 0) magic = e.magic;
    else if (e.magic !== magic) throw new KafkaError(ErrorCode.INVALID_RECORD, `Batch magic ${e.magic} is not the same as the first batch's magic byte ${magic} in topic partition ${o.topic}-${o.partition}`);
    if (e.codec === CompressionType.none) {
      const kind = checkRecord(o, e.keyLength, e.timestamp, e.timestampType === 1);
      if (kind !== 0) reject([fault(o, 0, kind, e.timestamp, e.offset)]);
      table.push(0, e.keyStart, e.keyLength, e.valueStart, e.valueLength, e.timestamp);
      continue;
    }
    if (pos !== 0 || e.next !== buf.length) throw new KafkaError(ErrorCode.INVALID_RECORD, 'Compressed outer record has more than one batch');
    sourceCodec = e.codec;
    const set = legacyWrapperValue(buf, e, o.limit);
    sources.push(set);
    const logAppendWrapper = e.magic === 1 && e.timestampType === 1;
    const faults: Fault[] = [];
    // Record checks failed: [index, kind, timestamp, inner offset] (messages need the absolute offset, known at the end).
    const failed: number[] = [];
    let index = 0;
    let lastInner = 0;
    for (let p = 0; p < set.length; p = inner.next, index++) {
      readLegacyEntry(set, p, set.length, inner);
      const timestamp = logAppendWrapper ? e.timestamp : inner.timestamp;
      lastInner = inner.offset;
      if (inner.codec !== CompressionType.none) {
        faults.push({ index, message: `Compressed outer record should not have an inner record with a compression attribute set (inner message ${index}, codec ${inner.codec})`, timestamp: false });
      } else if (inner.magic !== e.magic) {
        faults.push({ index, message: `Record ${index}'s magic ${inner.magic} does not match outer magic ${e.magic} in topic partition ${o.topic}-${o.partition}`, timestamp: false });
      } else {
        const kind = checkRecord(o, inner.keyLength, timestamp, logAppendWrapper);
        if (kind !== 0) failed.push(index, kind, timestamp, inner.offset);
      }
      table.push(1, inner.keyStart, inner.keyLength, inner.valueStart, inner.valueLength, timestamp);
    }
    if (index === 0) throw new KafkaError(ErrorCode.INVALID_RECORD, 'Found invalid compressed record set with no inner records');
    let base = 0;
    if (e.magic === 1 && e.offset !== 0) {
      if (e.offset < lastInner) {
        throw new KafkaError(ErrorCode.INVALID_RECORD, `Found invalid wrapper offset in compressed v1 message set, wrapper offset '${e.offset}' is less than the last inner message offset '${lastInner}' and it is not zero.`);
      }
      base = e.offset - lastInner;
    }
    if (faults.length > 0 || failed.length > 0) {
      for (let i = 0; i < failed.length; i += 4) {
        faults.push(fault(o, failed[i] as number, failed[i + 1] as number, failed[i + 2] as number, (failed[i + 3] as number) + base));
      }
      reject(faults.sort((a, b) => a.index - b.index));
    }
  }
  const codec = o.target ?? sourceCodec;
  const batch = buildBatch(sources, table, codec, o.level);
  if (batch.length > o.maxMessageBytes) {
    throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `Message batch size is ${batch.length} bytes in append to partition ${o.topic}-${o.partition} which exceeds the maximum configured size of ${o.maxMessageBytes}.`);
  }
  return { batch, records: table.length / FIELDS, sourceMagic: magic, sourceCodec, codec };
}

function sizeOfVarlongNumber(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function writeVarlongNumber(buf: Buffer, pos: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

function sizeOfBytes(length: number): number {
  return length < 0 ? 1 : sizeOfVarint(length) + length;
}

/** The v2 batch holding the records of `table` (see FIELDS), compressed with `codec`. */
function buildBatch(sources: Buffer[], table: number[], codec: number, level: number | undefined): Buffer {
  const count = table.length / FIELDS;
  const baseTimestamp = table[5] as number;
  let maxTimestamp = -Infinity;
  let size = 0;
  for (let i = 0, t = 0; i < count; i++, t += FIELDS) {
    const ts = table[t + 5] as number;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const body = 1 + sizeOfVarlongNumber(ts - baseTimestamp) + sizeOfVarint(i) + sizeOfBytes(table[t + 2] as number) + sizeOfBytes(table[t + 4] as number) + 1;
    size += sizeOfVarint(body) + body;
  }
  const plain = Buffer.allocUnsafe(size);
  let p = 0;
  for (let i = 0, t = 0; i < count; i++, t += FIELDS) {
    const src = sources[table[t] as number] as Buffer;
    const keyStart = table[t + 1] as number;
    const keyLength = table[t + 2] as number;
    const valueStart = table[t + 3] as number;
    const valueLength = table[t + 4] as number;
    const delta = (table[t + 5] as number) - baseTimestamp;
    const body = 1 + sizeOfVarlongNumber(delta) + sizeOfVarint(i) + sizeOfBytes(keyLength) + sizeOfBytes(valueLength) + 1;
    p = writeVarint(plain, p, body);
    plain[p++] = 0; // attributes
    p = writeVarlongNumber(plain, p, delta);
    p = writeVarint(plain, p, i);
    p = writeVarint(plain, p, keyLength);
    if (keyLength > 0) p += src.copy(plain, p, keyStart, keyStart + keyLength);
    p = writeVarint(plain, p, valueLength);
    if (valueLength > 0) p += src.copy(plain, p, valueStart, valueStart + valueLength);
    plain[p++] = 0; // no headers
  }
  const payload = codec === CompressionType.none ? plain : compress(codec, plain, level === undefined ? undefined : { level });
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  out.writeBigInt64BE(0n, 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(2, MAGIC_OFFSET);
  out.writeInt16BE(codec, ATTRIBUTES_OFFSET); // CreateTime; the log restamps LogAppendTime topics
  out.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
  out.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(-1n, PRODUCER_ID_OFFSET);
  out.writeInt16BE(-1, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(-1, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}
