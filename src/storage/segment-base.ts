/**
 * The state of one log segment and how its parts are loaded (Segment is built in layers, one file
 * each: this base, segment-reads.ts, segment.ts): the `.log` file's fd (through the shared handle
 * cache), the lazily loaded `.index` and `.timeindex`, and the tail state of the active segment
 * (next offset, max timestamp, bytes since the last index entry).
 * Kafka's rule (LogSegment): offsets in the indexes are relative to the base offset (an int32); a
 * missing or corrupt index is rebuilt from the log; the largest timestamp of a sealed segment is
 * the time index's last entry.
 * Samsa's deviations: an inactive segment's `.log` fd and its indexes are opened on use and closed
 * by an LRU handle cache, log.open.files.max (Kafka keeps every segment's log file open and maps
 * its indexes on first use); a corrupt index found on use is rebuilt there and then (with CRC
 * checks).
 */
import type { BufferPool } from '../common/buffer-pool.js';
import { CorruptIndexError } from '../common/errors.js';
import type { FileRecords } from './file-records.js';
import { offsetIndexFile, timeIndexFile } from './file-names.js';
import { OffsetIndex } from './offset-index.js';
import type { SegmentResourceCache } from './segment-cache.js';
import { readLastTimeIndexEntry, scanTail } from './segment-reader.js';
import { TimeIndex } from './time-index.js';

/** Settings shared by all segments of one log (updated when the topic config changes). */
export interface SegmentSettings {
  indexIntervalBytes: number;
  maxIndexSize: number;
  cache: SegmentResourceCache;
  /** The broker's pool for large reads (given back once Fetch has written them); none: plain allocations. */
  readPool?: BufferPool | undefined;
}

/** Largest offset distance representable in an index entry. */
export const MAX_RELATIVE_OFFSET = 0x7fffffff;

/** See segment.ts (the class to use). */
export abstract class SegmentBase {
  readonly baseOffset: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Creation (or load) time, for time-based rolling when batches carry no timestamp. */
  readonly created: number;
  protected readonly log: FileRecords;
  protected _size: number;
  protected _active = false;
  /** Active, but activation (fd, indexes, tail scan) deferred to first use (clean shutdown load). */
  protected lazy = false;
  protected _nextOffset: number;
  protected bytesSinceLastIndexEntry = 0;
  protected maxTs = -1;
  protected offsetOfMaxTs = -1;
  protected tsKnown: boolean;
  /** maxTimestamp of the first batch; undefined until read. */
  protected rollingTs: number | undefined;
  /** Where the last read ended (offset -> position), so sequential reads skip the index lookup. */
  protected readHintOffset = -1;
  protected readHintPosition = 0;

  /**
   * The last offset the first cut batch claimed in its header (for the recovery log line), when
   * its header was there and plausible; null otherwise. Set by recover().
   */
  lastTruncatedLastOffset: number | null = null;

  protected constructor(
    readonly dir: string,
    baseOffset: number,
    log: FileRecords,
    size: number,
    protected readonly settings: SegmentSettings,
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

  /** Rebuilds both indexes from the log (see Segment.recover). */
  abstract recover(validateCrc: boolean, maxOffsetExclusive: number, onBatch?: (leaderEpoch: number, baseOffset: number) => void): number;

  /** See Segment.releaseResources (the handle cache calls it). */
  abstract releaseResources(): void;

  /** See Segment.resourceBytes. */
  abstract resourceBytes(): number;

  // ---------------------------------------------------------------- internals

  /** The log fd for reading; marks an inactive segment as recently used. */
  protected fd(): number {
    const fd = this.log.fd();
    this.settings.cache.touch(this);
    return fd;
  }

  /** Loads the offset index if needed; a missing or corrupt one is rebuilt from the log. */
  protected ensureOffsetIndex(): void {
    if (this.offsetIndex.loaded) return;
    if (!this.tryLoad(this.offsetIndex)) this.recover(true, Number.MAX_SAFE_INTEGER);
    this.settings.cache.touch(this);
  }

  protected ensureTimeIndex(): void {
    if (this.timeIndex.loaded) return;
    if (!this.tryLoad(this.timeIndex)) this.recover(true, Number.MAX_SAFE_INTEGER);
    this.settings.cache.touch(this);
  }

  protected tryLoad(index: OffsetIndex | TimeIndex): boolean {
    try {
      return index.load(this._size);
    } catch (e) {
      if (e instanceof CorruptIndexError) return false;
      throw e;
    }
  }

  /** Max timestamp of an inactive segment: the sealed time index's last entry (one small read), else a full load. */
  protected ensureTimestampInfo(): void {
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
  protected loadTailState(): boolean {
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
