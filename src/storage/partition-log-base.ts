/**
 * The state every part of a partition's log shares (PartitionLog is built in layers, one file each:
 * this base, partition-log-appends.ts, partition-log-truncation.ts, partition-log.ts): the fields,
 * the watermark accessors, shutdown, and the mapping of fs failures to LogDirFailureError.
 * Kafka's rule (UnifiedLog/LocalLog): the high watermark stays within [logStartOffset, logEndOffset];
 * everything below the recovery point is durable; an I/O error on a log dir takes the dir offline.
 * Samsa's deviations: one class instead of Kafka's UnifiedLog over LocalLog (the layers share fields
 * through inheritance so the append and read paths add no call or object per batch); the log dir is
 * reported failed to the log manager through a callback rather than a LogDirFailureChannel.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../common/clock.js';
import { log as processLog, type Logger } from '../common/logger.js';
import { systemScheduler, type Scheduler } from '../common/scheduler.js';
import { CorruptIndexError, CorruptRecordError, LogDirFailureError } from '../common/errors.js';
import { KafkaError } from '../common/kafka-error.js';
import { LogClosedError } from './errors.js';
import { isLogDirFailure } from './storage-error-log.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import type { LogConfig } from './log-config.js';
import type { LogSegments } from './log-segments.js';
import type { Segment, SegmentSettings } from './segment.js';
import { newSegmentResourceCache } from './segment-cache.js';
import type { PartitionLogOpenOptions } from './partition-log-options.js';


/**
 * What the log cleaner needs from the layers above storage (set by the broker for each partition):
 * Kafka cleans only below the last stable offset, and drops data of aborted transactions.
 */
export interface CleanerHooks {
  /** The last stable offset: the first offset of the oldest open transaction, else the high watermark. */
  stableOffset(): number;
  /** Aborted transactions (data from firstOffset, ABORT marker at lastOffset) overlapping [from, to). */
  abortedTxns(from: number, to: number): readonly { producerId: bigint; firstOffset: number; lastOffset: number }[];
}

/** See partition-log.ts (the class to use). */
export abstract class PartitionLogBase {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly leaderEpochs: LeaderEpochCache;
  protected _config: LogConfig;
  protected readonly settings: SegmentSettings;
  protected readonly now: () => number;
  protected readonly scheduler: Scheduler;
  /** The time this log runs on (for state kept beside it, e.g. producer state). */
  readonly clock: Clock;
  /** Where this log (and state kept beside it, e.g. producer state) logs. */
  readonly logger: Logger;
  protected segments!: LogSegments;
  protected _logStartOffset = 0;
  protected _logEndOffset = 0;
  protected _highWatermark = 0;
  protected _recoveryPoint = 0;
  protected unflushedMessages = 0;
  protected lastFlushTime: number;
  /** Bumped by truncations so that a background flush started before one cannot advance the recovery point. */
  protected truncations = 0;
  /** Something was written or truncated since the last flush(). */
  protected dirty = false;
  protected closed = false;
  protected readonly onLogDirFailure: ((e: LogDirFailureError) => void) | undefined;
  protected readonly onFlush: ((ms: number) => void) | undefined;
  /** Set by the broker when the partition opens; without it the cleaner stops at the high watermark. */
  cleanerHooks: CleanerHooks | undefined;
  /** See takeNamesAtLoad. */
  protected namesAtLoad: { names: readonly string[]; start: number; end: number } | null = null;

  protected constructor(dir: string, topic: string, partition: number, config: LogConfig, opts: PartitionLogOpenOptions) {
    this.dir = dir;
    this.topic = topic;
    this.partition = partition;
    this._config = config;
    this.scheduler = opts.scheduler ?? systemScheduler;
    const scheduler = this.scheduler;
    this.now = opts.now ?? (() => scheduler.now());
    const now = this.now;
    this.clock = { now: () => now() };
    this.logger = opts.logger ?? processLog;
    this.onLogDirFailure = opts.onLogDirFailure;
    this.onFlush = opts.onFlush;
    this.settings = { indexIntervalBytes: config.indexIntervalBytes, maxIndexSize: config.segmentIndexBytes, cache: opts.cache ?? newSegmentResourceCache(), readPool: opts.readPool };
    this.lastFlushTime = this.now();
    this.leaderEpochs = new LeaderEpochCache(dir, () => this._logEndOffset);
  }

  get config(): LogConfig {
    return this._config;
  }

  set config(c: LogConfig) {
    this._config = c;
    this.settings.indexIntervalBytes = c.indexIntervalBytes;
    this.settings.maxIndexSize = c.segmentIndexBytes;
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }

  get logEndOffset(): number {
    return this._logEndOffset;
  }

  get highWatermark(): number {
    return this._highWatermark;
  }

  /** Clamped to [logStartOffset, logEndOffset]. */
  set highWatermark(v: number) {
    this._highWatermark = Math.min(Math.max(v, this._logStartOffset), this._logEndOffset);
  }

  /** Everything below this offset has been fsynced. */
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }

  /** The log directory holding this partition's directory. */
  get parentDir(): string {
    return dirname(this.dir);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  size(): number {
    return this.segments.size;
  }

  segmentCount(): number {
    return this.segments.count;
  }

  /** The live segment list, oldest first, the active one last (the cleaner reads it; never mutate). */
  get segmentList(): readonly Segment[] {
    return this.segments.all;
  }

  /** Changes whenever the log is truncated (a cleaning planned before then is abandoned). */
  get generation(): number {
    return this.truncations;
  }

  /** Base offsets of all segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.all.map((s) => s.baseOffset);
  }

  // ---------------------------------------------------------------- shutdown

  /** Persists indexes and closes all files (no fsync: call flush() first for durability). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.segments.closeAll();
    } catch (e) {
      throw this.storageError(e);
    }
  }

  /** Closes the log and removes its directory. */
  delete(): void {
    try {
      this.close();
    } catch {
      // deleting anyway
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * An I/O error met by state kept beside this log (producer snapshots): when it means the log dir
   * failed, the log manager is told (as for the log's own files) and true is returned.
   */
  reportIoFailure(e: unknown): boolean {
    if (!isLogDirFailure(e)) return false;
    this.onLogDirFailure?.(new LogDirFailureError(this.parentDir, `I/O error on ${this.topic}-${this.partition}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    return true;
  }

  protected checkOpen(): void {
    if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition}`);
  }

  /** fs failures become LogDirFailureError; typed errors pass through. */
  protected storageError(e: unknown): Error {
    if (e instanceof KafkaError || e instanceof CorruptRecordError || e instanceof CorruptIndexError || e instanceof LogDirFailureError) return e;
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') {
      const failure = new LogDirFailureError(this.parentDir, `I/O error on ${this.topic}-${this.partition}: ${e.message}`, { cause: e });
      if (isLogDirFailure(e)) this.onLogDirFailure?.(failure);
      return failure;
    }
    return e instanceof Error ? e : new Error(String(e));
  }
}
