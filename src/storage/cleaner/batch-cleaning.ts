/**
 * The copy pass's rule for one batch (step 2 of log-compaction.ts): keep a record only when no newer
 * record has its key, drop keyless records, data of aborted transactions and tombstones / markers
 * whose delete horizon passed, and stamp a delete horizon (KIP-534: DELETE_HORIZON attribute bit,
 * baseTimestamp = horizon) on tombstones and discardable markers cleaned for the first time.
 * Untouched batches come back as UNCHANGED so the caller copies their bytes as they are; partly
 * kept ones are rebuilt from the kept records' bytes with their codec.
 */
import {
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CompressionType,
  DELETE_HORIZON_FLAG_MASK,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
} from '../../protocol/records/batch-header.js';
import { CorruptRecordError } from '../../common/errors.js';
import { compress } from '../../protocol/records/compression.js';
import { ControlRecordType, readControlRecordTypeAt } from '../../protocol/records/control-record.js';
import { decodeRecordBatch, encodeRecordBatch, rewriteBatchCrc } from '../../protocol/records/record.js';
import { readInt64 } from '../int64.js';
import { type BatchView, type RecordSlot, recordsSection, walkRecords } from './batch-io.js';
import type { CleanStats } from './log-compaction.js';
import type { OffsetMap } from './offset-map.js';
import type { TxnTracker } from './txn-tracker.js';

/** cleanBatch's answer for a batch kept byte for byte. */
export const UNCHANGED: unique symbol = Symbol('unchanged');

export interface CopyContext {
  map: OffsetMap;
  tracker: TxnTracker;
  now: number;
  deleteRetentionMs: number;
  stats: CleanStats;
  /** Earliest delete horizon among retained tombstones and markers. */
  pendingHorizon: number;
  /** Some batch of the current group was dropped or rebuilt. */
  changed: boolean;
  /** End of the mapped range: batches from here on are copied as they are (a batch boundary). */
  endOffset: number;
}

function controlTypeOf(v: BatchView): number {
  const name = readControlRecordTypeAt(v.buf, v.pos);
  return name === null || name === 'UNKNOWN' ? -1 : ControlRecordType[name];
}

/**
 * The map pass's rule for one batch: control batches and aborted data only feed the transaction
 * tracker; every keyed record at or after `firstDirty` maps its key to its offset. False when the
 * map has no room for the batch (the mapped range ends before it).
 */
export function mapBatch(v: BatchView, tracker: TxnTracker, map: OffsetMap, firstDirty: number): boolean {
  const producerId = v.buf.readBigInt64BE(v.pos + PRODUCER_ID_OFFSET);
  if ((v.attributes & CONTROL_FLAG_MASK) !== 0) {
    tracker.onControlBatch(producerId, controlTypeOf(v), v.lastOffset);
    return true;
  }
  if ((v.attributes & TRANSACTIONAL_FLAG_MASK) !== 0 && tracker.isAbortedData(producerId, v.lastOffset)) return true;
  if (map.remaining < v.recordsCount) {
    if (map.size === 0) throw new Error(`log.cleaner.dedupe.buffer.size is too small for one batch of ${v.recordsCount} records`);
    return false;
  }
  const sec = recordsSection(v);
  const base = v.baseOffset;
  walkRecords(sec.data, sec.start, sec.end, v.recordsCount, (r) => {
    const offset = base + r.offsetDelta;
    if (r.keyLength >= 0 && offset >= firstDirty) map.put(sec.data, r.keyStart, r.keyStart + r.keyLength, offset);
  });
  return true;
}

const keep: boolean[] = [];

