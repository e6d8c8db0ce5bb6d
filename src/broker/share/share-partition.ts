/**
 * One share-partition (KIP-932): the state a share group keeps for one topic partition on the
 * partition's leader. Records from the share-partition start offset (SPSO) up to the end offset
 * (SPEO, exclusive) are "in flight", each Available, Acquired (by one member, under an
 * acquisition lock), Acknowledged or Archived, with a delivery count. A ShareFetch acquires
 * Available records (redeliveries first, then new ones below the high watermark), raising their
 * delivery count; ShareAcknowledge/ShareFetch acknowledgements accept (→ Acknowledged), release
 * (→ Available again) or reject (→ Archived) records the member holds; a lock that expires makes
 * the records Available again. A record released or expired at the delivery-count limit
 * (`group.share.delivery.count.limit`) is Archived instead. The start offset moves past every
 * leading Acknowledged/Archived record, and at most `group.share.partition.max.record.locks`
 * records are in flight.
 *
 * Kafka's rule for the returned data: whole stored batches go out with the ranges of acquired
 * offsets (AcquiredRecords); the client delivers only the records inside those ranges. Control
 * batches and offsets missing from the log (compaction) are archived without being delivered.
 *
 * Samsa's deviations: the state is kept per offset (Kafka keeps it per batch, splitting batches
 * on partial acknowledgement); acknowledgement type 0 (gap) archives the offset as reject does;
 * only read_uncommitted (`share.isolation.level`'s default) is served.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { CONTROL_FLAG_MASK, ATTRIBUTES_OFFSET, LOG_OVERHEAD, batchSizeAt, baseOffsetOf, lastOffsetOf } from '../../protocol/records/batch-header.js';

export const RecordState = { Available: 0, Acquired: 1, Acknowledged: 2, Archived: 4 } as const;
export type RecordState = (typeof RecordState)[keyof typeof RecordState];

/** ShareAcknowledge's AcknowledgeTypes (KIP-932). */
export const AckType = { Gap: 0, Accept: 1, Release: 2, Reject: 3 } as const;

export interface SharePartitionSettings {
  lockDurationMs: number;
  deliveryCountLimit: number;
  maxInFlight: number;
}

/**
 * The durable part of the state (ShareSnapshot's fields): acquired records are stored as Available
 * with their delivery count (raised by the acquisition), so after a crash they are delivered again
 * and the delivery-count limit still counts the delivery the crash interrupted.
 */
export interface PersistedShareState {
  startOffset: number;
  batches: { firstOffset: number; lastOffset: number; deliveryState: number; deliveryCount: number }[];
}

/** What a share-partition reads from its log. */
export interface ShareLogView {
  readonly logStartOffset: number;
  /** Records below it may be delivered (the high watermark). */
  readonly highWatermark: number;
  /** Whole stored batches from the one holding `offset`, about `maxBytes` (at least one batch). */
  read(offset: number, maxBytes: number): Buffer;
}

export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

export interface Acquisition {
  records: Buffer;
  ranges: AcquiredRange[];
  /** The lock's id (for `expireLock`), 0 when nothing was acquired. */
  lockId: number;
}

interface InFlight {
  state: RecordState;
  deliveryCount: number;
  memberId: string | null;
  lockId: number;
}

const EMPTY = Buffer.alloc(0);

export class SharePartition {
  private start: number;
  private end: number;
  private readonly inFlight = new Map<number, InFlight>();
  private lastLockId = 0;
  /** Bumped on every change worth persisting. */
  changes = 0;

  constructor(
    private readonly settings: SharePartitionSettings,
    initial: PersistedShareState,
  ) {
    this.start = initial.startOffset;
    this.end = initial.startOffset;
    for (const b of initial.batches) {
      for (let o = Math.max(b.firstOffset, this.start); o <= b.lastOffset; o++) {
        // A record whose last delivery (at the limit) was interrupted by a crash is not delivered again.
        const settled = b.deliveryState === RecordState.Acknowledged || b.deliveryState === RecordState.Archived;
        const state: RecordState = settled ? (b.deliveryState as RecordState) : b.deliveryCount >= settings.deliveryCountLimit ? RecordState.Archived : RecordState.Available;
        this.inFlight.set(o, { state, deliveryCount: b.deliveryCount, memberId: null, lockId: 0 });
        this.end = Math.max(this.end, o + 1);
      }
    }
    for (let o = this.start; o < this.end; o++) if (!this.inFlight.has(o)) this.inFlight.set(o, { state: RecordState.Available, deliveryCount: 0, memberId: null, lockId: 0 });
    this.advanceStart();
  }

