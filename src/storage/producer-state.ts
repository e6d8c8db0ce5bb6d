/**
 * Producer state of one partition (Kafka's ProducerStateManager): per producer id its epoch, the
 * metadata of its last 5 batches (for duplicate detection and sequence checks) and the first
 * offset of its ongoing transaction; the ongoing transactions in offset order (for the last
 * stable offset); and the aborted transactions (for read_committed fetches).
 *
 * Everything is per batch, from header fields only. State survives restarts through
 * `<offset>.snapshot` files (taken on segment roll, periodically and at clean shutdown) plus a
 * replay of the log from the newest usable snapshot; aborted transactions are kept in per-segment
 * `<base>.txnindex` files (aborted-txns.ts). Both use Kafka's formats (see producer-state-files.ts).
 *
 * The checks a batch passes before it is appended, with Kafka 3.x/4.x's errors, are in
 * producer-append-checks.ts; this file records what was appended.
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  CONTROL_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TRANSACTIONAL_FLAG_MASK,
  batchSizeAt,
} from '../protocol/records/batch-header.js';
import { ControlRecordType, readEndTxnMarker } from '../protocol/records/control-record.js';
import type { PartitionLog } from './partition-log.js';
import { AbortedTxns } from './aborted-txns.js';
import { type AppendOrigin, checkDataBatch, checkMarker, findDuplicateBatch } from './producer-append-checks.js';
import { type BatchMetadata, type CompletedTxn, type ProducerBatch, type ProducerEntry, INT32_MAX } from './producer-entry.js';
import {
  type AbortedTxn,
  type SnapshotEntry,
  listStateFiles,
  readSnapshotFile,
  snapshotFile,
  txnIndexFile,
  writeSnapshotFile,
} from './producer-state-files.js';
import { unlinkIfExists } from './fs-util.js';
import { readBigInt64At } from '../protocol/primitives/bigint64.js';
import { readInt64 } from './int64.js';

export type { AbortedTxn } from './producer-state-files.js';
export { type BatchMetadata, type CompletedTxn, type ProducerBatch, type ProducerEntry, decrementSequence } from './producer-entry.js';

export const NUM_BATCHES_TO_RETAIN = 5;
/** Snapshots kept besides the newest one. */
const SNAPSHOTS_RETAINED = 2;
const REPLAY_CHUNK_BYTES = 1 << 20;

