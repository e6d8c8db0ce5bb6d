/**
 * The durable log of one partition: an ordered list of segments, the last one active. Appends
 * are per batch set (one write of the received bytes), reads return whole batches in one buffer.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../common/clock.js';
import { MIN_REGION_BYTES, registerFileRegion } from '../common/file-region.js';
import { log as processLog, type Logger } from '../common/logger.js';
import { systemScheduler, type Scheduler } from '../common/scheduler.js';
import { logFile } from './file-names.js';
import { fsyncDir } from './fs-util.js';
import { CorruptIndexError, CorruptRecordError, LogDirFailureError } from '../common/errors.js';
import { KafkaError } from '../common/kafka-error.js';
import { type AppendResult, analyzeFollowerBatches, assignOffsetsAsLeader } from './batch-assign.js';
import { LogClosedError, OffsetOutOfRangeError } from './errors.js';
import { isLogDirFailure } from './storage-error-log.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import type { LogConfig } from './log-config.js';
import { loadSegments } from './log-loader.js';
import { LogSegments } from './log-segments.js';
import { activateOrRecover } from './recovery.js';
import { planRetention } from './retention.js';
import { EMPTY_BUFFER, Segment, type SegmentSettings } from './segment.js';
import { newSegmentResourceCache } from './segment-cache.js';

export type { AppendResult } from './batch-assign.js';
export { OffsetOutOfRangeError } from './errors.js';
export type { PartitionLogOpenOptions } from './partition-log-options.js';
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

export interface ReadResult {
  records: Buffer;
  firstBatchOffset: number;
  /** A zero-copy read's placeholder (read(..., true)): the offset after its last batch. */
  nextOffset?: number;
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly leaderEpochs: LeaderEpochCache;
  private _config: LogConfig;
  private readonly settings: SegmentSettings;
  private readonly now: () => number;
  private readonly scheduler: Scheduler;
  /** The time this log runs on (for state kept beside it, e.g. producer state). */
  readonly clock: Clock;
  /** Where this log (and state kept beside it, e.g. producer state) logs. */
  readonly logger: Logger;
  private segments!: LogSegments;
  private _logStartOffset = 0;
  private _logEndOffset = 0;
  private _highWatermark = 0;
  private _recoveryPoint = 0;
  private unflushedMessages = 0;
  private lastFlushTime: number;
  /** Bumped by truncations so that a background flush started before one cannot advance the recovery point. */
  private truncations = 0;
  /** Something was written or truncated since the last flush(). */
  private dirty = false;
  private closed = false;
  private readonly onLogDirFailure: ((e: LogDirFailureError) => void) | undefined;
  private readonly onFlush: ((ms: number) => void) | undefined;
  /** Set by the broker when the partition opens; without it the cleaner stops at the high watermark. */
  cleanerHooks: CleanerHooks | undefined;
  /** See takeNamesAtLoad. */
  private namesAtLoad: { names: readonly string[]; start: number; end: number } | null = null;

  private constructor(dir: string, topic: string, partition: number, config: LogConfig, opts: PartitionLogOpenOptions) {
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

  /** Loads the partition directory (creating it if needed), recovering when asked or when the tail is malformed. */
  static open(dir: string, topic: string, partition: number, config: LogConfig, opts: PartitionLogOpenOptions = {}): PartitionLog {
    if (opts.existingDir !== true) fs.mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(dir, topic, partition, config, opts);
    const loaded = loadSegments(dir, log.settings, log.now(), log.leaderEpochs, {
      recover: opts.recover === true,
      recoveryPoint: opts.recoveryPoint ?? 0,
      initialOffset: Math.max(0, opts.logStartOffset ?? 0),
      ...(opts.cleanShutdown === true && opts.recover !== true && opts.recoveryPoint !== undefined ? { cleanLogEndOffset: opts.recoveryPoint } : {}),
      logger: log.logger,
    });
    log.segments = new LogSegments(loaded.segments, log.scheduler);
    const leo = log.segments.last.nextOffset;
    const first = log.segments.first.baseOffset;
    log._logEndOffset = leo;
    log._logStartOffset = Math.min(Math.max(opts.logStartOffset ?? first, first), leo);
    log.leaderEpochs.truncateFromEndAtLoad(leo);
    log.leaderEpochs.truncateFromStart(log._logStartOffset);
    log.highWatermark = opts.highWatermark ?? log._logStartOffset;
    log._recoveryPoint = Math.min(opts.recoveryPoint ?? (loaded.recovered ? 0 : leo), leo);
    // Recovered segments are made durable in the background; the recovery point follows.
    if (loaded.recovered && log._recoveryPoint < leo) log.flushInBackground(leo);
    if (loaded.names !== null) log.namesAtLoad = { names: loaded.names, start: log._logStartOffset, end: leo };
    return log;
  }

  /**
   * The directory's entries listed at load, once, while the log is unchanged since (no append,
   * truncation or retention): the producer state's loading uses them instead of a second listing.
   */
  takeNamesAtLoad(): readonly string[] | null {
    const at = this.namesAtLoad;
    this.namesAtLoad = null;
    return at !== null && at.start === this._logStartOffset && at.end === this._logEndOffset && this.truncations === 0 ? at.names : null;
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

  /**
   * The cleaner's swap of `old` (contiguous inactive segments) for the cleaned file `cleanedPath`:
   * when `old` is still in place, `cleanedPath` is renamed to `swapPath` (the commit point: a crash
   * from here on finishes the swap at load), the old segments go to `*.deleted`, the swap file
   * becomes `<base>.log`, and its indexes are built and fsynced. Returns false when the log changed
   * meanwhile (nothing done; the caller removes `cleanedPath`).
   */
  replaceWithCleaned(old: readonly Segment[], cleanedPath: string, swapPath: string, beforeInstall?: () => void): boolean {
    this.checkOpen();
    const first = old[0];
    const last = old[old.length - 1];
    if (first === undefined || last === undefined) return false;
    const base = first.baseOffset;
    const nextBase = this.segments.at(this.segments.all.indexOf(last) + 1)?.baseOffset ?? Number.MAX_SAFE_INTEGER;
    try {
      return this.segments.replace(
        old,
        () => {
          fs.renameSync(cleanedPath, swapPath);
          fsyncDir(this.dir);
        },
        () => {
          beforeInstall?.();
          const path = logFile(this.dir, base);
          fs.renameSync(swapPath, path);
          fsyncDir(this.dir);
          const seg = Segment.openExisting(this.dir, base, fs.statSync(path).size, this.settings, this.now());
          seg.recover(false, nextBase);
          // The log file was fsynced before the commit; the rebuilt indexes are flushed off the
          // event loop (a torn index is detected and rebuilt at load).
          seg.flushAsync((err) => {
            if (err !== null) this.logger.warn(`cannot fsync the indexes of cleaned segment ${path}`, err);
          });
          return seg;
        },
        this._config.fileDeleteDelayMs,
      );
    } catch (e) {
      throw this.storageError(e);
    }
  }

  /** Base offsets of all segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.all.map((s) => s.baseOffset);
  }

  // ---------------------------------------------------------------- appends

  /**
   * Leader append: `buf` holds one or more validated v2 batches. Assigns offsets in place, stamps
   * `leaderEpoch` (and LogAppendTime when configured), rolls if needed, writes once.
   */
  appendAsLeader(buf: Buffer, leaderEpoch: number): AppendResult {
    this.checkOpen();
    this.prepareActive();
    const now = this.now();
    const logAppendTime = this._config.messageTimestampType === 'LogAppendTime' ? now : -1;
    const info = assignOffsetsAsLeader(buf, this._logEndOffset, leaderEpoch, logAppendTime);
    if (buf.length === 0) return info;
    this.appendToSegment(buf, info, now);
    if (leaderEpoch >= 0) this.leaderEpochs.assign(leaderEpoch, info.firstOffset);
    this.maybeFlush(now);
    return info;
  }

  /** Follower/recovery append: offsets already assigned, first must be >= logEndOffset. */
  appendAsFollower(buf: Buffer): AppendResult {
    this.checkOpen();
    this.prepareActive();
    const now = this.now();
    let epochStarts: number[] | undefined;
    const info = analyzeFollowerBatches(buf, this._logEndOffset, (epoch, baseOffset) => {
      if (epoch >= 0 && epoch > this.leaderEpochs.latestEpoch()) (epochStarts ??= []).push(epoch, baseOffset);
    });
    if (buf.length === 0) return info;
    this.appendToSegment(buf, info, now);
    if (epochStarts !== undefined) {
      for (let i = 0; i < epochStarts.length; i += 2) this.leaderEpochs.assign(epochStarts[i] as number, epochStarts[i + 1] as number);
    }
    this.maybeFlush(now);
    return info;
  }

  /**
   * The active segment, its deferred activation completed. Should its real end differ from the
   * checkpointed one (files changed behind the broker's back), the log end follows the files.
   */
  private prepareActive(): void {
    if (!this.segments.last.activationPending) return;
    try {
      this.activeSegment();
    } catch (e) {
      throw this.storageError(e);
    }
  }

  private activeSegment(): Segment {
    const seg = this.segments.last;
    if (!seg.activationPending) return seg;
    const before = seg.size;
    seg.ensureActivated();
    this.segments.grew(seg.size - before);
    if (seg.nextOffset !== this._logEndOffset) {
      this.logger.warn(`log end offset of ${this.topic}-${this.partition} is ${seg.nextOffset} on disk, not the checkpointed ${this._logEndOffset}`);
      this._logEndOffset = seg.nextOffset;
      this._highWatermark = Math.min(this._highWatermark, this._logEndOffset);
      this._recoveryPoint = Math.min(this._recoveryPoint, this._logEndOffset);
    }
    return seg;
  }

  private appendToSegment(buf: Buffer, info: AppendResult, now: number): void {
    if (this.leaderEpochs.hasPendingWrite) this.leaderEpochs.writePending();
    try {
      let seg = this.segments.last;
      if (seg.shouldRoll(buf.length, info.maxTimestamp, info.lastOffset, now, this._config.segmentBytes, this._config.segmentMs)) {
        seg = this.rollAt(info.firstOffset);
      }
      seg.append(buf, info.lastOffset);
    } catch (e) {
      throw this.storageError(e);
    }
    this.segments.grew(buf.length);
    this.dirty = true;
    this._logEndOffset = info.lastOffset + 1;
    this.unflushedMessages += info.recordCount;
  }

  private maybeFlush(now: number): void {
    if (this.unflushedMessages >= this._config.flushIntervalMessages || now - this.lastFlushTime >= this._config.flushIntervalMs) this.flush();
  }

  /** Time-based flush check (called periodically by the LogManager). */
  maybeFlushByTime(now: number): void {
    if (!this.closed && this.unflushedMessages > 0 && now - this.lastFlushTime >= this._config.flushIntervalMs) this.flush();
  }

  roll(): void {
    this.checkOpen();
    this.prepareActive();
    try {
      this.rollAt(this._logEndOffset);
    } catch (e) {
      throw this.storageError(e);
    }
  }

  /** New active segment at `baseOffset`; the previous one is sealed and fsynced in the background. */
  private rollAt(baseOffset: number): Segment {
    const old = this.segments.last;
    if (old.size === 0) {
      if (old.baseOffset === baseOffset) return old;
      this.segments.dropLastEmpty();
    } else {
      old.deactivate();
    }
    const seg = Segment.create(this.dir, baseOffset, this.settings, this.now());
    this.segments.add(seg);
    if (old.size > 0) this.flushInBackground(baseOffset);
    return seg;
  }

  /** fsync segments [recoveryPoint, upTo) off the event loop, then advance the recovery point. */
  private flushInBackground(upTo: number): void {
    const toFlush: Segment[] = [];
    for (let i = this.segments.floorIndex(this._recoveryPoint); i < this.segments.count; i++) {
      const s = this.segments.at(i) as Segment;
      if (s.baseOffset >= upTo) break;
      toFlush.push(s);
    }
    const generation = this.truncations;
    let pending = toFlush.length;
    let failed = false;
    const started = performance.now();
    for (const s of toFlush) {
      s.flushAsync((err) => {
        if (err !== null) failed = true;
        if (--pending > 0 || failed) return;
        this.onFlush?.(performance.now() - started);
        if (this.closed || generation !== this.truncations) return;
        this._recoveryPoint = Math.max(this._recoveryPoint, Math.min(upTo, this._logEndOffset));
      });
    }
  }

  /** fsync everything not yet durable; the recovery point becomes the log end offset. */
  flush(): void {
    this.checkOpen();
    if (!this.dirty && this._recoveryPoint >= this._logEndOffset) {
      this.lastFlushTime = this.now();
      return;
    }
    const started = performance.now();
    try {
      for (let i = this.segments.floorIndex(this._recoveryPoint); i < this.segments.count; i++) (this.segments.at(i) as Segment).flushSync();
    } catch (e) {
      throw this.storageError(e);
    }
    this.onFlush?.(performance.now() - started);
    this._recoveryPoint = this._logEndOffset;
    this.unflushedMessages = 0;
    this.dirty = false;
    this.lastFlushTime = this.now();
  }

  // ---------------------------------------------------------------- reads

  /**
   * Whole batches starting from the batch containing fetchOffset, up to maxBytes (one whole batch
   * regardless when minOneMessage), never reaching maxOffset (exclusive). Reads stay within one
   * segment, like Kafka. Throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   * `zeroCopy`: the records may be a placeholder whose bytes are not read (readRegion; only for a
   * Fetch answer that goes to a connection as it is, see src/common/file-region.ts).
   */
  read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean, zeroCopy = false): ReadResult {
    this.checkOpen();
    if (fetchOffset < this._logStartOffset || fetchOffset > this._logEndOffset) {
      throw new OffsetOutOfRangeError(
        `Received request for offset ${fetchOffset} for partition ${this.topic}-${this.partition}, but we only have log segments in the range ${this._logStartOffset} to ${this._logEndOffset}.`,
      );
    }
    const limit = Math.min(maxOffset, this._logEndOffset);
    if (fetchOffset >= limit) return { records: EMPTY_BUFFER, firstBatchOffset: fetchOffset };
    try {
      for (let i = this.segments.floorIndex(fetchOffset); i < this.segments.count; i++) {
        if (zeroCopy) {
          const r = this.readRegion(i, fetchOffset, maxBytes, limit);
          if (r !== null) return r;
        }
        const r = (this.segments.at(i) as Segment).read(fetchOffset, maxBytes, limit, minOneMessage);
        if (r !== null) return { records: r.records, firstBatchOffset: r.firstBatchOffset };
      }
    } catch (e) {
      throw this.storageError(e);
    }
    return { records: EMPTY_BUFFER, firstBatchOffset: fetchOffset };
  }

  /**
   * read()'s zero-copy answer from segment `i` (docs/zero-copy.md): a placeholder standing for
   * whole batches of the rest of the segment below `limit` (up to `maxBytes`), when they can be
   * found without reading them (Segment.tailRegion); null otherwise.
   * The region fails at send time if the log was truncated or closed, or the segment left it.
   */
  private readRegion(i: number, fetchOffset: number, maxBytes: number, limit: number): ReadResult | null {
    const seg = this.segments.at(i) as Segment;
    const end = i + 1 < this.segments.count ? (this.segments.at(i + 1) as Segment).baseOffset : this._logEndOffset;
    if (end <= fetchOffset) return null;
    const at = seg.tailRegion(fetchOffset, MIN_REGION_BYTES, maxBytes, end, limit);
    if (at === null) return null;
    const pool = this.settings.readPool;
    const records = pool === undefined ? Buffer.allocUnsafe(at.length) : pool.take(at.length);
    const generation = this.truncations;
    const { position, length } = at;
    registerFileRegion(records, {
      position,
      fd: () => {
        if (this.closed || generation !== this.truncations || this.segments.at(this.segments.floorIndex(seg.baseOffset)) !== seg || seg.size < position + length) {
          throw new Error(`${this.topic}-${this.partition}: the log changed since the read of ${length} bytes at ${position}`);
        }
        return seg.sendFd();
      },
    });
    return { records, firstBatchOffset: at.firstBatchOffset, nextOffset: at.nextOffset };
  }

  /**
   * ListOffsets by timestamp: the first record (at or after logStartOffset) whose timestamp >= ts,
   * with its timestamp. The segment and batch are found from batch max timestamps and the time
   * index; the record inside the batch (see record-timestamps.ts).
   */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    this.checkOpen();
    try {
      for (let i = this.segments.floorIndex(this._logStartOffset); i < this.segments.count; i++) {
        const seg = this.segments.at(i) as Segment;
        if (seg.maxTimestampSoFar() < ts) continue;
        const r = seg.findOffsetByTimestamp(ts, this._logStartOffset);
        if (r !== null) return r;
      }
    } catch (e) {
      throw this.storageError(e);
    }
    return null;
  }

  /**
   * ListOffsets MAX_TIMESTAMP: the first record carrying the largest timestamp, in the first
   * segment holding it, as Kafka (which does not clamp it to logStartOffset either).
   */
  maxTimestampAndOffset(): { offset: number; timestamp: number } | null {
    this.checkOpen();
    try {
      let best: Segment | null = null;
      for (let i = this.segments.floorIndex(this._logStartOffset); i < this.segments.count; i++) {
        const seg = this.segments.at(i) as Segment;
        const ts = seg.maxTimestampSoFar();
        if (ts >= 0 && (best === null || ts > best.maxTimestampSoFar())) best = seg;
      }
      return best === null ? null : best.findMaxTimestampRecord();
    } catch (e) {
      throw this.storageError(e);
    }
  }

  // ---------------------------------------------------------------- truncation & deletion

  /** Drops every batch with an offset >= `offset` (a batch straddling it goes entirely). */
  truncateTo(offset: number): void {
    this.checkOpen();
    if (offset < 0) throw new OffsetOutOfRangeError(`cannot truncate ${this.topic}-${this.partition} to negative offset ${offset}`);
    this.prepareActive();
    if (offset >= this._logEndOffset) {
      // Nothing to cut, but an epoch entry at the log end goes (Kafka does the same): a broker that
      // became leader (which records its epoch's start) and was replaced before appending anything
      // would otherwise keep asking its new leader about that empty epoch and never finish truncating.
      this.leaderEpochs.truncateFromEnd(this._logEndOffset);
      return;
    }
    if (offset < this._logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    this.truncations++;
    this.dirty = true;
    try {
      const idx = this.segments.floorIndex(offset);
      this.segments.deleteFrom(idx + 1, this._config.fileDeleteDelayMs);
      const target = this.segments.last;
      if (!target.active) {
        const before = target.size;
        activateOrRecover(this.segments.mutable, target, this.leaderEpochs, this.logger);
        this.segments.grew(target.size - before);
      }
      this.segments.grew(-target.truncateTo(offset));
    } catch (e) {
      throw this.storageError(e);
    }
    this._logEndOffset = this.segments.last.nextOffset;
    this._highWatermark = Math.min(this._highWatermark, this._logEndOffset);
    this._recoveryPoint = Math.min(this._recoveryPoint, this._logEndOffset);
    this.leaderEpochs.truncateFromEnd(this._logEndOffset);
  }

  /** Deletes all data; the log restarts empty at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    this.checkOpen();
    this.truncations++;
    this.dirty = true;
    try {
      this.segments.deleteFrom(0, this._config.fileDeleteDelayMs);
      this.segments.add(Segment.create(this.dir, offset, this.settings, this.now()));
    } catch (e) {
      throw this.storageError(e);
    }
    this._logEndOffset = offset;
    this._logStartOffset = offset;
    this._highWatermark = offset;
    this._recoveryPoint = offset;
    this.leaderEpochs.clearAndFlush();
  }

  /** DeleteRecords: raises the log start offset (<= high watermark) and deletes segments wholly below it. */
  deleteRecordsBefore(offset: number): void {
    this.checkOpen();
    if (offset > this._highWatermark) {
      throw new OffsetOutOfRangeError(
        `Cannot increment the log start offset to ${offset} of partition ${this.topic}-${this.partition} since it is larger than the high watermark ${this._highWatermark}`,
      );
    }
    if (offset <= this._logStartOffset) return;
    this._logStartOffset = offset;
    this.leaderEpochs.truncateFromStart(offset);
    let n = 0;
    while (n + 1 < this.segments.count && (this.segments.at(n + 1) as Segment).baseOffset <= offset) n++;
    this.deleteOldestSegments(n);
  }

  /** Deletes old segments by retention.ms / retention.bytes / log start offset. Returns how many. */
  applyRetention(now: number): number {
    this.checkOpen();
    let count: number;
    try {
      // Time and size retention apply only when cleanup.policy includes delete (Kafka's config.delete).
      const config = this._config.cleanupPolicy?.delete === false ? { ...this._config, retentionMs: -1, retentionBytes: -1 } : this._config;
      count = planRetention({
        segments: this.segments.all,
        config,
        now,
        highWatermark: this._highWatermark,
        logStartOffset: this._logStartOffset,
        totalSize: this.segments.size,
      }).count;
    } catch (e) {
      throw this.storageError(e);
    }
    this.deleteOldestSegments(count);
    return count;
  }

  private deleteOldestSegments(n: number): void {
    if (n <= 0) return;
    const gone = this.segments.all.slice(0, n);
    const bytes = gone.reduce((sum, s) => sum + s.size, 0);
    this.logger.info(`Deleting ${n} segment(s) of ${this.topic}-${this.partition} below offset ${this.segments.all[n]?.baseOffset ?? this._logEndOffset} (${bytes} bytes; base offsets ${gone.map((s) => s.baseOffset).join(', ')})`, { topic: this.topic, partition: this.partition });
    try {
      this.segments.deleteOldest(n, this._config.fileDeleteDelayMs);
    } catch (e) {
      throw this.storageError(e);
    }
    const first = this.segments.first.baseOffset;
    if (first > this._logStartOffset) {
      this._logStartOffset = first;
      this.leaderEpochs.truncateFromStart(first);
    }
    if (this._highWatermark < this._logStartOffset) this._highWatermark = this._logStartOffset;
    if (this._recoveryPoint < this._logStartOffset) this._recoveryPoint = this._logStartOffset;
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

  private checkOpen(): void {
    if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition}`);
  }

  /** fs failures become LogDirFailureError; typed errors pass through. */
  private storageError(e: unknown): Error {
    if (e instanceof KafkaError || e instanceof CorruptRecordError || e instanceof CorruptIndexError || e instanceof LogDirFailureError) return e;
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') {
      const failure = new LogDirFailureError(this.parentDir, `I/O error on ${this.topic}-${this.partition}: ${e.message}`, { cause: e });
      if (isLogDirFailure(e)) this.onLogDirFailure?.(failure);
      return failure;
    }
    return e instanceof Error ? e : new Error(String(e));
  }
}
