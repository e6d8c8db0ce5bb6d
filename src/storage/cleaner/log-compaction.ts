/**
 * One cleaning of one compacted log (Kafka's Cleaner.doClean), over the dirty range log-cleaner.ts
 * picked (cleanable-info.ts), in slices that yield to the event loop:
 *
 * 1. Map pass: key hash → latest offset over the dirty range, in a bounded map
 *    (log.cleaner.dedupe.buffer.size). When the map fills up the range ends there; the rest is
 *    cleaned in a later pass.
 * 2. Copy pass: every segment from the start of the log up to the mapped end, in groups whose total
 *    size fits segment.bytes, is rewritten keeping a record only when no newer record has its key.
 *    Batches keep their base offset, so offsets never change (gaps appear). Untouched batches are
 *    copied byte for byte; partly kept ones are rebuilt with their codec.
 *    - Keyless records are dropped (Kafka does too; Produce rejects them for compacted topics).
 *    - Tombstones (null value) and transaction markers get a delete horizon (now +
 *      delete.retention.ms, stored in the batch as Kafka's KIP-534 does: DELETE_HORIZON attribute
 *      bit, baseTimestamp = horizon) the first time they are cleaned, and are dropped by the first
 *      cleaning after it.
 *    - Data of aborted transactions (from the partition's aborted-transaction list) is dropped; a
 *      COMMIT/ABORT marker is kept while any batch of its transaction remains.
 *    - Each group is swapped in crash-safely (see swap-files.ts).
 * The per-batch rules of both passes are in batch-cleaning.ts. A log that is closed or truncated
 * meanwhile, or a cleaner that stops, abandons the cleaning (CleanAbortedError) with the log as it
 * was or with the groups swapped so far, each complete.
 *
 * Difference from Kafka: an idempotent producer's last batch is not kept as an empty batch when all
 * its records are superseded (producer state comes from snapshots here).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { defaultCompactionConfig } from '../log-config.js';
import type { PartitionLog } from '../partition-log.js';
import type { Segment } from '../segment.js';
import { CleanedFileWriter, SegmentBatchReader } from './batch-io.js';
import { type CopyContext, UNCHANGED, cleanBatch, mapBatch } from './batch-cleaning.js';
import type { CleanableInfo } from './cleanable-info.js';
import type { OffsetMap } from './offset-map.js';
import { cleanedFile, swapFile } from './swap-files.js';
import { TxnTracker } from './txn-tracker.js';

const INT32_MAX = 0x7fffffff;

export interface CleanStats {
  topic: string;
  partition: number;
  firstDirty: number;
  /** End of the mapped range (the new checkpoint). */
  endOffset: number;
  mapEntries: number;
  segmentsBefore: number;
  segmentsAfter: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsRetained: number;
  durationMs: number;
}

/** Test hook: called at each step of a group's swap; throwing simulates a crash there. */
export type CleanerStep = 'cleaned-written' | 'swap-committed';

/** The cleaning of one log stopped because the log changed, was closed or the cleaner stopped. */
export class CleanAbortedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CleanAbortedError';
  }
}

/** What a cleaning uses of the cleaner (log-cleaner.ts). */
export interface CompactionHost {
  /** log.cleaner.io.buffer.size (read chunk and write buffer size), read as the cleaning goes. */
  ioBufferSize(): number;
  /** Work time before yielding to the event loop. */
  sliceMs(): number;
  /** Whether the cleaner is stopping: the cleaning is abandoned at its next slice. */
  stopping(): boolean;
  /** The cleaner's test hook (see CleanerStep), if set. */
  onStep(step: CleanerStep, plog: PartitionLog): void;
  /** The cleaning is done: records the log's new checkpoint and its earliest pending delete horizon (Infinity: none). */
  cleaned(plog: PartitionLog, endOffset: number, pendingHorizon: number): void;
}

/** Cleans `plog` over `info`'s dirty range with the (cleared) `map`, at time `now`. Rejects with CleanAbortedError when abandoned. */
export function compactLog(host: CompactionHost, plog: PartitionLog, info: CleanableInfo, map: OffsetMap, now: number): Promise<CleanStats> {
  return new LogCompaction(host, plog, map, now).run(info);
}

class LogCompaction {
  private readonly generation: number;
  private sliceStart = 0;

  constructor(
    private readonly host: CompactionHost,
    private readonly plog: PartitionLog,
    private readonly map: OffsetMap,
    private readonly now: number,
  ) {
    this.generation = plog.generation;
  }

  /** Runs the test hook of a step; when it throws (a simulated crash) files are left as they are. */
  private step(step: CleanerStep, onCrash: () => void): void {
    try {
      this.host.onStep(step, this.plog);
    } catch (e) {
      onCrash();
      throw e;
    }
  }

