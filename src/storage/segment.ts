/**
 * One log segment: a `.log` file of v2 batches plus its sparse `.index` (offset → position) and
 * `.timeindex` (timestamp → offset). The active (last) segment keeps its indexes and tail state in
 * memory; every segment opens its `.log` fd lazily and registers in the shared handle cache, which
 * closes the least recently used ones (an active segment keeps its in-memory state and reopens
 * its fd on the next append or read). After a clean shutdown the active segment is not even
 * activated at load: its end offset comes from the checkpoint and its files are first opened on use.
 */
import type { BufferPool } from '../common/buffer-pool.js';
import { CorruptIndexError, CorruptRecordError } from '../common/errors.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { scanBatches } from './batch-scanner.js';
import { FileRecords } from './file-records.js';
import { DELETED_SUFFIX, logFile, offsetIndexFile, timeIndexFile } from './file-names.js';
import { fsyncFilesAsync, readFully } from './fs-util.js';
import { readInt64 } from './int64.js';
import { OffsetIndex } from './offset-index.js';
import type { SegmentResourceCache } from './segment-cache.js';
import {
  EMPTY_BUFFER,
  type SegmentRead,
  findBatch,
  readBatchesAt,
  readFirstBatchMaxTimestamp,
  readLastTimeIndexEntry,
  scanTail,
  searchMaxTimestampRecord,
  searchTimestamp,
} from './segment-reader.js';
import { TimeIndex } from './time-index.js';

export { EMPTY_BUFFER, type SegmentRead } from './segment-reader.js';

/** Settings shared by all segments of one log (updated when the topic config changes). */
export interface SegmentSettings {
  indexIntervalBytes: number;
  maxIndexSize: number;
  cache: SegmentResourceCache;
  /** The broker's pool for large reads (given back once Fetch has written them); none: plain allocations. */
  readPool?: BufferPool | undefined;
}

/** Largest offset distance representable in an index entry. */
const MAX_RELATIVE_OFFSET = 0x7fffffff;

export class Segment {
  readonly baseOffset: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Creation (or load) time, for time-based rolling when batches carry no timestamp. */
  readonly created: number;
  private readonly log: FileRecords;
  private _size: number;
  private _active = false;
  /** Active, but activation (fd, indexes, tail scan) deferred to first use (clean shutdown load). */
  private lazy = false;
  private _nextOffset: number;
  private bytesSinceLastIndexEntry = 0;
  private maxTs = -1;
  private offsetOfMaxTs = -1;
  private tsKnown: boolean;
  /** maxTimestamp of the first batch; undefined until read. */
  private rollingTs: number | undefined;
  /** Where the last read ended (offset -> position), so sequential reads skip the index lookup. */
  private readHintOffset = -1;
  private readHintPosition = 0;

