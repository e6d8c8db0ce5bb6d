/**
 * The log cleaner (Kafka's LogCleaner + LogCleanerManager), for logs whose cleanup.policy includes
 * compact. One background task (Node has one thread; the work is cut into slices that yield to the
 * event loop) repeats:
 *
 * 1. Pick the log with the highest dirty ratio — bytes after the cleaner checkpoint over all
 *    cleanable bytes — above min.cleanable.dirty.ratio, or one that must be cleaned now
 *    (max.compaction.lag.ms passed, or a tombstone's delete horizon passed); cleanable-info.ts.
 *    Never cleaned: the active segment, anything at or above the last stable offset / high
 *    watermark, and segments newer than min.compaction.lag.ms.
 * 2. Clean it: a map pass over the dirty range, then a copy pass keeping each key's latest record
 *    (log-compaction.ts, per-batch rules in batch-cleaning.ts).
 * 3. Save the end of the mapped range in `cleaner-offset-checkpoint` (Kafka's format;
 *    cleaner-checkpoints.ts). When nothing needs cleaning the task sleeps log.cleaner.backoff.ms.
 *
 * A log whose cleaning fails (not abandoned) is marked uncleanable until restart, as Kafka marks
 * it. Differences from Kafka: the pending delete horizons are remembered in memory only, so after
 * a restart a log with expired tombstones is cleaned again only once it is dirty enough.
 */
import { log as processLog, type Logger } from '../../common/logger.js';
import { systemScheduler, type Scheduler, type TimerHandle } from '../../common/scheduler.js';
import { defaultCompactionConfig } from '../log-config.js';
import type { PartitionLog } from '../partition-log.js';
import { type CleanableInfo, cleanableInfo } from './cleanable-info.js';
import { type CheckpointedLogs, CleanerCheckpoints } from './cleaner-checkpoints.js';
import { CleanAbortedError, type CleanStats, type CleanerStep, type CompactionHost, compactLog } from './log-compaction.js';
import { OffsetMap } from './offset-map.js';

export { CLEANER_OFFSET_CHECKPOINT } from './cleaner-checkpoints.js';
export type { CleanableInfo } from './cleanable-info.js';

const INT32_MAX = 0x7fffffff;

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

/** The logs the cleaner looks at (the log manager). */
export type CleanerLogSource = CheckpointedLogs;

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
  /** What a cleaning (log-compaction.ts) uses of this cleaner. */
  private readonly compaction: CompactionHost;
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
    this.compaction = {
      ioBufferSize: () => this.opts.ioBufferSize,
      sliceMs: () => this.opts.sliceMs ?? 10,
      stopping: () => this.stopped && this.running,
      onStep: (step, plog) => this.onStep?.(step, plog),
      cleaned: (plog, endOffset, pendingHorizon) => {
        if (Number.isFinite(pendingHorizon)) this.horizons.set(plog, pendingHorizon);
        else this.horizons.delete(plog);
        this.checkpoints.set(plog, endOffset);
      },
    };
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
      const stats = await compactLog(this.compaction, plog, info, this.offsetMap(), this.now());
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
}
