/**
 * One log segment: a `.log` file of v2 batches plus its sparse `.index` (offset → position) and
 * `.timeindex` (timestamp → offset). The active (last) segment keeps its indexes and tail state in
 * memory; every segment opens its `.log` fd lazily and registers in the shared handle cache, which
 * closes the least recently used ones (an active segment keeps its in-memory state and reopens
 * its fd on the next append or read). After a clean shutdown the active segment is not even
 * activated at load: its end offset comes from the checkpoint and its files are first opened on use.
 * This file holds its life cycle, appends, recovery and truncation; the state and index loading
 * are in segment-base.ts, the reads in segment-reads.ts.
 * Kafka's rule (LogSegment): an index entry every index.interval.bytes; recovery rebuilds the
 * indexes and cuts the file at the first invalid batch; a segment rolls on segment.bytes, on
 * segment.ms since its first batch's max timestamp, on a full index, or when an offset would not
 * fit the index's int32 relative offset.
 */
import { CorruptRecordError } from '../common/errors.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET } from '../protocol/records/batch-header.js';
import { scanBatches } from './batch-scanner.js';
import { FileRecords } from './file-records.js';
import { DELETED_SUFFIX, logFile } from './file-names.js';
import { fsyncFilesAsync, readFully } from './fs-util.js';
import { readInt64 } from './int64.js';
import { MAX_RELATIVE_OFFSET, type SegmentSettings } from './segment-base.js';
import { SegmentReads } from './segment-reads.js';
import { findBatch } from './segment-reader.js';

export { EMPTY_BUFFER, type SegmentRead } from './segment-reader.js';
export type { SegmentSettings } from './segment-base.js';

export class Segment extends SegmentReads {
  private constructor(dir: string, baseOffset: number, log: FileRecords, size: number, settings: SegmentSettings, now: number, tsKnown: boolean) {
    super(dir, baseOffset, log, size, settings, now, tsKnown);
  }


  /** A new, empty, active segment (files created, any stale ones replaced). */
  static create(dir: string, baseOffset: number, settings: SegmentSettings, now: number): Segment {
    const seg = new Segment(dir, baseOffset, FileRecords.create(logFile(dir, baseOffset)), 0, settings, now, true);
    seg._active = true;
    settings.cache.touch(seg);
    for (const idx of [seg.offsetIndex, seg.timeIndex]) {
      idx.initEmpty();
      idx.persist(false);
    }
    return seg;
  }