  get startOffset(): number {
    return this.start;
  }

  get endOffset(): number {
    return this.end;
  }

  /** How many records are in flight in each state (tests, describe). */
  counts(): Record<'available' | 'acquired' | 'acknowledged' | 'archived', number> {
    const c = { available: 0, acquired: 0, acknowledged: 0, archived: 0 };
    for (const r of this.inFlight.values()) {
      if (r.state === RecordState.Available) c.available++;
      else if (r.state === RecordState.Acquired) c.acquired++;
      else if (r.state === RecordState.Acknowledged) c.acknowledged++;
      else c.archived++;
    }
    return c;
  }

  /** Acquires records for `memberId` (at most about `maxBytes` of batches); empty when none is available. */
  acquire(memberId: string, log: ShareLogView, maxBytes: number): Acquisition {
    this.skipTo(log.logStartOffset);
    const from = this.firstAcquirable(log.highWatermark);
    if (from === null) return { records: EMPTY, ranges: [], lockId: 0 };
    const buf = log.read(from, maxBytes);
    const lockId = ++this.lastLockId;
    const acquired: number[] = [];
    let pos = 0;
    let used = 0;
    while (pos + LOG_OVERHEAD <= buf.length) {
      const size = batchSizeAt(buf, pos);
      if (pos + size > buf.length) break;
      const base = Number(baseOffsetOf(buf, pos));
      const last = Number(lastOffsetOf(buf, pos));
      if (last >= log.highWatermark) break;
      const control = (buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) !== 0;
      // Offsets the log skipped (compaction) before this batch are never delivered.
      while (this.end < base && this.end < log.highWatermark) this.addNew(RecordState.Archived);
      let any = false;
      for (let o = Math.max(base, from); o <= last; o++) {
        if (o < this.end) {
          const r = this.inFlight.get(o);
          if (control || r === undefined || r.state !== RecordState.Available) continue;
          this.lock(r, memberId, lockId);
          acquired.push(o);
          any = true;
        } else if (control) {
          this.addNew(RecordState.Archived);
        } else {
          if (this.inFlight.size >= this.settings.maxInFlight) break;
          this.lock(this.addNew(RecordState.Available), memberId, lockId);
          acquired.push(o);
          any = true;
        }
      }
      if (any) used = pos + size;
      pos += size;
      if (this.inFlight.size >= this.settings.maxInFlight && this.end <= last) break;
    }
    this.advanceStart();
    if (acquired.length === 0) return { records: EMPTY, ranges: [], lockId: 0 };
    // The raised delivery counts are durable before the records go out (persisted as Available).
    this.changes++;
    return { records: buf.subarray(0, used), ranges: this.rangesOf(acquired), lockId };
  }