  private constructor(
    readonly dir: string,
    baseOffset: number,
    log: FileRecords,
    size: number,
    private readonly settings: SegmentSettings,
    now: number,
    tsKnown: boolean,
  ) {
    this.baseOffset = baseOffset;
    this.log = log;
    this.offsetIndex = new OffsetIndex(offsetIndexFile(dir, baseOffset), baseOffset, settings.maxIndexSize);
    this.timeIndex = new TimeIndex(timeIndexFile(dir, baseOffset), baseOffset, settings.maxIndexSize);
    this._size = size;
    this._nextOffset = baseOffset;
    this.created = now;
    this.tsKnown = tsKnown;
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

  get size(): number {
    return this._size;
  }

  get active(): boolean {
    return this._active;
  }

  /** Active with activation still deferred (see markActiveLazily). */
  get activationPending(): boolean {
    return this.lazy;
  }

  /** Whether the `.log` fd is open (for tests and fd accounting). */
  get fdOpen(): boolean {
    return this.log.isOpen;
  }

  /** Next offset after the last batch (exact for the active segment and after recovery). */
  get nextOffset(): number {
    return this._nextOffset;
  }

  get logFilePath(): string {
    return this.log.path;
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

  /**
   * The last offset the first cut batch claimed in its header (for the recovery log line), when
   * its header was there and plausible; null otherwise. Set by recover().
   */
  lastTruncatedLastOffset: number | null = null;

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

  // ---------------------------------------------------------------- reads

  /**
   * Whole batches starting with the one containing `startOffset`, at most `maxBytes` (but one whole
   * batch when `minOneMessage`), stopping before any batch reaching `maxOffset`. Null when this
   * segment has no batch at or after `startOffset`.
   */
  read(startOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): SegmentRead | null {
    if (this._size === 0) return null;
    const fd = this.fd();
    let position: number;
    let firstSize = 0;
    if (startOffset === this.readHintOffset && this.readHintPosition < this._size) {
      // Sequential consumer: the previous read ended exactly where this one starts.
      position = this.readHintPosition;
    } else {
      this.ensureOffsetIndex();
      const found = findBatch(fd, this.log.path, this.baseOffset, this._size, startOffset, this.offsetIndex.lookupPosition(startOffset));
      if (found === null) return null;
      if (found.lastOffset >= maxOffset || (found.size > maxBytes && !minOneMessage)) {
        return { records: EMPTY_BUFFER, firstBatchOffset: found.baseOffset, endPosition: found.position, lastOffset: -1 };
      }
      position = found.position;
      firstSize = found.size;
    }
    const r = readBatchesAt(fd, this.log.path, position, this._size, maxBytes, maxOffset, minOneMessage, firstSize, this.settings.readPool);
    if (r.lastOffset >= 0) {
      this.readHintOffset = r.lastOffset + 1;
      this.readHintPosition = r.endPosition;
    }
    return r;
  }

  /**
   * The zero-copy form of read() (src/common/file-region.ts): where the answer's bytes are, without
   * reading them: from the batch holding `startOffset` to the end of this segment, or, when that is
   * over `maxBytes`, to the last batch start within `maxBytes` that the offset index knows (its
   * entries are batch starts); at least `minBytes`. `endOffset` is the segment's end; when the read
   * limit `limitOffset` is below it (a consumer's high watermark), the region ends after the last
   * batch below the limit that the offset index knows (one header read checks it). No batch has
   * to be read otherwise. Null when no such region (read() decides).
   */
  tailRegion(startOffset: number, minBytes: number, maxBytes: number, endOffset: number, limitOffset: number): { position: number; length: number; firstBatchOffset: number; nextOffset: number } | null {
    if (this._size === 0 || this.lazy) return null;
    let position: number;
    let firstBatchOffset: number;
    if (startOffset === this.readHintOffset && this.readHintPosition < this._size) {
      position = this.readHintPosition;
      firstBatchOffset = startOffset;
    } else {
      this.ensureOffsetIndex();
      const found = findBatch(this.fd(), this.log.path, this.baseOffset, this._size, startOffset, this.offsetIndex.lookupPosition(startOffset));
      if (found === null || found.lastOffset >= limitOffset) return null;
      position = found.position;
      firstBatchOffset = found.baseOffset;
    }
    let end = this._size;
    let nextOffset = endOffset;
    if (limitOffset < endOffset) {
      this.ensureOffsetIndex();
      const slot = this.offsetIndex.lookupSlot(limitOffset - 1);
      if (slot < 0) return null;
      const at = this.offsetIndex.positionAt(slot);
      const last = this.offsetIndex.offsetAt(slot);
      const head = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
      if (at < position || readFully(this.fd(), head, 0, RECORD_BATCH_OVERHEAD, at) < RECORD_BATCH_OVERHEAD) return null;
      const size = head.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      // The entry names this batch's last offset: anything else and the region is not trusted.
      if (size < RECORD_BATCH_OVERHEAD || at + size > this._size || readInt64(head, 0) + head.readInt32BE(LAST_OFFSET_DELTA_OFFSET) !== last) return null;
      end = at + size;
      nextOffset = last + 1;
    }
    if (end - position > maxBytes) {
      this.ensureOffsetIndex();
      end = this.offsetIndex.batchStartAtOrBelow(position + maxBytes);
      if (end - position < minBytes) return null;
      // The offset the next read starts at: the base offset of the batch at the cut.
      const head = Buffer.allocUnsafe(8);
      if (readFully(this.fd(), head, 0, 8, end) < 8) return null;
      nextOffset = readInt64(head, 0);
    }
    const length = end - position;
    if (length < minBytes) return null;
    this.readHintOffset = nextOffset;
    this.readHintPosition = end;
    return { position, length, firstBatchOffset, nextOffset };
  }

  /** The log fd for a zero-copy send of a region tailRegion() gave (reopened if the fd cache closed it). */
  sendFd(): number {
    return this.fd();
  }

  /** Raw log bytes [position, position + length) into buf[offset...] (the cleaner's reads); returns bytes read. */
  readRaw(buf: Buffer, offset: number, length: number, position: number): number {
    return readFully(this.fd(), buf, offset, length, position);
  }

  /** First record (at or after `startingOffset`) whose timestamp >= ts, found from the time index. */
  findOffsetByTimestamp(ts: number, startingOffset: number): { offset: number; timestamp: number } | null {
    this.ensureTimeIndex();
    this.ensureOffsetIndex();
    const slot = this.timeIndex.slotBefore(ts);
    const fromOffset = Math.max(slot < 0 ? this.baseOffset : this.timeIndex.offsetAt(slot), startingOffset);
    return searchTimestamp(this.fd(), this.baseOffset, this.offsetIndex.lookupPosition(fromOffset), this._size, ts, startingOffset);
  }

  /** The record holding maxTimestampSoFar() (ListOffsets MAX_TIMESTAMP), or null if none does. */
  findMaxTimestampRecord(): { offset: number; timestamp: number } | null {
    const ts = this.maxTimestampSoFar();
    if (ts < 0) return null;
    this.ensureOffsetIndex();
    return searchMaxTimestampRecord(this.fd(), this.baseOffset, this.offsetIndex.lookupPosition(this.offsetOfMaxTs), this._size, ts);
  }

  /** Largest batch max timestamp in the segment (-1 if none carries one). */
  maxTimestampSoFar(): number {
    this.ensureTimestampInfo();
    return this.maxTs;
  }

  /** lastOffset of the (first) batch holding maxTimestampSoFar(). */
  offsetOfMaxTimestampSoFar(): number {
    this.ensureTimestampInfo();
    return this.offsetOfMaxTs;
  }

  /** The `.log` file's mtime in ms (0 if it cannot be read): ListOffsets v0 answers with it. */
  lastModified(): number {
    return this.log.lastModified();
  }

  /** For time retention: the max timestamp, or the file's mtime when batches carry none. */
  largestTimestamp(): number {
    const ts = this.maxTimestampSoFar();
    return ts >= 0 ? ts : this.log.lastModified();
  }

  /** maxTimestamp of the first batch, -1 when empty or unknown. */
  rollingBasedTimestamp(): number {
    if (this.rollingTs === undefined) {
      if (this._size < RECORD_BATCH_OVERHEAD) return -1;
      this.rollingTs = readFirstBatchMaxTimestamp(this.fd());
    }
    return this.rollingTs;
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

  // ---------------------------------------------------------------- internals

  /** The log fd for reading; marks an inactive segment as recently used. */
  private fd(): number {
    const fd = this.log.fd();
    this.settings.cache.touch(this);
    return fd;
  }

  /** Loads the offset index if needed; a missing or corrupt one is rebuilt from the log. */
  private ensureOffsetIndex(): void {
    if (this.offsetIndex.loaded) return;
    if (!this.tryLoad(this.offsetIndex)) this.recover(true, Number.MAX_SAFE_INTEGER);
    this.settings.cache.touch(this);
  }

  private ensureTimeIndex(): void {
    if (this.timeIndex.loaded) return;
    if (!this.tryLoad(this.timeIndex)) this.recover(true, Number.MAX_SAFE_INTEGER);
    this.settings.cache.touch(this);
  }

  private tryLoad(index: OffsetIndex | TimeIndex): boolean {
    try {
      return index.load(this._size);
    } catch (e) {
      if (e instanceof CorruptIndexError) return false;
      throw e;
    }
  }

  /** Max timestamp of an inactive segment: the sealed time index's last entry (one small read), else a full load. */
  private ensureTimestampInfo(): void {
    if (this.tsKnown) return;
    const last = this.timeIndex.loaded ? undefined : readLastTimeIndexEntry(this.timeIndex.file, this.baseOffset);
    if (last !== undefined && (last.timestamp >= 0 || this._size === 0)) {
      this.maxTs = last.timestamp;
      this.offsetOfMaxTs = last.offset;
    } else {
      this.ensureTimeIndex();
      if (this.tsKnown) return;
      this.maxTs = this.timeIndex.lastTimestamp();
      this.offsetOfMaxTs = this.timeIndex.entries > 0 ? this.timeIndex.lastOffset() : -1;
    }
    this.tsKnown = true;
  }

  /**
   * Recomputes next offset, max timestamp and bytes since the last index entry by scanning from the
   * last offset index entry to the end (the indexes cover everything before it). False if malformed.
   */
  private loadTailState(): boolean {
    const from = this.offsetIndex.lastPosition();
    const tail = scanTail(
      this.log.fd(),
      this.baseOffset,
      from,
      this._size,
      this.offsetIndex.entries > 0,
      this.offsetIndex.lastOffset(),
      this.timeIndex.lastTimestamp(),
      this.timeIndex.entries > 0 ? this.timeIndex.lastOffset() : -1,
    );
    if (tail === null) return false;
    this._nextOffset = tail.nextOffset;
    this.maxTs = tail.maxTimestamp;
    this.offsetOfMaxTs = tail.offsetOfMaxTimestamp;
    this.tsKnown = true;
    this.bytesSinceLastIndexEntry = this._size - from;
    return true;
  }
}

/** The disk (or quota) is full: writes may succeed again once space is freed. */
export function isOutOfSpace(e: unknown): boolean {
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