  /** An existing segment, inactive and unopened; nothing is read until needed. */
  static openExisting(dir: string, baseOffset: number, logSize: number, settings: SegmentSettings, now: number): Segment {
    return new Segment(dir, baseOffset, new FileRecords(logFile(dir, baseOffset)), logSize, settings, now, false);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Makes this the active segment: writable fd, indexes in memory, tail state (next offset, max
   * timestamp) loaded by scanning from the last index entry. Returns false when the indexes are
   * missing/corrupt or the tail is malformed: the caller must then run recover().
   */
  activate(): boolean {
    this._active = true;
    this.lazy = false;
    this.log.writableFd();
    this.settings.cache.touch(this);
    if (!this.offsetIndex.loaded && !this.tryLoad(this.offsetIndex)) return false;
    if (!this.timeIndex.loaded && !this.tryLoad(this.timeIndex)) return false;
    return this.loadTailState();
  }

  /**
   * Makes this the active segment without opening anything: after a clean shutdown the log end
   * offset is known from the recovery-point checkpoint, and the indexes and tail are loaded on
   * first use (ensureActivated). Opens no file, so start-up needs no fd per partition.
   */
  markActiveLazily(nextOffset: number): void {
    this._active = true;
    this.lazy = true;
    this._nextOffset = nextOffset;
  }

  /**
   * Completes a deferred activation (recovering this segment if its indexes or tail turn out to be
   * bad). Returns true when the segment had to be recovered. The caller checks nextOffset.
   */
  ensureActivated(): boolean {
    if (!this.lazy) return false;
    if (this.activate()) return false;
    this.recover(true, Number.MAX_SAFE_INTEGER);
    if (!this.activate()) throw new CorruptRecordError(`cannot recover ${this.log.path}`);
    this.flushSync();
    return true;
  }

  /** Called when a newer segment takes over: seal the time index, persist indexes, become evictable. */
  deactivate(): void {
    if (!this._active) return;
    this.ensureActivated();
    this.timeIndex.maybeAppend(this.maxTs, this.offsetOfMaxTs, true);
    this.offsetIndex.persist(false);
    this.timeIndex.persist(false);
    this._active = false;
    this.settings.cache.touch(this);
  }

  /** Persists indexes and closes the fd (the active segment's time index gets its final entry). */
  close(): void {
    // A never-activated segment's time index already holds its final entry (from the last close).
    if (this._active && !this.lazy && this.tsKnown) this.timeIndex.maybeAppend(this.maxTs, this.offsetOfMaxTs, true);
    this.settings.cache.remove(this);
    this.offsetIndex.unload();
    this.timeIndex.unload();
    this.log.close();
    this._active = false;
    this.lazy = false;
  }

  /** Closes and renames the files to `*.deleted`; returns their new paths (for delayed deletion). */
  renameForDeletion(): string[] {
    this.settings.cache.remove(this);
    this._active = false;
    this.lazy = false;
    const paths: string[] = [];
    if (this.log.renameTo(this.log.path + DELETED_SUFFIX)) paths.push(this.log.path);
    for (const idx of [this.offsetIndex, this.timeIndex]) if (idx.renameTo(idx.file + DELETED_SUFFIX)) paths.push(idx.file);
    return paths;
  }

  deleteNow(): void {
    this.settings.cache.remove(this);
    this._active = false;
    this.lazy = false;
    this.log.delete();
    this.offsetIndex.deleteFile();
    this.timeIndex.deleteFile();
  }

  /**
   * Cache eviction: closes the `.log` fd. An inactive segment also persists and drops its indexes;
   * the active one keeps them and its tail state in memory (nothing to reload when it is next
   * written). Written bytes stay in the page cache: a later flush fsyncs the file by path, and the
   * recovery point only advances after that fsync.
   */
  releaseResources(): void {
    if (!this._active) {
      this.offsetIndex.unload();
      this.timeIndex.unload();
    }
    this.log.close();
  }

  resourceBytes(): number {
    return this._active ? 0 : this.offsetIndex.memoryBytes + this.timeIndex.memoryBytes;
  }

  /** Writes pending index entries and fsyncs log and indexes. */
  flushSync(): void {
    this.offsetIndex.flush();
    this.timeIndex.flush();
    this.log.fsync();
  }

  /** Writes pending index entries to their files (no fsync). */
  persistIndexes(): void {
    this.offsetIndex.persist(false);
    this.timeIndex.persist(false);
  }

  /**
   * Writes pending index entries unless the disk is full (ENOSPC/EDQUOT: they stay pending in
   * memory, and a torn index is rebuilt at load anyway). Recovery uses it so that a broker starts
   * on a full disk. Returns false when nothing could be written.
   */
  persistIndexesIfSpace(): boolean {
    try {
      this.persistIndexes();
      return true;
    } catch (e) {
      if (!isOutOfSpace(e)) throw e;
      return false;
    }
  }

  /** Writes pending index entries now, fsyncs the files on the thread pool; a failure of either goes to `done`. */
  flushAsync(done: (err: Error | null) => void): void {
    try {
      this.persistIndexes();
    } catch (e) {
      done(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    fsyncFilesAsync([this.log.path, this.offsetIndex.file, this.timeIndex.file, this.dir], done);
  }

  // ---------------------------------------------------------------- writes

  /** Appends batches with assigned offsets (one write), then updates the indexes per batch. */
  append(buf: Buffer, lastOffset: number): void {
    this.ensureActivated();
    const start = this._size;
    this.log.append(buf, start);
    this.settings.cache.touch(this);
    let p = 0;
    while (p < buf.length) {
      const size = buf.readInt32BE(p + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      const last = readInt64(buf, p) + buf.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET);
      const ts = readInt64(buf, p + MAX_TIMESTAMP_OFFSET);
      if (start + p === 0) this.rollingTs = ts;
      this.indexBatch(start + p, last, ts, size);
      p += size;
    }
    this._size = start + buf.length;
    this._nextOffset = lastOffset + 1;
  }

  /** Index bookkeeping for one batch (shared by append and recovery), as Kafka's LogSegment.append. */
  private indexBatch(position: number, lastOffset: number, maxTimestamp: number, size: number): void {
    if (maxTimestamp > this.maxTs) {
      this.maxTs = maxTimestamp;
      this.offsetOfMaxTs = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.settings.indexIntervalBytes && !this.offsetIndex.isFull()) {
      this.offsetIndex.append(lastOffset, position);
      if (!this.timeIndex.isFull()) this.timeIndex.maybeAppend(this.maxTs, this.offsetOfMaxTs);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  /**
   * Rebuilds both indexes from the log, validating every batch (CRC included when asked), and
   * truncates the file at the first invalid batch. Returns the number of bytes truncated.
   */
  recover(validateCrc: boolean, maxOffsetExclusive: number, onBatch?: (leaderEpoch: number, baseOffset: number) => void): number {
    const fd = this.log.writableFd();
    const fileSize = this.log.fileSize();
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.readHintOffset = -1;
    this.maxTs = -1;
    this.offsetOfMaxTs = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.rollingTs = undefined;
    const limit = Math.min(maxOffsetExclusive, this.baseOffset + MAX_RELATIVE_OFFSET + 1);
    const res = scanBatches(fd, 0, fileSize, { validateCrc, minBaseOffset: this.baseOffset, maxOffsetExclusive: limit }, (pos, base, last, ts, size, epoch) => {
      if (pos === 0) this.rollingTs = ts;
      this.indexBatch(pos, last, ts, size);
      if (onBatch !== undefined) onBatch(epoch, base);
      return true;
    });
    const truncated = fileSize - res.position;
    this.lastTruncatedLastOffset = truncated > 0 ? this.claimedLastOffsetAt(fd, res.position, fileSize, res.lastOffset >= 0 ? res.lastOffset + 1 : this.baseOffset) : null;
    if (truncated > 0) this.log.truncate(res.position);
    this._size = res.position;
    this._nextOffset = res.lastOffset >= 0 ? res.lastOffset + 1 : this.baseOffset;
    this.timeIndex.maybeAppend(this.maxTs, this.offsetOfMaxTs, true);
    this.persistIndexesIfSpace();
    this.tsKnown = true;
    this.settings.cache.touch(this);
    return truncated;
  }

  private claimedLastOffsetAt(fd: number, position: number, fileSize: number, nextOffset: number): number | null {
    const head = Buffer.alloc(LAST_OFFSET_DELTA_OFFSET + 4);
    if (fileSize - position < head.length || readFully(fd, head, 0, head.length, position) < head.length) return null;
    const base = readInt64(head, 0);
    const last = base + head.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    return base === nextOffset && last >= base && last - base < 1_000_000_000 ? last : null;
  }

  /** Removes every batch with lastOffset >= offset (a batch straddling it goes entirely). Returns bytes removed. */
  truncateTo(offset: number): number {
    this.ensureActivated();
    this.ensureOffsetIndex();
    this.ensureTimeIndex();
    const found = findBatch(this.fd(), this.log.path, this.baseOffset, this._size, offset, this.offsetIndex.lookupPosition(offset));
    if (found === null) return 0;
    this.readHintOffset = -1;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    this.log.truncate(found.position);
    const removed = this._size - found.position;
    this._size = found.position;
    if (this._size === 0) this.rollingTs = undefined;
    if (!this.loadTailState()) {
      throw new CorruptRecordError(`segment ${this.log.path} is malformed after truncation`, { position: found.position });
    }
    this.offsetIndex.persist(false);
    this.timeIndex.persist(false);
    return removed;
  }

  /** Kafka's roll conditions for an append of `messagesSize` bytes. */
  shouldRoll(messagesSize: number, maxTimestampInMessages: number, maxOffsetInMessages: number, now: number, segmentBytes: number, segmentMs: number): boolean {
    if (this._size === 0) return false;
    if (this._size > segmentBytes - messagesSize) return true;
    this.ensureActivated();
    const rt = this.rollingBasedTimestamp();
    const waited = rt >= 0 ? maxTimestampInMessages - rt : now - this.created;
    if (waited > segmentMs) return true;
    if (this.offsetIndex.isFull() || this.timeIndex.isFull()) return true;
    return maxOffsetInMessages - this.baseOffset > MAX_RELATIVE_OFFSET;
  }
}


/** The disk (or quota) is full: writes may succeed again once space is freed. */
export function isOutOfSpace(e: unknown): boolean {
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
