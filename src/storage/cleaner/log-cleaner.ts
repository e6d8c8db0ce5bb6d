/**
 * The log cleaner (Kafka's LogCleaner + LogCleanerManager + Cleaner), for logs whose
 * cleanup.policy includes compact. One background task (Node has one thread; the work is cut into
 * slices that yield to the event loop):
 *
 * 1. Pick the log with the highest dirty ratio — bytes after the cleaner checkpoint over all
 *    cleanable bytes — above min.cleanable.dirty.ratio, or one that must be cleaned now
 *    (max.compaction.lag.ms passed, or a tombstone's delete horizon passed).
 *    Never cleaned: the active segment, anything at or above the last stable offset / high
 *    watermark, and segments newer than min.compaction.lag.ms.
 * 2. Map pass: key hash → latest offset over the dirty range, in a bounded map
 *    (log.cleaner.dedupe.buffer.size). When the map fills up the range ends there; the rest is
 *    cleaned in a later pass.
 * 3. Copy pass: every segment from the start of the log up to the mapped end, in groups whose total
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
 * 4. The end of the mapped range is saved in `cleaner-offset-checkpoint` (Kafka's format;
 *    cleaner-checkpoints.ts).
 *
 * The per-batch rules of steps 2 and 3 are in batch-cleaning.ts.
 *
 * Differences from Kafka: an idempotent producer's last batch is not kept as an empty batch when
 * all its records are superseded (producer state comes from snapshots here); the pending delete
 * horizons are remembered in memory only, so after a restart a log with expired tombstones is
 * cleaned again only once it is dirty enough.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { log as processLog, type Logger } from '../../common/logger.js';
import { systemScheduler, type Scheduler, type TimerHandle } from '../../common/scheduler.js';
import { defaultCompactionConfig } from '../log-config.js';
import type { PartitionLog } from '../partition-log.js';
import type { Segment } from '../segment.js';
import { CleanedFileWriter, SegmentBatchReader } from './batch-io.js';
import { type CopyContext, UNCHANGED, cleanBatch, mapBatch } from './batch-cleaning.js';
import { type CleanableInfo, cleanableInfo } from './cleanable-info.js';
import { type CheckpointedLogs, CleanerCheckpoints } from './cleaner-checkpoints.js';
import { OffsetMap } from './offset-map.js';
import { cleanedFile, swapFile } from './swap-files.js';
import { TxnTracker } from './txn-tracker.js';

export { CLEANER_OFFSET_CHECKPOINT } from './cleaner-checkpoints.js';
export type { CleanableInfo } from './cleanable-info.js';

const INT32_MAX = 0x7fffffff;
/** cleanBatch's answer for a batch kept byte for byte. */

export interface LogCleanerOptions {
  /** log.cleaner.enable */
  enabled: boolean;
  /** log.cleaner.backoff.ms: sleep when no log needs cleaning. */
  backoffMs: number;
  /** log.cleaner.dedupe.buffer.size: memory bound of the offset map. */
  dedupeBufferSize: number;
  /** log.cleaner.io.buffer.size: read chunk and write buffer size. */
  ioBufferSize: number;
  /** Work time before yielding to the event loop (default 10 ms). */
  sliceMs?: number;
}

export const defaultCleanerOptions: Readonly<LogCleanerOptions> = Object.freeze({
  enabled: true,
  backoffMs: 15000,
  dedupeBufferSize: 134217728,
  ioBufferSize: 524288,
});

/** Where the cleaner finds logs. */
/** The logs the cleaner looks at (the log manager). */
export type CleanerLogSource = CheckpointedLogs;


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

export class LogCleaner {
  private opts: LogCleanerOptions;
  private readonly now: () => number;
  private readonly scheduler: Scheduler;
  private readonly checkpoints: CleanerCheckpoints;
  private readonly horizons = new Map<PartitionLog, number>();
  private readonly failed = new WeakSet<PartitionLog>();
  private map: OffsetMap | undefined;
  private running = false;
  private stopped = true;
  private timer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private sliceStart = 0;
  /** Test hook, see CleanerStep. */
  onStep: ((step: CleanerStep, plog: PartitionLog) => void) | undefined;
  /** Totals since start. */
  readonly totals = { cleanings: 0, aborted: 0, failures: 0, bytesRead: 0, bytesWritten: 0 };
  lastStats: CleanStats | undefined;

  constructor(
    private readonly source: CleanerLogSource,
    opts: Partial<LogCleanerOptions> = {},
    /** Time and the backoff timer; a bare function sets only the time (real timers). */
    time: Scheduler | (() => number) = systemScheduler,
    private readonly logger: Logger = processLog,
  ) {
    this.opts = { ...defaultCleanerOptions, ...opts };
    const scheduler = typeof time === 'function' ? systemScheduler : time;
    this.scheduler = scheduler;
    this.now = typeof time === 'function' ? time : () => scheduler.now();
    this.checkpoints = new CleanerCheckpoints(source, logger);
  }