export interface ProducerStateOptions {
  now?: () => number;
  /** producer.id.expiration.ms: producers idle this long (with no open transaction) are forgotten. */
  producerIdExpirationMs?: number;
}

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** producerId -> first offset of its open transaction, in first-offset order (Map insertion order). */
  private readonly ongoing = new Map<bigint, number>();
  /** The aborted transactions (for read_committed fetches) and their index files. */
  private readonly aborted: AbortedTxns;
  private readonly now: () => number;
  producerIdExpirationMs: number;
  /** The state covers the log below this offset. */
  private mapEndOffset = 0;
  private lastSnapshotOffset = -1;
  private lastSnapshotTime = 0;
  /** Changed since the last snapshot. */
  private dirty = false;

  private constructor(private readonly plog: PartitionLog, opts: ProducerStateOptions) {
    this.now = opts.now ?? (() => 0);
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? 86_400_000;
    this.aborted = new AbortedTxns(plog, `${plog.topic}-${plog.partition}`);
  }

  private get name(): string {
    return `${this.plog.topic}-${this.plog.partition}`;
  }

  /** Loads the newest usable snapshot and txn indexes of `plog`, then replays the log after it. */
  static load(plog: PartitionLog, opts: ProducerStateOptions = {}): ProducerStateManager {
    const m = new ProducerStateManager(plog, opts);
    m.loadFromDisk();
    return m;
  }

  // ------------------------------------------------------------------ queries

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  activeProducers(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  hasOngoingTxn(producerId: bigint): boolean {
    return this.ongoing.has(producerId);
  }

  /** First offset of the oldest open transaction, or -1. */
  firstUnstableOffset(): number {
    for (const first of this.ongoing.values()) return first;
    return -1;
  }

  get ongoingTxnCount(): number {
    return this.ongoing.size;
  }

  /** Aborted transactions overlapping [fetchOffset, upperBoundOffset): lastOffset >= fetchOffset and firstOffset < upperBoundOffset. */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.aborted.collect(fetchOffset, upperBoundOffset);
  }

  allAbortedTxns(): readonly AbortedTxn[] {
    return this.aborted.all();
  }

  // ------------------------------------------------------------------ appends

  /**
   * A client batch that repeats one of the producer's last 5 batches (same epoch and sequence
   * range): its metadata, so the caller can answer with the original offsets.
   */
  findDuplicate(b: ProducerBatch): { firstOffset: number; lastOffset: number; timestamp: number } | undefined {
    return findDuplicateBatch(this.producers.get(b.producerId), b);
  }

  /** Checks epoch, sequence and transaction state of a data batch before it is appended. Throws KafkaError. */
  validateData(b: ProducerBatch, origin: AppendOrigin): void {
    checkDataBatch(this.producers.get(b.producerId), b, origin, this.name);
  }

  /** Records an appended data batch [firstOffset, lastOffset]. */
  applyData(b: ProducerBatch, firstOffset: number, lastOffset: number, timestamp: number): void {
    let e = this.producers.get(b.producerId);
    if (e === undefined) {
      e = { producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: -1, lastTimestamp: timestamp, currentTxnFirstOffset: -1, batches: [] };
      this.producers.set(b.producerId, e);
    } else if (e.producerEpoch !== b.producerEpoch) {
      e.producerEpoch = b.producerEpoch;
      e.batches = [];
    }
    if (e.batches.length >= NUM_BATCHES_TO_RETAIN) e.batches.shift();
    e.batches.push({ lastSeq: b.lastSequence, lastOffset, offsetDelta: lastOffset - firstOffset, timestamp });
    e.lastTimestamp = timestamp;
    if (b.isTransactional && e.currentTxnFirstOffset < 0) {
      e.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(b.producerId, firstOffset);
    }
    this.mapEndOffset = Math.max(this.mapEndOffset, lastOffset + 1);
    this.dirty = true;
  }

  /** Checks a COMMIT/ABORT marker before it is appended. Throws KafkaError. */
  validateMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number): void {
    checkMarker(this.producers.get(producerId), producerId, producerEpoch, coordinatorEpoch, this.name);
  }

  /** Records an appended marker at `offset`; returns the transaction it completed, if the producer had one open. */
  applyMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number, isAbort: boolean, offset: number, timestamp: number): CompletedTxn | null {
    let e = this.producers.get(producerId);
    if (e === undefined) {
      e = { producerId, producerEpoch, coordinatorEpoch, lastTimestamp: timestamp, currentTxnFirstOffset: -1, batches: [] };
      this.producers.set(producerId, e);
    }
    let completed: CompletedTxn | null = null;
    if (e.currentTxnFirstOffset >= 0) completed = { producerId, firstOffset: e.currentTxnFirstOffset, lastOffset: offset, isAborted: isAbort };
    if (e.producerEpoch !== producerEpoch) {
      e.producerEpoch = producerEpoch;
      e.batches = [];
    }
    e.coordinatorEpoch = coordinatorEpoch;
    e.currentTxnFirstOffset = -1;
    e.lastTimestamp = timestamp;
    if (completed !== null) {
      this.ongoing.delete(producerId);
      if (isAbort) {
        const next = this.firstUnstableOffset();
        this.aborted.add({ producerId, firstOffset: completed.firstOffset, lastOffset: offset, lastStableOffset: next >= 0 ? next : offset + 1 }, true);
      }
    }
    this.mapEndOffset = Math.max(this.mapEndOffset, offset + 1);
    this.dirty = true;
    return completed;
  }

  /**
   * Applies the batches in `buf` (whole batches with offsets assigned) as read back from the log:
   * no validation. Used for the replay on load.
   */
  replayBatches(buf: Buffer): number {
    let p = 0;
    let next = -1;
    while (p + RECORD_BATCH_OVERHEAD <= buf.length) {
      const size = batchSizeAt(buf, p);
      if (p + size > buf.length) break;
      const base = readInt64(buf, p);
      const last = base + buf.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET);
      const pid = readBigInt64At(buf, p + PRODUCER_ID_OFFSET);
      if (pid >= 0n) {
        const attributes = buf.readInt16BE(p + ATTRIBUTES_OFFSET);
        const epoch = buf.readInt16BE(p + PRODUCER_EPOCH_OFFSET);
        const ts = readInt64(buf, p + MAX_TIMESTAMP_OFFSET);
        if ((attributes & CONTROL_FLAG_MASK) !== 0) {
          const marker = readEndTxnMarker(buf, p, p + size);
          if (marker !== null) this.applyMarker(pid, epoch, marker.coordinatorEpoch, marker.type === ControlRecordType.ABORT, base, ts);
        } else {
          const baseSequence = buf.readInt32BE(p + BASE_SEQUENCE_OFFSET);
          const delta = last - base;
          this.applyData(
            {
              producerId: pid,
              producerEpoch: epoch,
              baseSequence,
              lastSequence: baseSequence < 0 ? -1 : baseSequence > INT32_MAX - delta ? delta - (INT32_MAX - baseSequence) - 1 : baseSequence + delta,
              isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
            },
            base,
            last,
            ts,
          );
        }
      }
      next = last + 1;
      this.mapEndOffset = Math.max(this.mapEndOffset, next);
      p += size;
    }
    return next;
  }

  // ------------------------------------------------------------------ maintenance

  /** Forgets producers idle for producer.id.expiration.ms with no open transaction. Returns how many. */
  removeExpiredProducers(now: number = this.now()): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.producerIdExpirationMs) {
        this.producers.delete(pid);
        n++;
      }
    }
    if (n > 0) this.dirty = true;
    return n;
  }

  /** Drops aborted-transaction entries and txn index files below the log start (after retention). */
  cleanupBelowLogStart(): void {
    this.aborted.cleanupBelowLogStart();
  }

  get needsSnapshot(): boolean {
    return this.dirty || this.lastSnapshotOffset !== this.plog.logEndOffset;
  }

  get lastSnapshotAt(): number {
    return this.lastSnapshotTime;
  }

  /** Writes `<offset>.snapshot` for the state as of `offset` (default: the log end) and prunes old ones. */
  takeSnapshot(offset: number = this.plog.logEndOffset, sync = false): void {
    const entries: SnapshotEntry[] = [];
    for (const e of this.producers.values()) {
      const last = e.batches[e.batches.length - 1];
      entries.push({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: last?.lastSeq ?? -1,
        lastOffset: last?.lastOffset ?? -1,
        offsetDelta: last?.offsetDelta ?? 0,
        timestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnFirstOffset: e.currentTxnFirstOffset,
      });
    }
    try {
      writeSnapshotFile(this.plog.dir, offset, entries, sync);
      this.lastSnapshotOffset = offset;
      this.lastSnapshotTime = this.now();
      this.dirty = false;
      const { snapshots } = listStateFiles(this.plog.dir);
      const keep = snapshots.filter((o) => o <= offset).slice(-(SNAPSHOTS_RETAINED + 1));
      for (const o of snapshots) if (o < offset && !keep.includes(o)) unlinkIfExists(snapshotFile(this.plog.dir, o));
    } catch (e) {
      // A failed disk takes the log dir offline (logged once there), not one line per snapshot.
      if (this.plog.reportIoFailure(e)) return;
      this.plog.logger.error(`cannot write the producer state snapshot of ${this.name} at offset ${offset}`, e);
    }
  }

  // ------------------------------------------------------------------ loading

  private loadFromDisk(): void {
    const dir = this.plog.dir;
    const logEnd = this.plog.logEndOffset;
    const logStart = this.plog.logStartOffset;
    const { snapshots, txnIndexes } = listStateFiles(dir, this.plog.takeNamesAtLoad() ?? undefined);
    let replayFrom = logStart;
    let loaded = false;
    for (let i = snapshots.length - 1; i >= 0; i--) {
      const offset = snapshots[i] as number;
      if (offset > logEnd) {
        unlinkIfExists(snapshotFile(dir, offset));
        continue;
      }
      if (loaded) continue;
      try {
        const entries = readSnapshotFile(dir, offset);
        const now = this.now();
        for (const s of entries) this.loadEntry(s, now);
        replayFrom = Math.max(offset, logStart);
        this.lastSnapshotOffset = offset;
        loaded = true;
      } catch (e) {
        this.plog.logger.warn(`ignoring producer snapshot ${snapshotFile(dir, offset)}: ${e instanceof Error ? e.message : String(e)}`);
        unlinkIfExists(snapshotFile(dir, offset));
      }
    }
    // Transactions already open in the snapshot, in first-offset order.
    const open = [...this.producers.values()].filter((e) => e.currentTxnFirstOffset >= 0).sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
    for (const e of open) this.ongoing.set(e.producerId, e.currentTxnFirstOffset);

    // Aborted transactions below the replay point come from the indexes; the replay adds the rest.
    replayFrom = this.aborted.load(txnIndexes, replayFrom);
    this.mapEndOffset = replayFrom;

    if (replayFrom < logEnd) {
      const started = performance.now();
      let offset = replayFrom;
      while (offset < logEnd) {
        const { records } = this.plog.read(offset, REPLAY_CHUNK_BYTES, logEnd, true);
        if (records.length === 0) break;
        const next = this.replayBatches(records);
        if (next <= offset) break;
        offset = next;
      }
      this.mapEndOffset = logEnd;
      this.plog.logger.debug(`rebuilt producer state of ${this.name} from offset ${replayFrom} to ${logEnd} in ${(performance.now() - started).toFixed(0)} ms`);
      this.takeSnapshot(logEnd);
    }
    this.mapEndOffset = logEnd;
    this.dirty = false;
  }

  private loadEntry(s: SnapshotEntry, now: number): void {
    if (s.currentTxnFirstOffset < 0 && now - s.timestamp >= this.producerIdExpirationMs) return;
    const batches: BatchMetadata[] = s.lastSequence >= 0 || s.lastOffset >= 0 ? [{ lastSeq: s.lastSequence, lastOffset: s.lastOffset, offsetDelta: s.offsetDelta, timestamp: s.timestamp }] : [];
    this.producers.set(s.producerId, {
      producerId: s.producerId,
      producerEpoch: s.producerEpoch,
      coordinatorEpoch: s.coordinatorEpoch,
      lastTimestamp: s.timestamp,
      currentTxnFirstOffset: s.currentTxnFirstOffset,
      batches,
    });
  }
}

/** Removes every producer state file of a partition directory (for tests and full truncation). */
export function deleteProducerStateFiles(dir: string): void {
  const { snapshots, txnIndexes } = listStateFiles(dir);
  for (const o of snapshots) unlinkIfExists(snapshotFile(dir, o));
  for (const o of txnIndexes) unlinkIfExists(txnIndexFile(dir, o));
}
