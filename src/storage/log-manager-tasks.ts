/**
 * The log manager's background work and shutdown (a layer of LogManager, see log-manager-base.ts):
 * retention, time-based flushes, the per-dir checkpoint files (recovery points, high watermarks,
 * log start offsets) and the clean-shutdown marker.
 * Kafka's rule (LogManager): retention runs every log.retention.check.interval.ms, the recovery
 * point and log start offset checkpoints every log.flush.offset.checkpoint.interval.ms, the high
 * watermark checkpoint every replica.high.watermark.checkpoint.interval.ms; a clean shutdown
 * flushes every log, writes the checkpoints and then the clean-shutdown marker, whose absence at
 * the next start means the logs past their recovery points are rescanned (here no marker is
 * written when closing a log failed).
 * Samsa's deviations: the periodic checkpoints are written off the event loop
 * (background-file-writer.ts), and only when their contents changed; the high watermark checkpoint
 * is the log manager's (Kafka's ReplicaManager writes it); above checkpointSlicePartitions logs
 * their contents are built in slices between other work (sliced-checkpoint.ts).
 */
import { join } from 'node:path';
import { scheduleRepeating } from '../common/scheduler.js';
import type { OffsetCheckpointFile, TopicPartitionOffset } from './checkpoint-file.js';
import { CLEAN_SHUTDOWN_FILE } from './file-names.js';
import { atomicWriteFile } from './fs-util.js';
import { BackgroundFileWriter } from './background-file-writer.js';
import { renderInSlices, SLICE_PARTITIONS, type SlicedPass } from './sliced-checkpoint.js';
import type { PartitionLog } from './partition-log.js';
import { type DirCheckpoints, writeIfChanged, writeInBackgroundIfChanged, writeRenderedInBackgroundIfChanged } from './log-dirs.js';
import { LogManagerBase } from './log-manager-base.js';

/** See log-manager.ts (the class to use). */
export abstract class LogManagerTasks extends LogManagerBase {
  /** The sliced checkpoint pass under way (many partitions), and the synchronous checkpoints written (a pass started before one is dropped). */
  private slicedPass: SlicedPass | null = null;
  private slicedNext: (() => void) | null = null;
  private syncCheckpoints = 0;

  /** Retention, time-based flush and periodic checkpoints. Timers are unref()'d. */
  startBackgroundTasks(): void {
    if (this.timers.length > 0 || this.shutDown) return;
    const every = (ms: number, task: () => void): void => {
      this.timers.push(scheduleRepeating(this.scheduler, ms, task));
    };
    every(this.opts.retentionCheckIntervalMs ?? 300000, () => this.runRetention());
    every(this.opts.flushCheckIntervalMs ?? 1000, () => this.runTimeFlush());
    // The periodic checkpoints are written off the event loop (background-file-writer.ts), as
    // Kafka's scheduler threads write them off its request path.
    every(this.opts.checkpointIntervalMs ?? 60000, () => {
      if (this.logs.size > this.sliceSize) {
        this.checkpointInSlices([(cp) => cp.recoveryPoints, (cp) => cp.highWatermarks, (cp) => cp.logStartOffsets], [(l) => l.recoveryPoint, (l) => l.highWatermark, (l) => l.logStartOffset]);
        return;
      }
      for (const dir of this.onlineDirs) this.safely(`checkpoint of ${dir}`, () => this.checkpointDirInBackground(dir), dir);
    });
    every(this.opts.highWatermarkCheckpointIntervalMs ?? 5000, () => this.checkpointHighWatermarks());
    this.cleaner.start();
  }

  /** One retention pass over all logs; returns segments deleted. */
  runRetention(): number {
    const now = this.now();
    let deleted = 0;
    for (const plog of this.logs.values()) {
      try {
        deleted += plog.applyRetention(now);
      } catch (e) {
        this.logger.error(`retention failed for ${plog.topic}-${plog.partition}`, e);
      }
    }
    return deleted;
  }

  private runTimeFlush(): void {
    const now = this.now();
    for (const plog of this.logs.values()) {
      try {
        plog.maybeFlushByTime(now);
      } catch (e) {
        this.logger.error(`flush failed for ${plog.topic}-${plog.partition}`, e);
      }
    }
  }

  /** Writes recovery points, high watermarks and log start offsets of every log dir. */
  checkpointAll(): void {
    for (const dir of this.onlineDirs) this.checkpointDir(dir);
  }

  private checkpointHighWatermarks(): void {
    // Many partitions: the content is built in slices between other work (sliced-checkpoint.ts).
    if (this.logs.size > this.sliceSize) {
      this.checkpointHighWatermarksInSlices();
      return;
    }
    for (const dir of this.onlineDirs) {
      this.safely(`high watermark checkpoint of ${dir}`, () => {
        const cp = this.dirCheckpoints(dir);
        writeInBackgroundIfChanged(cp, cp.highWatermarks, this.entriesFor(dir, (l) => l.highWatermark), this.backgroundWriter(dir, cp.highWatermarks));
      }, dir);
    }
  }

  private checkpointHighWatermarksInSlices(): void {
    this.checkpointInSlices([(cp) => cp.highWatermarks], [(l) => l.highWatermark]);
  }