  get options(): Readonly<LogCleanerOptions> {
    return this.opts;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Applies changed settings (dynamic broker config); a changed enable flag starts or stops the task. */
  reconfigure(opts: Partial<LogCleanerOptions>): void {
    const before = this.opts;
    this.opts = { ...this.opts, ...opts };
    if (this.opts.dedupeBufferSize !== before.dedupeBufferSize) this.map = undefined;
    if (this.running && !this.opts.enabled) this.stop();
    else if (!this.running && this.opts.enabled && before.enabled !== this.opts.enabled && !this.stopped) this.start();
    else this.wake?.();
  }

  /** Starts the background task (when log.cleaner.enable). */
  start(): void {
    this.stopped = false;
    if (this.running || !this.opts.enabled) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops the task; an in-progress cleaning is abandoned at its next slice. Resolves when it has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.();
    return this.loopDone;
  }

  /** Forgets a deleted log's checkpoint. */
  forget(plog: PartitionLog): void {
    this.horizons.delete(plog);
    this.checkpoints.forget(plog);
  }

  /** The cleaner checkpoint of a log (first dirty offset), if any. */
  checkpointOf(plog: PartitionLog): number | undefined {
    return this.checkpoints.of(plog);
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && this.opts.enabled) {
        let stats: CleanStats | null = null;
        try {
          stats = await this.cleanOnce();
        } catch (e) {
          this.logger.error('log cleaner round failed', e);
        }
        if (this.stopped || !this.opts.enabled) break;
        if (stats === null) await this.sleep(this.opts.backoffMs);
      }
    } finally {
      this.running = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.timer?.cancel();
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.timer = this.scheduler.schedule(Math.max(1, Math.min(ms, INT32_MAX)), done);
    });
  }

  /** Cleaning state of a compacted log (null when it is not compacted or has nothing cleanable). */
  cleanableInfo(plog: PartitionLog, now: number = this.now()): CleanableInfo | null {
    return cleanableInfo(plog, now, this.checkpointOf(plog), this.horizons.get(plog));
  }

  /** The log most in need of cleaning, if any. */
  dirtiest(now: number = this.now()): { plog: PartitionLog; info: CleanableInfo } | null {
    let best: { plog: PartitionLog; info: CleanableInfo } | null = null;
    for (const plog of this.source.allLogs()) {
      if (this.failed.has(plog)) continue;
      let info: CleanableInfo | null;
      try {
        info = this.cleanableInfo(plog, now);
      } catch (e) {
        this.logger.warn(`cannot compute the dirty ratio of ${plog.topic}-${plog.partition}`, e);
        continue;
      }
      if (info === null) continue;
      const minRatio = plog.config.minCleanableDirtyRatio ?? defaultCompactionConfig.minCleanableDirtyRatio;
      if (!info.mustClean && !(info.dirtyBytes > 0 && info.ratio > minRatio)) continue;
      if (best === null || (info.mustClean && !best.info.mustClean) || (info.mustClean === best.info.mustClean && info.ratio > best.info.ratio)) best = { plog, info };
    }
    return best;
  }

  /** Cleans the dirtiest log, if one needs it. Returns its stats, or null when nothing was cleaned. */
  async cleanOnce(): Promise<CleanStats | null> {
    const now = this.now();
    const pick = this.dirtiest(now);
    if (pick === null) return null;
    return this.cleanLog(pick.plog, pick.info);
  }

  /** Cleans one log now (whatever its dirty ratio when `info` is omitted). Null when aborted or failed. */
  async cleanLog(plog: PartitionLog, info: CleanableInfo | null = this.cleanableInfo(plog)): Promise<CleanStats | null> {
    if (info === null) return null;
    try {
      const stats = await this.doClean(plog, info);
      this.totals.cleanings++;
      this.totals.bytesRead += stats.bytesRead;
      this.totals.bytesWritten += stats.bytesWritten;
      this.lastStats = stats;
      this.logger.debug(
        `cleaned ${stats.topic}-${stats.partition} [${stats.firstDirty}, ${stats.endOffset}): ${stats.recordsRetained}/${stats.recordsRead} records kept, ` +
          `${stats.bytesRead} -> ${stats.bytesWritten} bytes, ${stats.segmentsBefore} -> ${stats.segmentsAfter} segments in ${stats.durationMs.toFixed(0)} ms`,
      );
      return stats;
    } catch (e) {
      if (e instanceof CleanAbortedError) {
        this.totals.aborted++;
        this.logger.debug(`cleaning of ${plog.topic}-${plog.partition} abandoned: ${e.message}`);
        return null;
      }
      this.totals.failures++;
      this.failed.add(plog);
      this.logger.error(`cleaning of ${plog.topic}-${plog.partition} failed; the log is marked uncleanable until restart`, e);
      return null;
    }
  }

  private offsetMap(): OffsetMap {
    this.map ??= new OffsetMap(this.opts.dedupeBufferSize);
    this.map.clear();
    return this.map;
  }

  /** Runs the test hook of a step; when it throws (a simulated crash) files are left as they are. */
  private step(step: CleanerStep, plog: PartitionLog, onCrash: () => void): void {
    if (this.onStep === undefined) return;
    try {
      this.onStep(step, plog);
    } catch (e) {
      onCrash();
      throw e;
    }
  }

  private async maybeYield(plog: PartitionLog, generation: number): Promise<void> {
    if (performance.now() - this.sliceStart < (this.opts.sliceMs ?? 10)) return;
    await yieldToEventLoop();
    this.sliceStart = performance.now();
    this.checkStillValid(plog, generation);
  }

  private checkStillValid(plog: PartitionLog, generation: number): void {
    if (this.stopped && this.running) throw new CleanAbortedError('the cleaner is stopping');
    if (plog.isClosed) throw new CleanAbortedError('the log was closed');
    if (plog.generation !== generation) throw new CleanAbortedError('the log was truncated');
  }

  private async doClean(plog: PartitionLog, info: CleanableInfo): Promise<CleanStats> {
    const started = performance.now();
    this.sliceStart = started;
    const now = this.now();
    const generation = plog.generation;
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
    const map = this.offsetMap();
    const endOffset = await this.buildOffsetMap(plog, info, map, generation, stats);
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
    const ctx: CopyContext = { map, tracker, now, deleteRetentionMs, stats, pendingHorizon: Number.POSITIVE_INFINITY, changed: false, endOffset };
    // Groups are formed as Kafka's groupSegmentsBySize does, except that the segments already
    // copied count with their cleaned size: the next segment joins while its whole (uncleaned)
    // size still fits segment.bytes and its offsets fit 32-bit relative offsets.
    let i = 0;
    while (i < toClean.length) {
      this.checkStillValid(plog, generation);
      const group: Segment[] = [toClean[i] as Segment];
      const base = (group[0] as Segment).baseOffset;
      const writer = new CleanedFileWriter(cleanedFile(plog.dir, base), this.opts.ioBufferSize);
      let keepFiles = false;
      ctx.changed = false;
      try {
        await this.copySegment(plog, group[0] as Segment, writer, ctx, generation);
        i++;
        while (i < toClean.length) {
          const s = toClean[i] as Segment;
          if (writer.size + s.size > cfg.segmentBytes || (nextBase.get(s) as number) - 1 - base > INT32_MAX) break;
          await this.copySegment(plog, s, writer, ctx, generation);
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
        this.step('cleaned-written', plog, () => (keepFiles = true));
        this.checkStillValid(plog, generation);
        keepFiles = plog.replaceWithCleaned(group, writer.path, swapFile(plog.dir, base, end), () => this.step('swap-committed', plog, () => {}));
        if (!keepFiles) throw new CleanAbortedError('segments changed during cleaning');
      } finally {
        if (!keepFiles) writer.discard();
      }
    }
    const pendingHorizon = ctx.pendingHorizon;
    if (Number.isFinite(pendingHorizon)) this.horizons.set(plog, pendingHorizon);
    else this.horizons.delete(plog);

    this.checkpoints.set(plog, endOffset);
    stats.segmentsAfter = plog.segmentCount();
    stats.durationMs = performance.now() - started;
    return stats;
  }

  /** Fills `map` from the dirty range; returns the end (exclusive) of what was mapped. */
  private async buildOffsetMap(plog: PartitionLog, info: CleanableInfo, map: OffsetMap, generation: number, stats: CleanStats): Promise<number> {
    const { firstDirty, dirtyEnd } = info;
    if (dirtyEnd <= firstDirty) return firstDirty;
    const hooks = plog.cleanerHooks;
    const tracker = new TxnTracker(hooks !== undefined ? hooks.abortedTxns(firstDirty, dirtyEnd) : []);
    const segs = [...plog.segmentList];
    let end = firstDirty;
    for (let i = 0; i + 1 < segs.length; i++) {
      const seg = segs[i] as Segment;
      const next = segs[i + 1] as Segment;
      if (next.baseOffset <= firstDirty) continue;
      if (seg.baseOffset >= dirtyEnd) break;
      const reader = new SegmentBatchReader(seg, this.opts.ioBufferSize, true);
      for (let v = reader.next(); v !== null; v = reader.next()) {
        if (v.lastOffset < firstDirty) continue;
        if (v.baseOffset >= dirtyEnd) break;
        if (!mapBatch(v, tracker, map, firstDirty)) {
          stats.bytesRead += reader.bytesRead;
          return end;
        }
        end = v.lastOffset + 1;
        await this.maybeYield(plog, generation);
      }
      stats.bytesRead += reader.bytesRead;
      end = Math.max(end, Math.min(next.baseOffset, dirtyEnd));
    }
    return Math.max(end, dirtyEnd);
  }

  private async copySegment(plog: PartitionLog, seg: Segment, writer: CleanedFileWriter, ctx: CopyContext, generation: number): Promise<void> {
    const reader = new SegmentBatchReader(seg, this.opts.ioBufferSize, true);
    for (let v = reader.next(); v !== null; v = reader.next()) {
      const out = cleanBatch(v, ctx);
      if (out === UNCHANGED) {
        writer.write(Buffer.from(v.buf.subarray(v.pos, v.pos + v.size)));
      } else {
        ctx.changed = true;
        if (out !== null) writer.write(out);
      }
      await this.maybeYield(plog, generation);
    }
    ctx.stats.bytesRead += reader.bytesRead;
  }
}