/** The cleaned form of one batch: UNCHANGED, a rebuilt batch, or null (dropped). */
export function cleanBatch(v: BatchView, ctx: CopyContext): Buffer | null | typeof UNCHANGED {
  // Beyond the mapped range nothing is known yet: no record there is superseded, and tombstones
  // there must not get (or pass) a delete horizon before their key's older values were removed.
  if (v.baseOffset >= ctx.endOffset) return UNCHANGED;
  const { buf, pos, size, attributes } = v;
  const producerId = buf.readBigInt64BE(pos + PRODUCER_ID_OFFSET);
  const hasHorizon = (attributes & DELETE_HORIZON_FLAG_MASK) !== 0;
  const horizon = hasHorizon ? readInt64(buf, pos + BASE_TIMESTAMP_OFFSET) : -1;
  const horizonPassed = hasHorizon && horizon <= ctx.now;
  const stats = ctx.stats;

  if ((attributes & CONTROL_FLAG_MASK) !== 0) {
    stats.recordsRead += v.recordsCount;
    const canDiscard = ctx.tracker.onControlBatch(producerId, controlTypeOf(v), v.lastOffset);
    if (canDiscard && horizonPassed) return null;
    stats.recordsRetained += v.recordsCount;
    if (canDiscard && !hasHorizon) {
      const h = ctx.now + ctx.deleteRetentionMs;
      ctx.pendingHorizon = Math.min(ctx.pendingHorizon, h);
      return withDeleteHorizon(v, null, h);
    }
    if (canDiscard) ctx.pendingHorizon = Math.min(ctx.pendingHorizon, horizon);
    return UNCHANGED;
  }

  stats.recordsRead += v.recordsCount;
  if ((attributes & TRANSACTIONAL_FLAG_MASK) !== 0 && ctx.tracker.isAbortedData(producerId, v.lastOffset)) return null;

  const sec = recordsSection(v);
  const map = ctx.map;
  const base = v.baseOffset;
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
  let kept = 0;
  let keptBytes = 0;
  let tombstones = 0;
  let maxTs = -1;
  let i = 0;
  keep.length = v.recordsCount;
  walkRecords(sec.data, sec.start, sec.end, v.recordsCount, (r: RecordSlot) => {
    let retain = r.keyLength >= 0;
    if (retain) {
      const latest = map.get(sec.data, r.keyStart, r.keyStart + r.keyLength);
      if (latest > base + r.offsetDelta) retain = false;
      else if (r.valueLength < 0 && horizonPassed) retain = false;
    }
    keep[i++] = retain;
    if (retain) {
      kept++;
      keptBytes += r.end - r.start;
      if (r.valueLength < 0) tombstones++;
      const ts = baseTimestamp + r.timestampDelta;
      if (ts > maxTs) maxTs = ts;
    }
  });
  stats.recordsRetained += kept;
  if (kept === 0) return null;
  if (tombstones > 0) {
    if (!hasHorizon) {
      const h = ctx.now + ctx.deleteRetentionMs;
      ctx.pendingHorizon = Math.min(ctx.pendingHorizon, h);
      return withDeleteHorizon(v, keep, h);
    }
    ctx.pendingHorizon = Math.min(ctx.pendingHorizon, horizon);
  }
  if (kept === v.recordsCount) return UNCHANGED;

  // Rebuild from the kept records' bytes: offsets and timestamps are deltas from the unchanged
  // baseOffset and baseTimestamp, so the record bytes stay valid as they are.
  const body = Buffer.allocUnsafe(keptBytes);
  let p = 0;
  i = 0;
  walkRecords(sec.data, sec.start, sec.end, v.recordsCount, (r: RecordSlot) => {
    if (keep[i++] === true) p += sec.data.copy(body, p, r.start, r.end);
  });
  const codec = attributes & COMPRESSION_CODEC_MASK;
  const payload = codec === CompressionType.none ? body : compress(codec, body);
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  buf.copy(out, 0, pos, pos + RECORD_BATCH_OVERHEAD);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(kept, RECORDS_COUNT_OFFSET);
  if ((attributes & TIMESTAMP_TYPE_MASK) === 0) out.writeBigInt64BE(BigInt(maxTs), MAX_TIMESTAMP_OFFSET);
  rewriteBatchCrc(out, 0);
  return out;
}

/** Re-encodes the batch (its kept records, all when `keepMask` is null) with a delete horizon. */
function withDeleteHorizon(v: BatchView, keepMask: boolean[] | null, horizon: number): Buffer {
  const batch = decodeRecordBatch(v.buf, v.pos, { verifyCrc: false });
  const records = batch.records
    .filter((_, i) => keepMask === null || keepMask[i] === true)
    .map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: Number(r.offset - batch.baseOffset) }));
  let maxTimestamp = batch.maxTimestamp;
  if (batch.timestampType === 0) {
    maxTimestamp = -1n;
    for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  const out = encodeRecordBatch({
    baseOffset: batch.baseOffset,
    records,
    compression: batch.compression,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    timestampType: batch.timestampType,
    baseTimestamp: BigInt(horizon),
    maxTimestamp,
    lastOffsetDelta: batch.lastOffsetDelta,
    extraAttributes: DELETE_HORIZON_FLAG_MASK,
  });
  if (out.length < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError('re-encoded batch is too short');
  return out;
}