  /**
   * Applies one acknowledgement batch of `memberId`: `types` has one type for the whole range or
   * one per offset. Throws INVALID_RECORD_STATE (nothing changed) when a record in the range is
   * not acquired by this member, INVALID_REQUEST for a malformed batch.
   */
  acknowledge(memberId: string, firstOffset: number, lastOffset: number, types: readonly number[]): void {
    const n = lastOffset - firstOffset + 1;
    if (n <= 0 || (types.length !== 1 && types.length !== n) || types.some((t) => t < AckType.Gap || t > AckType.Reject)) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid acknowledgement batch ${firstOffset}-${lastOffset} with ${types.length} types`);
    }
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.inFlight.get(o);
      if (r === undefined || r.state !== RecordState.Acquired || r.memberId !== memberId) {
        throw new KafkaError(ErrorCode.INVALID_RECORD_STATE, `Offset ${o} is not acquired by member ${memberId}`);
      }
    }
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.inFlight.get(o) as InFlight;
      const t = types.length === 1 ? (types[0] as number) : (types[o - firstOffset] as number);
      if (t === AckType.Accept) this.settle(r, RecordState.Acknowledged);
      else if (t === AckType.Release) this.makeAvailable(r);
      else this.settle(r, RecordState.Archived);
    }
    this.changes++;
    this.advanceStart();
  }

  /** The acquisition lock `lockId` timed out: its records still acquired become available (or archived at the limit). */
  expireLock(lockId: number): number {
    return this.releaseAcquired((r) => r.lockId === lockId);
  }

  /** Releases every record `memberId` holds (its share session closed). */
  releaseMember(memberId: string): number {
    return this.releaseAcquired((r) => r.memberId === memberId);
  }

  /** Makes the acquired records that `which` picks available again (or archived at the limit); returns how many. */
  private releaseAcquired(which: (r: InFlight) => boolean): number {
    let released = 0;
    for (const r of this.inFlight.values()) {
      if (r.state === RecordState.Acquired && which(r)) {
        this.makeAvailable(r);
        released++;
      }
    }
    if (released > 0) {
      this.changes++;
      this.advanceStart();
    }
    return released;
  }

  /** The durable state: runs of equal (state, delivery count), acquired records stored as available. */
  persisted(): PersistedShareState {
    const batches: PersistedShareState['batches'] = [];
    for (let o = this.start; o < this.end; o++) {
      const r = this.inFlight.get(o);
      if (r === undefined) continue;
      const deliveryState = r.state === RecordState.Acquired ? RecordState.Available : r.state;
      const prev = batches[batches.length - 1];
      if (prev && prev.lastOffset === o - 1 && prev.deliveryState === deliveryState && prev.deliveryCount === r.deliveryCount) prev.lastOffset = o;
      else batches.push({ firstOffset: o, lastOffset: o, deliveryState, deliveryCount: r.deliveryCount });
    }
    return { startOffset: this.start, batches };
  }

  /** AlterShareGroupOffsets-like reset: forgets every in-flight record and starts at `offset`. */
  resetTo(offset: number): void {
    this.inFlight.clear();
    this.start = offset;
    this.end = offset;
    this.changes++;
  }

  // ------------------------------------------------------------------------------ internals

  private firstAcquirable(highWatermark: number): number | null {
    for (let o = this.start; o < this.end; o++) if (this.inFlight.get(o)?.state === RecordState.Available) return o;
    if (this.end < highWatermark && this.inFlight.size < this.settings.maxInFlight) return this.end;
    return null;
  }

  private addNew(state: RecordState): InFlight {
    const r: InFlight = { state, deliveryCount: 0, memberId: null, lockId: 0 };
    this.inFlight.set(this.end, r);
    this.end++;
    return r;
  }

  private lock(r: InFlight, memberId: string, lockId: number): void {
    r.state = RecordState.Acquired;
    r.deliveryCount++;
    r.memberId = memberId;
    r.lockId = lockId;
  }

  private settle(r: InFlight, state: RecordState): void {
    r.state = state;
    r.memberId = null;
    r.lockId = 0;
  }

  private makeAvailable(r: InFlight): void {
    this.settle(r, r.deliveryCount >= this.settings.deliveryCountLimit ? RecordState.Archived : RecordState.Available);
  }

  /** Moves the start past every leading acknowledged or archived record. */
  private advanceStart(): void {
    while (this.start < this.end) {
      const r = this.inFlight.get(this.start);
      if (r !== undefined && r.state !== RecordState.Acknowledged && r.state !== RecordState.Archived) break;
      this.inFlight.delete(this.start);
      this.start++;
    }
  }

  /** The log's start moved past the share-partition's (retention, DeleteRecords): those records are gone. */
  private skipTo(logStartOffset: number): void {
    if (logStartOffset <= this.start) return;
    for (let o = this.start; o < Math.min(logStartOffset, this.end); o++) this.inFlight.delete(o);
    this.start = logStartOffset;
    this.end = Math.max(this.end, logStartOffset);
    this.changes++;
  }

  private rangesOf(offsets: number[]): AcquiredRange[] {
    const ranges: AcquiredRange[] = [];
    for (const o of offsets) {
      const count = (this.inFlight.get(o) as InFlight).deliveryCount;
      const prev = ranges[ranges.length - 1];
      if (prev && prev.lastOffset === o - 1 && prev.deliveryCount === count) prev.lastOffset = o;
      else ranges.push({ firstOffset: o, lastOffset: o, deliveryCount: count });
    }
    return ranges;
  }
}