  /**
   * Background checkpoints of every online dir whose content is built in slices
   * (sliced-checkpoint.ts); skipped while the previous sliced pass is still going.
   */
  private checkpointInSlices(files: ((cp: DirCheckpoints) => OffsetCheckpointFile)[], values: ((l: PartitionLog) => number)[]): void {
    if (this.shutDown) return;
    if (this.slicedPass !== null) {
      // The 60 s pass (several files) waits for the one under way; another high watermark pass is not needed.
      if (files.length > 1) this.slicedNext = () => this.checkpointInSlices(files, values);
      return;
    }
    const syncWrites = this.syncCheckpoints;
    this.slicedPass = renderInSlices(
      this.logs,
      (key) => this.dirOfLog.get(key),
      files.length,
      (l, dir, f) => (files[f] as (cp: DirCheckpoints) => OffsetCheckpointFile)(this.dirCheckpoints(dir)).line({ topic: l.topic, partition: l.partition, offset: (values[f] as (l: PartitionLog) => number)(l) }),
      () => this.shutDown || this.syncCheckpoints !== syncWrites,
      (byDir) => {
        this.slicedPass = null;
        const next = this.slicedNext;
        this.slicedNext = null;
        if (next !== null) setImmediate(next);
        if (byDir === null) return; // a synchronous checkpoint (or shutdown) came meanwhile
        for (const dir of this.onlineDirs) {
          this.safely(`checkpoint of ${dir}`, () => {
            const cp = this.dirCheckpoints(dir);
            files.forEach((fileOf, f) => {
              const file = fileOf(cp);
              writeRenderedInBackgroundIfChanged(cp, file, file.renderLines(byDir.get(dir)?.[f] ?? []), this.backgroundWriter(dir, file));
            });
          }, dir);
        }
      },
      this.sliceSize,
    );
  }

  /** Logs per slice of the sliced checkpoints, and the count above which they are sliced. */
  private get sliceSize(): number {
    return this.opts.checkpointSlicePartitions ?? SLICE_PARTITIONS;
  }

  private checkpointDirInBackground(dir: string): void {
    const cp = this.dirCheckpoints(dir);
    writeInBackgroundIfChanged(cp, cp.recoveryPoints, this.entriesFor(dir, (l) => l.recoveryPoint), this.backgroundWriter(dir, cp.recoveryPoints));
    writeInBackgroundIfChanged(cp, cp.highWatermarks, this.entriesFor(dir, (l) => l.highWatermark), this.backgroundWriter(dir, cp.highWatermarks));
    writeInBackgroundIfChanged(cp, cp.logStartOffsets, this.entriesFor(dir, (l) => l.logStartOffset), this.backgroundWriter(dir, cp.logStartOffsets));
  }

  /** The background writer of one checkpoint file: its outcome is recorded as a synchronous write's would be. */
  private backgroundWriter(dir: string, file: OffsetCheckpointFile): BackgroundFileWriter {
    const cp = this.dirCheckpoints(dir);
    let writer = cp.writers.get(file.path);
    if (writer === undefined) {
      writer = new BackgroundFileWriter(file.path, (err, content) => {
        if (err === null) cp.written.set(file.path, content);
        else if (!this.shutDown && !this.dirFailures.isOffline(dir)) this.failed(`checkpoint ${file.path}`, err, dir);
      });
      cp.writers.set(file.path, writer);
    }
    return writer;
  }

  /** Resolves once no checkpoint is being written in the background (the broker waits for it when it stops). */
  async backgroundWritesDone(): Promise<void> {
    for (;;) {
      const busy = [...this.checkpoints.values()].flatMap((cp) => [...cp.writers.values()]).filter((w) => w.busy);
      if (busy.length === 0) return;
      await Promise.all(busy.map((w) => w.idle()));
    }
  }

  protected checkpointDir(dir: string): void {
    this.syncCheckpoints++;
    const cp = this.dirCheckpoints(dir);
    writeIfChanged(cp, cp.recoveryPoints, this.entriesFor(dir, (l) => l.recoveryPoint));
    writeIfChanged(cp, cp.highWatermarks, this.entriesFor(dir, (l) => l.highWatermark));
    writeIfChanged(cp, cp.logStartOffsets, this.entriesFor(dir, (l) => l.logStartOffset));
  }

  private entriesFor(dir: string, value: (l: PartitionLog) => number): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const [key, plog] of this.logs) {
      if (this.dirOfLog.get(key) === dir) out.push({ topic: plog.topic, partition: plog.partition, offset: value(plog) });
    }
    return out;
  }

  /** Flushes and closes every log, writes checkpoints and the clean-shutdown marker, stops timers. */
  shutdown(): void {
    if (this.shutDown) return;
    this.shutDown = true;
    this.slicedPass?.cancel();
    this.slicedPass = null;
    this.slicedNext = null;
    void this.cleaner.stop();
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
    let failed = false;
    for (const plog of this.logs.values()) {
      try {
        if (!plog.isClosed) {
          plog.flush();
          plog.close();
        }
      } catch (e) {
        failed = true;
        this.logger.error(`error shutting down log ${plog.topic}-${plog.partition}`, e);
      }
    }
    for (const dir of this.onlineDirs) {
      try {
        this.checkpointDir(dir);
        if (!failed) atomicWriteFile(join(dir, CLEAN_SHUTDOWN_FILE), '');
      } catch (e) {
        this.logger.error(`error writing checkpoints to ${dir}`, e);
      }
    }
  }
}
