/**
 * The aborted transactions of one partition (Kafka's TransactionIndex per segment plus the
 * in-memory list ProducerStateManager keeps): what read_committed fetches must skip. Each entry
 * is (producer id, first offset, last offset = the ABORT marker's offset, last stable offset at
 * the abort), kept in marker order, and persisted in the `<base>.txnindex` file of the segment
 * holding its marker (Kafka's format: producer-state-files.ts). Entries below the log start are
 * dropped with their files once retention removed the segments.
 */
import type { Logger } from '../common/logger.js';
import { type AbortedTxn, appendTxnIndexEntry, readTxnIndexFile, txnIndexFile, writeTxnIndexFile } from './producer-state-files.js';
import { unlinkIfExists } from './fs-util.js';

/** What the index needs of its partition's log. */
export interface AbortedTxnLog {
  readonly dir: string;
  readonly logStartOffset: number;
  readonly logger: Logger;
  segmentBaseOffsets(): readonly number[];
}

export class AbortedTxns {
  /** Ordered by lastOffset (markers are appended in offset order). */
  private list: AbortedTxn[] = [];
  /** Largest lastOffset - firstOffset over `list`, to bound the search for a fetch range. */
  private maxSpan = 0;
  /** Base offsets of the txn index files that exist. */
  private readonly indexBases = new Set<number>();

  constructor(
    private readonly log: AbortedTxnLog,
    private readonly name: string,
  ) {}

  /** Adds an aborted transaction (in marker order); `persist` appends it to its segment's index file too. */
  add(t: AbortedTxn, persist: boolean): void {
    this.list.push(t);
    this.maxSpan = Math.max(this.maxSpan, t.lastOffset - t.firstOffset);
    if (!persist) return;
    const bases = this.log.segmentBaseOffsets();
    let base = bases[0] ?? 0;
    for (const b of bases) if (b <= t.lastOffset) base = b;
    try {
      appendTxnIndexEntry(txnIndexFile(this.log.dir, base), t);
      this.indexBases.add(base);
    } catch (e) {
      this.log.logger.error(`cannot write the aborted transaction index of ${this.name}`, e);
    }
  }

  /** Aborted transactions overlapping [fetchOffset, upperBoundOffset): lastOffset >= fetchOffset and firstOffset < upperBoundOffset. */
  collect(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const list = this.list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as AbortedTxn).lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    const stopAt = upperBoundOffset + this.maxSpan;
    for (let i = lo; i < list.length; i++) {
      const t = list[i] as AbortedTxn;
      if (t.lastOffset > stopAt) break;
      if (t.firstOffset < upperBoundOffset) out.push(t);
    }
    return out;
  }

  all(): readonly AbortedTxn[] {
    return this.list;
  }

  /** Drops entries and index files below the log start (after retention). */
  cleanupBelowLogStart(): void {
    const start = this.log.logStartOffset;
    let drop = 0;
    while (drop < this.list.length && (this.list[drop] as AbortedTxn).lastOffset < start) drop++;
    if (drop > 0) this.list = this.list.slice(drop);
    if (this.indexBases.size === 0) return;
    const bases = new Set(this.log.segmentBaseOffsets());
    for (const b of [...this.indexBases]) {
      if (!bases.has(b) && b < start) {
        unlinkIfExists(txnIndexFile(this.log.dir, b));
        this.indexBases.delete(b);
      }
    }
  }

  /**
   * Loads the entries below `replayFrom` from the index files `bases` (the replay of the log from
   * there adds the rest): files of removed segments are deleted, entries at or past `replayFrom`
   * are cut from their files. Returns where the replay must start: earlier than `replayFrom` when
   * an index file is unreadable (its segment is replayed instead).
   */
  load(bases: readonly number[], replayFrom: number): number {
    const logStart = this.log.logStartOffset;
    const segmentBases = new Set(this.log.segmentBaseOffsets());
    const all: AbortedTxn[] = [];
    for (const base of bases) {
      const path = txnIndexFile(this.log.dir, base);
      if (!segmentBases.has(base) && base < logStart) {
        unlinkIfExists(path);
        continue;
      }
      let entries: AbortedTxn[];
      try {
        entries = readTxnIndexFile(path);
      } catch (e) {
        this.log.logger.warn(`rebuilding from the log: ${e instanceof Error ? e.message : String(e)}`);
        entries = [];
        replayFrom = Math.min(replayFrom, base);
      }
      const kept = entries.filter((t) => t.lastOffset < replayFrom);
      if (kept.length !== entries.length) writeTxnIndexFile(path, kept);
      if (kept.length === 0) unlinkIfExists(path);
      else this.indexBases.add(base);
      for (const t of kept) if (t.lastOffset >= logStart) all.push(t);
    }
    all.sort((a, b) => a.lastOffset - b.lastOffset);
    for (const t of all) this.add(t, false);
    return replayFrom;
  }
}
