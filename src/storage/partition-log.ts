/**
 * The durable log of one partition: an ordered list of segments, the last one active. Appends
 * are per batch set (one write of the received bytes), reads return whole batches in one buffer.
 * This file holds its loading (open) and reads; the rest is in layers it extends, one file each:
 * partition-log-base.ts (state, watermarks, shutdown, I/O errors), partition-log-appends.ts
 * (appends, rolls, flushes), partition-log-truncation.ts (truncation, retention, cleaner swap).
 * Kafka's rule: a fetch outside [logStartOffset, logEndOffset] is OFFSET_OUT_OF_RANGE; a read
 * returns whole batches from the one holding the fetch offset, stays within one segment, and
 * returns at least one whole batch when minOneMessage (KIP-74).
 * Samsa's deviations: a zero-copy read returns a placeholder for a file region sent with sendfile
 * (docs/zero-copy.md), checked against truncation at send time.
 */
import * as fs from 'node:fs';
import { MIN_REGION_BYTES, registerFileRegion } from '../common/file-region.js';
import { OffsetOutOfRangeError } from './errors.js';
import { loadSegments } from './log-loader.js';
import { LogSegments } from './log-segments.js';
import type { LogConfig } from './log-config.js';
import { PartitionLogTruncation } from './partition-log-truncation.js';
import { EMPTY_BUFFER, type Segment } from './segment.js';

export type { AppendResult } from './batch-assign.js';
export { OffsetOutOfRangeError } from './errors.js';
export type { PartitionLogOpenOptions } from './partition-log-options.js';
import type { PartitionLogOpenOptions } from './partition-log-options.js';
export type { CleanerHooks } from './partition-log-base.js';


export interface ReadResult {
  records: Buffer;
  firstBatchOffset: number;
  /** A zero-copy read's placeholder (read(..., true)): the offset after its last batch. */
  nextOffset?: number;
}

export class PartitionLog extends PartitionLogTruncation {
  private constructor(dir: string, topic: string, partition: number, config: LogConfig, opts: PartitionLogOpenOptions) {
    super(dir, topic, partition, config, opts);
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
}
