/**
 * Common machinery of the offset and time indexes: fixed-size entries kept in an in-memory Buffer
 * (Node has no mmap), persisted lazily — new entries are written on flush/roll/close, and recovery
 * rebuilds indexes of unflushed segments, so nothing is lost on a crash. Files are not
 * preallocated: their length is always a whole number of valid entries.
 */
import * as fs from 'node:fs';
import { CorruptIndexError } from '../common/errors.js';
import { readFully, unlinkIfExists, writeFully } from './fs-util.js';

const INITIAL_ENTRIES = 32;

export abstract class AbstractIndex {
  protected mem: Buffer = Buffer.alloc(0);
  protected count = 0;
  /** Entries [0, persisted) are on disk. */
  private persisted = 0;
  /** The file is longer than `persisted` entries (after truncation) and must be cut. */
  private fileNeedsTruncate = false;
  private _loaded = false;
  readonly maxEntries: number;

  constructor(
    private _file: string,
    readonly baseOffset: number,
    maxIndexSize: number,
    readonly entrySize: number,
  ) {
    this.maxEntries = Math.max(2, Math.floor(maxIndexSize / entrySize));
  }

  get file(): string {
    return this._file;
  }

  get entries(): number {
    return this.count;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /** Bytes of memory held by the in-memory copy. */
  get memoryBytes(): number {
    return this.mem.length;
  }

  isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get dirty(): boolean {
    return this.persisted !== this.count || this.fileNeedsTruncate;
  }

  /** A fresh, empty index whose file will be (re)written from scratch. */
  initEmpty(): void {
    this.mem = Buffer.allocUnsafe(INITIAL_ENTRIES * this.entrySize);
    this.count = 0;
    this.persisted = 0;
    this.fileNeedsTruncate = true;
    this._loaded = true;
  }

  /**
   * Reads the file into memory and validates it against the segment's log size.
   * Returns false if the file is missing; throws CorruptIndexError if it is inconsistent.
   */
  load(logSize: number): boolean {
    let fd: number;
    try {
      fd = fs.openSync(this._file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size % this.entrySize !== 0) {
        throw new CorruptIndexError(`index file ${this._file} has size ${size}, not a multiple of ${this.entrySize}`, { file: this._file });
      }
      const mem = Buffer.allocUnsafe(Math.max(size, this.entrySize));
      if (readFully(fd, mem, 0, size, 0) !== size) {
        throw new CorruptIndexError(`short read of index file ${this._file}`, { file: this._file });
      }
      this.mem = mem;
      this.count = size / this.entrySize;
      this.persisted = this.count;
      this.fileNeedsTruncate = false;
    } finally {
      fs.closeSync(fd);
    }
    this.sanityCheck(logSize);
    this._loaded = true;
    return true;
  }

  /** Throws CorruptIndexError when the loaded entries are inconsistent. */
  protected abstract sanityCheck(logSize: number): void;

  /** Drops the in-memory copy (after persisting). Reload with load(). */
  unload(): void {
    if (!this._loaded) return;
    this.persist(false);
    this.mem = Buffer.alloc(0);
    this.count = 0;
    this.persisted = 0;
    this._loaded = false;
  }

  /** Room for one more entry; returns the byte position to write it at. */
  protected slotForAppend(): number {
    const pos = this.count * this.entrySize;
    if (pos + this.entrySize > this.mem.length) {
      const grown = Buffer.allocUnsafe(Math.max(INITIAL_ENTRIES * this.entrySize, this.mem.length * 2));
      this.mem.copy(grown, 0, 0, pos);
      this.mem = grown;
    }
    return pos;
  }

  protected commitAppend(): void {
    this.count++;
  }

  /** Keeps the first `n` entries. */
  protected truncateToEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) {
      this.persisted = n;
      this.fileNeedsTruncate = true;
    }
  }

  /** Writes unpersisted entries to the file (and fsyncs when asked). */
  persist(sync: boolean): void {
    if (!this._loaded || (!this.dirty && !sync)) return;
    const fd = fs.openSync(this._file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
    try {
      if (this.fileNeedsTruncate) fs.ftruncateSync(fd, this.persisted * this.entrySize);
      const from = this.persisted * this.entrySize;
      const to = this.count * this.entrySize;
      if (to > from) writeFully(fd, this.mem, from, to - from, from);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.persisted = this.count;
    this.fileNeedsTruncate = false;
  }

  /** Makes the file durable: persists pending entries and fsyncs (an unloaded index is fsynced by path). */
  flush(): void {
    if (this._loaded) {
      this.persist(true);
      return;
    }
    let fd = -1;
    try {
      fd = fs.openSync(this._file, 'r');
      fs.fsyncSync(fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  /** Renames the file; false if it does not exist. */
  renameTo(file: string): boolean {
    try {
      fs.renameSync(this._file, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return false;
    }
    this._file = file;
    return true;
  }

  deleteFile(): void {
    unlinkIfExists(this._file);
  }

  /** Binary search: index of the last entry whose key satisfies `key(i) <= target` (-1 if none). Keys non-decreasing. */
  protected largestLowerBound(target: number, key: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (key(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
