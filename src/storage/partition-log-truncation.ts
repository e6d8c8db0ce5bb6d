/**
 * Removing data from a partition's log (a layer of PartitionLog, see partition-log-base.ts):
 * truncation (a follower's divergence, a replica restarting at an offset), DeleteRecords,
 * time/size retention, and the log cleaner's swap of cleaned segments.
 * Kafka's rule: truncateTo drops whole batches from the first one at or past the offset (and the
 * leader epochs after it); DeleteRecords may not go past the high watermark
 * (OFFSET_OUT_OF_RANGE); retention deletes only whole segments below the high watermark, and the
 * log start offset follows the first remaining segment; a cleaned segment replaces the old ones
 * through a `.swap` file, the commit point a crash recovers from.
 * Samsa's deviations: none in behaviour. Segment deletion is LogSegments' (renamed `*.deleted`,
 * removed after file.delete.delay.ms, as Kafka); a cleaned segment's rebuilt indexes are fsynced
 * off the event loop (a torn index is rebuilt at load).
 */
import * as fs from 'node:fs';
import { logFile } from './file-names.js';
import { fsyncDir } from './fs-util.js';
import { OffsetOutOfRangeError } from './errors.js';
import { PartitionLogAppends } from './partition-log-appends.js';
import { activateOrRecover } from './recovery.js';
import { planRetention } from './retention.js';
import { Segment } from './segment.js';

/** See partition-log.ts (the class to use). */
export abstract class PartitionLogTruncation extends PartitionLogAppends {
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
}