  private async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStart < this.host.sliceMs()) return;
    await yieldToEventLoop();
    this.sliceStart = performance.now();
    this.checkStillValid();
  }

  private checkStillValid(): void {
    if (this.host.stopping()) throw new CleanAbortedError('the cleaner is stopping');
    if (this.plog.isClosed) throw new CleanAbortedError('the log was closed');
    if (this.plog.generation !== this.generation) throw new CleanAbortedError('the log was truncated');
  }

  async run(info: CleanableInfo): Promise<CleanStats> {
    const plog = this.plog;
    const started = performance.now();
    this.sliceStart = started;
    const cfg = plog.config;
    const deleteRetentionMs = cfg.deleteRetentionMs ?? defaultCompactionConfig.deleteRetentionMs;
    const hooks = plog.cleanerHooks;
    const segmentsBefore = plog.segmentCount();
    const stats: CleanStats = {
      topic: plog.topic,
      partition: plog.partition,
      firstDirty: info.firstDirty,
      endOffset: info.firstDirty,
      mapEntries: 0,
      segmentsBefore,
      segmentsAfter: segmentsBefore,
      bytesRead: 0,
      bytesWritten: 0,
      recordsRead: 0,
      recordsRetained: 0,
      durationMs: 0,
    };

    // ---- pass 1: key -> latest offset over [firstDirty, dirtyEnd)
    const map = this.map;
    const endOffset = await this.buildOffsetMap(info, stats);
    stats.endOffset = endOffset;
    stats.mapEntries = map.size;

    // ---- pass 2: rewrite [log start, endOffset) in groups
    const cleanUpTo = Math.min(endOffset, Math.max(info.dirtyEnd, info.firstDirty));
    const segs = plog.segmentList;
    const active = segs[segs.length - 1] as Segment;
    const toClean: Segment[] = [];
    const nextBase = new Map<Segment, number>();
    for (let i = 0; i + 1 < segs.length; i++) {
      const s = segs[i] as Segment;
      if (s === active || s.baseOffset >= cleanUpTo || (segs[i + 1] as Segment).baseOffset > info.dirtyEnd) break;
      toClean.push(s);
      nextBase.set(s, (segs[i + 1] as Segment).baseOffset);
    }
    const first = toClean[0];
    const tracker = new TxnTracker(hooks !== undefined && first !== undefined ? hooks.abortedTxns(first.baseOffset, endOffset) : []);
    const ctx: CopyContext = { map, tracker, now: this.now, deleteRetentionMs, stats, pendingHorizon: Number.POSITIVE_INFINITY, changed: false, endOffset };
    // Groups are formed as Kafka's groupSegmentsBySize does, except that the segments already
    // copied count with their cleaned size: the next segment joins while its whole (uncleaned)
    // size still fits segment.bytes and its offsets fit 32-bit relative offsets.
    let i = 0;
    while (i < toClean.length) {
      this.checkStillValid();
      const group: Segment[] = [toClean[i] as Segment];
      const base = (group[0] as Segment).baseOffset;
      const writer = new CleanedFileWriter(cleanedFile(plog.dir, base), this.host.ioBufferSize());
      let keepFiles = false;
      ctx.changed = false;
      try {
        await this.copySegment(group[0] as Segment, writer, ctx);
        i++;
        while (i < toClean.length) {
          const s = toClean[i] as Segment;
          if (writer.size + s.size > cfg.segmentBytes || (nextBase.get(s) as number) - 1 - base > INT32_MAX) break;
          await this.copySegment(s, writer, ctx);
          group.push(s);
          i++;
        }
        const end = nextBase.get(group[group.length - 1] as Segment) as number;
        if (group.length === 1 && !ctx.changed) {
          // Every batch would be copied unchanged: keep the segment as it is (saves the swap's fsyncs).
          stats.bytesWritten += writer.size;
          continue;
        }
        await writer.finish();
        stats.bytesWritten += writer.size;
        this.step('cleaned-written', () => (keepFiles = true));
        this.checkStillValid();
        keepFiles = plog.replaceWithCleaned(group, writer.path, swapFile(plog.dir, base, end), () => this.step('swap-committed', () => {}));
        if (!keepFiles) throw new CleanAbortedError('segments changed during cleaning');
      } finally {
        if (!keepFiles) writer.discard();
      }
    }
    this.host.cleaned(plog, endOffset, ctx.pendingHorizon);
    stats.segmentsAfter = plog.segmentCount();
    stats.durationMs = performance.now() - started;
    return stats;
  }

  /** Fills the map from the dirty range; returns the end (exclusive) of what was mapped. */
  private async buildOffsetMap(info: CleanableInfo, stats: CleanStats): Promise<number> {
    const { firstDirty, dirtyEnd } = info;
    if (dirtyEnd <= firstDirty) return firstDirty;
    const hooks = this.plog.cleanerHooks;
    const tracker = new TxnTracker(hooks !== undefined ? hooks.abortedTxns(firstDirty, dirtyEnd) : []);
    const segs = [...this.plog.segmentList];
    let end = firstDirty;
    for (let i = 0; i + 1 < segs.length; i++) {
      const seg = segs[i] as Segment;
      const next = segs[i + 1] as Segment;
      if (next.baseOffset <= firstDirty) continue;
      if (seg.baseOffset >= dirtyEnd) break;
      const reader = new SegmentBatchReader(seg, this.host.ioBufferSize(), true);
      for (let v = reader.next(); v !== null; v = reader.next()) {
        if (v.lastOffset < firstDirty) continue;
        if (v.baseOffset >= dirtyEnd) break;
        if (!mapBatch(v, tracker, this.map, firstDirty)) {
          stats.bytesRead += reader.bytesRead;
          return end;
        }
        end = v.lastOffset + 1;
        await this.maybeYield();
      }
      stats.bytesRead += reader.bytesRead;
      end = Math.max(end, Math.min(next.baseOffset, dirtyEnd));
    }
    return Math.max(end, dirtyEnd);
  }

  private async copySegment(seg: Segment, writer: CleanedFileWriter, ctx: CopyContext): Promise<void> {
    const reader = new SegmentBatchReader(seg, this.host.ioBufferSize(), true);
    for (let v = reader.next(); v !== null; v = reader.next()) {
      const out = cleanBatch(v, ctx);
      if (out === UNCHANGED) {
        writer.write(Buffer.from(v.buf.subarray(v.pos, v.pos + v.size)));
      } else {
        ctx.changed = true;
        if (out !== null) writer.write(out);
      }
      await this.maybeYield();
    }
    ctx.stats.bytesRead += reader.bytesRead;
  }
}
