/**
 * The append side of a partition's log (a layer of PartitionLog, see partition-log-base.ts):
 * leader and follower appends of a batch set in one write, segment rolls, and flushes.
 * Kafka's rule: the leader assigns offsets and stamps its epoch (LogValidator); a follower appends
 * batches as the leader wrote them, from its log end offset; a segment rolls on segment.bytes,
 * segment.ms or index overflow; flush.messages / flush.ms force an fsync; a new epoch's first offset
 * goes to the leader epoch cache.
 * Samsa's deviations: as in Kafka's roll, the sealed segment (and segments recovered at load) is
 * fsynced in the background and the recovery point follows when that completes, here on libuv's
 * thread pool; the active segment of a cleanly loaded log is activated at its first append (Kafka
 * opens it at load), so start-up needs no fd per partition.
 */
import { type AppendResult, analyzeFollowerBatches, assignOffsetsAsLeader } from './batch-assign.js';
import { PartitionLogBase } from './partition-log-base.js';
import { Segment } from './segment.js';

/** See partition-log.ts (the class to use). */
export abstract class PartitionLogAppends extends PartitionLogBase {

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
  protected prepareActive(): void {
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
  protected flushInBackground(upTo: number): void {
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
}
