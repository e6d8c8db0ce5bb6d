/**
 * What the log manager's parts share (LogManager is built in layers, one file each: this base,
 * log-manager-tasks.ts, log-manager.ts): the hosted logs and the log dir holding each, the
 * per-dir checkpoint files, the options every opened log gets, the log cleaner, and the handling
 * of a failed log dir.
 * Kafka's rule (LogManager, LogDirFailureChannel): an I/O error on a log dir takes that dir offline
 * and its logs with it, the broker keeps serving from the other dirs; a full disk is reported.
 * Samsa's deviations: a failed dir is reported by callback (LogDirFailures) rather than through a
 * channel polled by a handler thread.
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { log as processLog, type Logger } from '../common/logger.js';
import { systemScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import { LogCleaner } from './cleaner/log-cleaner.js';
import { OffsetCheckpointFile } from './checkpoint-file.js';
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT } from './file-names.js';
import { type LogConfig, defaultLogConfig } from './log-config.js';
import type { PartitionLog, PartitionLogOpenOptions } from './partition-log.js';
import type { FutureReplica } from './future-replica-copy.js';
import { StorageErrorLog, isLogDirFailure, storageFailureCode } from './storage-error-log.js';
import { LogDirFailures } from './log-dir-failures.js';
import { type SegmentResourceCache, newSegmentResourceCache } from './segment-cache.js';
import { type DirCheckpoints, logKey } from './log-dirs.js';
import type { LogManagerOptions } from './log-manager-options.js';

/** See log-manager.ts (the class to use). */
export abstract class LogManagerBase {
  readonly logDirs: readonly string[];
  protected readonly defaultConfig: LogConfig;
  protected readonly now: () => number;
  protected readonly opts: LogManagerOptions;
  protected readonly logs = new Map<string, PartitionLog>();
  protected readonly dirOfLog = new Map<string, string>();
  protected readonly checkpoints = new Map<string, DirCheckpoints>();
  protected readonly scheduler: Scheduler;
  /** The open-segment-file bound shared by this manager's logs (log.open.files.max). */
  readonly segmentCache: SegmentResourceCache;
  protected readonly timers: TimerHandle[] = [];
  protected shutDown = false;
  protected readonly unsyncedDirs = new Set<string>();
  /** Compaction of logs whose cleanup.policy includes compact. */
  readonly cleaner: LogCleaner;
  /** Rate-limited reporting of write failures (disk full), shared by appends and checkpoints. */
  readonly storageErrors: StorageErrorLog;
  protected readonly logger: Logger;
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
  protected logOpenOptions(): PartitionLogOpenOptions {
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

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(logKey(topic, partition));
  }


  /** The configured log directory holding a partition's log (undefined when not hosted). */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.dirOfLog.get(logKey(topic, partition));
  }

  allLogs(): Iterable<PartitionLog> {
    return this.logs.values();
  }

  /** The configured spelling of a log's parent dir (a failure names the path the log was opened at). */
  private configuredDir(parent: string): string {
    if (this.logDirs.includes(parent)) return parent;
    const p = resolve(parent);
    return this.logDirs.find((d) => resolve(d) === p) ?? parent;
  }

  protected dirCheckpoints(dir: string): DirCheckpoints {
    return this.checkpoints.get(dir) as DirCheckpoints;
  }

  /** Runs a background task; an I/O failure of `dir` takes it offline, a full disk is reported. */
  protected safely(what: string, task: () => void, dir?: string): void {
    try {
      task();
    } catch (e) {
      this.failed(what, e, dir);
    }
  }

  protected failed(what: string, e: unknown, dir?: string): void {
    if (dir !== undefined && isLogDirFailure(e)) this.dirFailures.report(dir, e);
    else if (storageFailureCode(e) !== undefined) this.storageErrors.failed(what, e);
    else this.logger.error(`${what} failed`, e);
  }
}
