/**
 * Control batches: transaction markers (COMMIT / ABORT) and the other control record types.
 *
 * A control batch has the control and transactional attribute bits set, is never compressed and
 * holds one record whose
 *   key   = int16 version (0) + int16 type
 *   value = int16 version (0) + int32 coordinatorEpoch   (for COMMIT / ABORT)
 */
import { CorruptRecordError } from '../../common/errors.js';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CompressionType,
  LOG_OVERHEAD,
  BATCH_LENGTH_OFFSET,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
} from './batch-header.js';
import { encodeRecordBatch, type RecordBatch } from './record.js';
import { RecordReader } from './varint.js';

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;
export type ControlRecordTypeName = keyof typeof ControlRecordType | 'UNKNOWN';

export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TXN_MARKER_VALUE_VERSION = 0;

const TYPE_NAMES: ReadonlyMap<number, ControlRecordTypeName> = new Map(
  (Object.entries(ControlRecordType) as [keyof typeof ControlRecordType, number][]).map(([n, v]) => [v, n]),
);

export function controlRecordTypeName(type: number): ControlRecordTypeName {
  return TYPE_NAMES.get(type) ?? 'UNKNOWN';
}

export interface ControlBatchInput {
  producerId: bigint;
  producerEpoch: number;
  baseOffset?: bigint;
  timestamp: bigint;
  type: 'COMMIT' | 'ABORT';
  coordinatorEpoch: number;
  partitionLeaderEpoch?: number;
}

export function encodeControlRecordKey(type: number): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeInt16BE(CONTROL_RECORD_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(6);
  value.writeInt16BE(END_TXN_MARKER_VALUE_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** Builds a transaction marker batch (one control record, transactional, uncompressed). */
export function encodeControlBatch(input: ControlBatchInput): Buffer {
  return encodeRecordBatch({
    baseOffset: input.baseOffset ?? 0n,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: NO_SEQUENCE,
    isTransactional: true,
    isControl: true,
    compression: CompressionType.none,
    baseTimestamp: input.timestamp,
    ...(input.partitionLeaderEpoch !== undefined ? { partitionLeaderEpoch: input.partitionLeaderEpoch } : {}),
    records: [
      {
        key: encodeControlRecordKey(ControlRecordType[input.type]),
        value: encodeEndTxnMarkerValue(input.coordinatorEpoch),
        timestamp: input.timestamp,
      },
    ],
  });
}

/** Parses a control record key; throws CorruptRecordError if it is too short or has a negative version. */
export function parseControlRecordKey(key: Buffer | null): { version: number; type: number } {
  if (key === null || key.length < 4) throw new CorruptRecordError(`invalid control record key size ${key?.length ?? -1}`);
  const version = key.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`invalid control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

/** Type of a decoded control batch's (first) record. Throws if `batch` is not a control batch. */
export function decodeControlRecordType(batch: RecordBatch): ControlRecordTypeName {
  if (!batch.isControl) throw new CorruptRecordError('not a control batch');
  const rec = batch.records[0];
  if (rec === undefined) throw new CorruptRecordError('control batch has no record');
  return controlRecordTypeName(parseControlRecordKey(rec.key).type);
}

export interface EndTxnMarker {
  type: 'COMMIT' | 'ABORT';
  version: number;
  coordinatorEpoch: number;
}

/** Decodes a COMMIT/ABORT marker from a decoded control batch. */
export function decodeEndTxnMarker(batch: RecordBatch): EndTxnMarker {
  const type = decodeControlRecordType(batch);
  if (type !== 'COMMIT' && type !== 'ABORT') throw new CorruptRecordError(`control record type ${type} is not a transaction marker`);
  const value = batch.records[0]?.value ?? null;
  if (value === null || value.length < 6) throw new CorruptRecordError(`invalid end transaction marker value size ${value?.length ?? -1}`);
  const version = value.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`invalid end transaction marker version ${version}`);
  return { type, version, coordinatorEpoch: value.readInt32BE(2) };
}

/**
 * Reads the control record type straight from the raw control batch at `pos` without decoding the
 * whole batch (for log recovery / fetch paths). Returns null if the batch is not a control batch.
 * Throws CorruptRecordError if it is malformed (including a compressed control batch).
 */
export function readControlRecordTypeAt(buf: Buffer, pos = 0): ControlRecordTypeName | null {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError('truncated batch header', { position: pos });
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  if ((attributes & CONTROL_FLAG_MASK) === 0) return null;
  if ((attributes & COMPRESSION_CODEC_MASK) !== CompressionType.none) {
    throw new CorruptRecordError('compressed control batch', { position: pos });
  }
  if (buf.readInt32BE(pos + RECORDS_COUNT_OFFSET) < 1) throw new CorruptRecordError('control batch has no record', { position: pos });
  const end = pos + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  if (end > buf.length || end < pos + RECORD_BATCH_OVERHEAD) throw new CorruptRecordError('truncated batch', { position: pos });
  const r = new RecordReader(buf, pos + RECORD_BATCH_OVERHEAD, end);
  r.readVarint(); // record length
  r.readInt8(); // attributes
  r.readVarlong(); // timestamp delta
  r.readVarint(); // offset delta
  const keyLen = r.readVarint();
  const key = keyLen < 0 ? null : r.readSlice(keyLen);
  return controlRecordTypeName(parseControlRecordKey(key).type);
}

/** The type and coordinator epoch of a COMMIT/ABORT control batch in buf[pos, end); null for other control records. */
export function readEndTxnMarker(buf: Buffer, pos: number, end: number): { type: number; coordinatorEpoch: number } | null {
  try {
    const r = new RecordReader(buf, pos + RECORD_BATCH_OVERHEAD, end);
    r.readVarint(); // length
    r.readInt8(); // attributes
    r.readVarlong(); // timestamp delta
    r.readVarint(); // offset delta
    const keyLen = r.readVarint();
    if (keyLen < 4) return null;
    const key = r.readSlice(keyLen);
    const type = key.readInt16BE(2);
    if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return null;
    const valueLen = r.readVarint();
    const coordinatorEpoch = valueLen >= 6 ? r.readSlice(valueLen).readInt32BE(2) : -1;
    return { type, coordinatorEpoch };
  } catch {
    return null;
  }
}
