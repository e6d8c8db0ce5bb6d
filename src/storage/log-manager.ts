/**
 * Owns every PartitionLog across the configured log directories: loading (with recovery after an
 * unclean shutdown), creation, deletion, the root checkpoint files, the clean-shutdown marker and
 * the background retention / flush / checkpoint / log cleaner tasks.
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { log as processLog, type Logger } from '../common/logger.js';
import { scheduleRepeating, systemScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import { LogCleaner, type LogCleanerOptions } from './cleaner/log-cleaner.js';
import { OffsetCheckpointFile, type TopicPartitionOffset } from './checkpoint-file.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  partitionDirName,
} from './file-names.js';
import { atomicWriteFile, fsyncDir } from './fs-util.js';
import { BackgroundFileWriter } from './background-file-writer.js';
import { renderInSlices, SLICE_PARTITIONS, type SlicedPass } from './sliced-checkpoint.js';
import { type LogConfig, defaultLogConfig } from './log-config.js';
import { PartitionLog, type PartitionLogOpenOptions } from './partition-log.js';
import type { FutureReplica } from './future-replica-copy.js';
import { loadLogDir } from './log-loading.js';
import { writePartitionMetadata } from './partition-metadata.js';
import { StorageErrorLog, isLogDirFailure, storageFailureCode } from './storage-error-log.js';
import { LogDirFailures } from './log-dir-failures.js';
import { LogDirFailureError } from '../common/errors.js';
import { type SegmentResourceCache, newSegmentResourceCache } from './segment-cache.js';
import type { BufferPool } from '../common/buffer-pool.js';
import {
  type DeletedLogDir,
  type DirCheckpoints,
  type ExpectedTopicId,
  logKey,
  moveDir,
  removeDeletedDirs,
  removeQuietly,
  renameForDeletion,
  writeIfChanged,
  writeInBackgroundIfChanged,
  writeRenderedInBackgroundIfChanged,
} from './log-dirs.js';

export type { DeletedLogDir, ExpectedTopicId } from './log-dirs.js';
import type { LogDirUsage, LogManagerOptions } from './log-manager-options.js';

export type { LogDirUsage, LogManagerOptions } from './log-manager-options.js';

export class LogManager {
  readonly logDirs: readonly string[];
  private readonly defaultConfig: LogConfig;
  private readonly now: () => number;
  private readonly opts: LogManagerOptions;
  private readonly logs = new Map<string, PartitionLog>();
  private readonly dirOfLog = new Map<string, string>();
  private readonly checkpoints = new Map<string, DirCheckpoints>();
  private readonly scheduler: Scheduler;
  /** The open-segment-file bound shared by this manager's logs (log.open.files.max). */
  readonly segmentCache: SegmentResourceCache;
  private readonly timers: TimerHandle[] = [];
  private shutDown = false;
  private readonly unsyncedDirs = new Set<string>();
  /** Compaction of logs whose cleanup.policy includes compact. */
  readonly cleaner: LogCleaner;
  /** Rate-limited reporting of write failures (disk full), shared by appends and checkpoints. */
  readonly storageErrors: StorageErrorLog;
  private readonly logger: Logger;
  /** Failed (offline) log dirs; their logs are closed and left out of everything here. */
  readonly dirFailures: LogDirFailures;

  constructor(opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('LogManager needs at least one log directory');
    this.opts = opts;
    this.logger = opts.logger ?? processLog;
    this.logDirs = [...opts.logDirs];
    this.defaultConfig = opts.defaultConfig ?? defaultLogConfig;
    const scheduler = opts.scheduler ?? systemScheduler;
    this.scheduler = scheduler;
    this.now = opts.now ?? (() => scheduler.now());
    this.segmentCache = opts.cache ?? newSegmentResourceCache();
    for (const d of this.logDirs) {
      if (opts.failedDirs?.has(d) === true) continue;
      fs.mkdirSync(d, { recursive: true });
      this.checkpoints.set(d, {
        recoveryPoints: new OffsetCheckpointFile(join(d, RECOVERY_POINT_CHECKPOINT)),
        highWatermarks: new OffsetCheckpointFile(join(d, REPLICATION_OFFSET_CHECKPOINT)),
        logStartOffsets: new OffsetCheckpointFile(join(d, LOG_START_OFFSET_CHECKPOINT)),
        written: new Map(),
        writers: new Map(),
      });
    }
    this.cleaner = new LogCleaner(this, opts.cleaner ?? {}, opts.now === undefined ? scheduler : { now: this.now, schedule: (ms, fn) => scheduler.schedule(ms, fn) }, this.logger);
    this.storageErrors = new StorageErrorLog(this.now, undefined, this.logger);
    this.dirFailures = new LogDirFailures(this.logger, (dir) => this.closeDir(dir));
    for (const [d, cause] of opts.failedDirs ?? []) this.dirFailures.fail(d, cause);
  }

  /**
   * Future replicas being filled for a move to another log dir (AlterReplicaLogDirs with a
   * throttle), by partition directory name; shown by DescribeLogDirs with isFuture.
   */
  readonly futureReplicas = new Map<string, FutureReplica>();

  /** The sliced checkpoint pass under way (many partitions), and the synchronous checkpoints written (a pass started before one is dropped). */
  private slicedPass: SlicedPass | null = null;
  private slicedNext: (() => void) | null = null;
  private syncCheckpoints = 0;

  /** shutdown() was called. */
  get isShutDown(): boolean {
    return this.shutDown;
  }

  /** The log dirs that have not failed. */
  get onlineDirs(): string[] {
    return this.logDirs.filter((d) => !this.dirFailures.isOffline(d));
  }

  /** Closes and forgets the logs of a failed dir (no flush: the dir is not touched again). */
  private closeDir(dir: string): void {
    for (const [key, plog] of [...this.logs]) {
      if (this.dirOfLog.get(key) !== dir) continue;
      this.logs.delete(key);
      this.dirOfLog.delete(key);
      this.cleaner.forget(plog);
      try {
        plog.close();
      } catch {
        // its files are failing anyway
      }
    }
  }

  /** What every log opened here shares: time, timers, the segment file bound and the read pool. */
  private logOpenOptions(): PartitionLogOpenOptions {
    const o: PartitionLogOpenOptions = {
      scheduler: this.scheduler,
      now: this.now,
      cache: this.segmentCache,
      logger: this.logger,
      onLogDirFailure: (e) => this.dirFailures.report(this.configuredDir(e.logDir), e),
    };
    if (this.opts.readPool !== undefined) o.readPool = this.opts.readPool;
    if (this.opts.onFlush !== undefined) o.onFlush = this.opts.onFlush;
    return o;
  }

  /** Changes log.cleaner.* settings at runtime (also before start). */
  configureCleaner(opts: Partial<LogCleanerOptions>): void {
    this.cleaner.reconfigure(opts);
  }

  /**
   * Loads every partition directory (log-loading.ts). Without a clean-shutdown marker, segments after each
   * partition's recovery point are rescanned. The marker is removed once loading is done.
   * `-delete` directories are removed, never loaded. With `expectedTopicId` (the metadata), a
   * directory whose topic or partition is not in the metadata, or whose partition.metadata names
   * another topic id (a deleted topic's leftover), is renamed to `-delete` and removed instead of
   * loaded; a directory without partition.metadata is adopted by the topic of its name.
   */
  loadAll(configFor: (topic: string) => LogConfig, expectedTopicId?: ExpectedTopicId): PartitionLog[] {
    const loaded: PartitionLog[] = [];
    for (const dir of this.onlineDirs) {
      const load = { dir, checkpoints: this.dirCheckpoints(dir), entries: () => this.listDirOrFail(dir), logs: this.logs, dirOfLog: this.dirOfLog, openOptions: () => this.logOpenOptions(), failures: this.dirFailures, logger: this.logger };
      loadLogDir(load, loaded, configFor, expectedTopicId);
    }
    return loaded;
  }

  /** The entries of a log dir; none when reading it fails for a disk failure (the dir goes offline). */
  private listDirOrFail(dir: string): fs.Dirent[] {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (!isLogDirFailure(e)) throw e;
      this.dirFailures.fail(dir, e);
      return [];
    }
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(logKey(topic, partition));
  }

  /**
   * Creates a partition log in the log directory holding the fewest partitions; with `syncDir` false
   * the caller batches the directory fsync (syncNewLogDirs). With `topicId`, the directory's
   * partition.metadata records it before any segment is created. When making the directory or its
   * files fails, the directory is removed (if this call made it) before the error is rethrown.
   */
  createLog(topic: string, partition: number, config: LogConfig, syncDir = true, topicId?: string): PartitionLog {
    const key = logKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing !== undefined) return existing;
    const dir = this.leastLoadedDir();
    const path = join(dir, partitionDirName(topic, partition));
    const existed = fs.existsSync(path);
    let plog: PartitionLog;
    try {
      if (topicId !== undefined) {
        fs.mkdirSync(path, { recursive: true });
        writePartitionMetadata(path, topicId);
      }
      plog = PartitionLog.open(path, topic, partition, config, { ...this.logOpenOptions() });
    } catch (e) {
      // Only what this call made goes (never a file or directory that was in the way).
      if (!existed) removeQuietly(path, this.logger);
      throw e;
    }
    if (syncDir) fsyncDir(dir);
    else this.unsyncedDirs.add(dir);
    this.logs.set(key, plog);
    this.dirOfLog.set(key, dir);
    return plog;
  }

  /**
   * Undoes createLog for a topic whose creation failed (nothing was ever written to it): closes the
   * log and removes its directory at once. A missing log is a no-op.
   */
  abandonNewLog(topic: string, partition: number): void {
    const key = logKey(topic, partition);
    const plog = this.logs.get(key);
    if (plog === undefined) return;
    this.logs.delete(key);
    this.dirOfLog.delete(key);
    try {
      plog.close();
    } catch {
      // removed below anyway
    }
    removeQuietly(plog.dir, this.logger);
  }

  /**
   * Start-up: removes loaded logs that `keep` rejects (directories of topics that are not in the
   * metadata, e.g. left by a crash between a topic's directory creation and its metadata write).
   * Returns how many were removed.
   */
  removeStrayLogs(keep: (topic: string, partition: number) => boolean): number {
    let removed = 0;
    for (const plog of [...this.logs.values()]) {
      if (keep(plog.topic, plog.partition)) continue;
      this.logger.warn(`removing stray log ${plog.dir}: its topic is not in the metadata`);
      this.deleteLog(plog.topic, plog.partition);
      removed++;
    }
    return removed;
  }

  /** Closes the log, renames its directory to `<topic>-<p>.<uuid>-delete` and removes it in the background. */
  deleteLog(topic: string, partition: number): void {
    this.removeDeleted(this.markForDeletion([{ topic, partition }]));
  }

  /**
   * The first step of deleting partitions (Kafka's asyncDelete): closes their logs and renames
   * their directories to `<topic>-<p>.<uuid>-delete`, fsyncing the parent directories, so that
   * after a crash from here on they are never loaded again. The caller then removes the topic
   * from the metadata and calls removeDeleted.
   */
  markForDeletion(partitions: readonly { topic: string; partition: number }[]): DeletedLogDir[] {
    const out: DeletedLogDir[] = [];
    const parents = new Set<string>();
    for (const { topic, partition } of partitions) {
      const key = logKey(topic, partition);
      const plog = this.logs.get(key);
      if (plog === undefined) continue;
      this.logs.delete(key);
      const dir = this.dirOfLog.get(key) as string;
      this.dirOfLog.delete(key);
      this.cleaner.forget(plog);
      try {
        plog.close();
      } catch (e) {
        this.logger.warn(`error closing deleted log ${topic}-${partition}`, e);
      }
      out.push(renameForDeletion(dir, plog.dir, topic, partition, this.logger));
      parents.add(dir);
    }
    for (const dir of parents) fsyncDir(dir);
    for (const dir of parents) this.safely(`checkpoint of ${dir}`, () => this.checkpointDir(dir), dir);
    return out;
  }

  /** Removes directories marked by markForDeletion, off the event loop. */
  removeDeleted(dirs: readonly DeletedLogDir[]): void {
    removeDeletedDirs(dirs, this.logger);
  }

  /** The configured log directory holding a partition's log (undefined when not hosted). */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.dirOfLog.get(logKey(topic, partition));
  }

  /**
   * Moves a partition's log to another configured log directory (AlterReplicaLogDirs) and returns
   * the reopened log; the caller must stop using the old PartitionLog. Kafka copies into a future
   * replica in the background and swaps; a single node moves the closed directory in one step
   * (a rename, or a copy then delete across filesystems), so the move is done when this returns.
   * `place` moves the closed directory to the target (a throttled move passes one that completes
   * its future replica and renames that instead).
   */
  moveLog(topic: string, partition: number, destDir: string, config: LogConfig, place: (source: string, target: string) => void = moveDir): PartitionLog {
    const key = logKey(topic, partition);
    const plog = this.logs.get(key);
    const from = this.dirOfLog.get(key);
    if (plog === undefined || from === undefined) throw new Error(`no log for ${topic}-${partition}`);
    if (!this.logDirs.includes(destDir)) throw new Error(`${destDir} is not a configured log directory`);
    if (this.dirFailures.isOffline(destDir)) throw new LogDirFailureError(destDir, `log directory ${destDir} is offline`);
    if (from === destDir) return plog;
    const state = { highWatermark: plog.highWatermark, logStartOffset: plog.logStartOffset, recoveryPoint: plog.logEndOffset };
    this.cleaner.forget(plog);
    plog.flush();
    plog.close();
    const target = join(destDir, partitionDirName(topic, partition));
    let moved: PartitionLog;
    try {
      fs.rmSync(target, { recursive: true, force: true });
      place(plog.dir, target);
      fsyncDir(destDir);
      fsyncDir(from);
      moved = PartitionLog.open(target, topic, partition, config, { ...this.logOpenOptions(), ...state });
    } catch (e) {
      // Nothing moved (or the copy failed): keep serving the partition from where it was.
      if (fs.existsSync(plog.dir)) {
        this.logs.set(key, PartitionLog.open(plog.dir, topic, partition, config, { ...this.logOpenOptions(), ...state }));
        fs.rmSync(target, { recursive: true, force: true });
      }
      throw e;
    }
    this.logs.set(key, moved);
    this.dirOfLog.set(key, destDir);
    this.checkpointDir(from);
    this.checkpointDir(destDir);
    return moved;
  }

  allLogs(): Iterable<PartitionLog> {
    return this.logs.values();
  }

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

  /** The configured spelling of a log's parent dir (a failure names the path the log was opened at). */
  private configuredDir(parent: string): string {
    if (this.logDirs.includes(parent)) return parent;
    const p = resolve(parent);
    return this.logDirs.find((d) => resolve(d) === p) ?? parent;
  }

  private checkpointDir(dir: string): void {
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

  /** Per log dir: partitions with their sizes, and the filesystem's capacity (DescribeLogDirs). */
  logDirUsage(): LogDirUsage[] {
    return this.logDirs.map((dir) => {
      const usage: LogDirUsage = { dir, offline: this.dirFailures.isOffline(dir), partitions: [] };
      if (usage.offline) return usage;
      for (const [key, plog] of this.logs) {
        if (this.dirOfLog.get(key) === dir) usage.partitions.push({ topic: plog.topic, partition: plog.partition, size: plog.size() });
      }
      try {
        const st = fs.statfsSync(dir);
        usage.totalBytes = st.blocks * st.bsize;
        usage.usableBytes = st.bavail * st.bsize;
      } catch {
        // capacity unknown
      }
      return usage;
    });
  }

  /** fsyncs the log dirs that got new partition directories through createLog(..., false). */
  syncNewLogDirs(): void {
    for (const d of this.unsyncedDirs) fsyncDir(d);
    this.unsyncedDirs.clear();
  }

  private leastLoadedDir(): string {
    const online = this.onlineDirs;
    if (online.length === 0) throw new LogDirFailureError(this.logDirs[0] as string, `every log directory has failed (${this.logDirs.join(', ')})`);
    if (online.length === 1) return online[0] as string;
    const counts = new Map<string, number>(online.map((d) => [d, 0]));
    for (const d of this.dirOfLog.values()) if (counts.has(d)) counts.set(d, (counts.get(d) as number) + 1);
    let best = online[0] as string;
    for (const d of online) if ((counts.get(d) as number) < (counts.get(best) as number)) best = d;
    return best;
  }

  private dirCheckpoints(dir: string): DirCheckpoints {
    return this.checkpoints.get(dir) as DirCheckpoints;
  }

  /** Runs a background task; an I/O failure of `dir` takes it offline, a full disk is reported. */
  private safely(what: string, task: () => void, dir?: string): void {
    try {
      task();
    } catch (e) {
      this.failed(what, e, dir);
    }
  }

  private failed(what: string, e: unknown, dir?: string): void {
    if (dir !== undefined && isLogDirFailure(e)) this.dirFailures.report(dir, e);
    else if (storageFailureCode(e) !== undefined) this.storageErrors.failed(what, e);
    else this.logger.error(`${what} failed`, e);
  }
}
