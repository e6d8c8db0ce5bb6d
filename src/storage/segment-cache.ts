/**
 * A broker's bound on open segment files: an LRU of segments that hold a file descriptor
 * (and, for inactive ones, in-memory indexes). Active segments are members too: a partition that
 * has not been written or read recently gives its `.log` fd back and reopens it on next use, so
 * the number of fds the broker holds does not grow with the number of partitions.
 *
 * Kafka keeps every segment's files open (mmap'd indexes, one FileChannel per segment) and asks
 * operators to raise the fd limit; Samsa caps them instead with `log.open.files.max`, clamped to
 * half of the process's RLIMIT_NOFILE so sockets and transient opens always have room.
 * Indexes do not hold fds here (they are read into memory and written by path), so one cache entry
 * is at most one fd.
 */
import { readFileSync } from 'node:fs';

export interface CachedResource {
  /** Closes the fd (and drops in-memory indexes of an inactive segment); reopened lazily. */
  releaseResources(): void;
  /** Memory currently held that eviction would free (index buffers of inactive segments). */
  resourceBytes(): number;
}

export class SegmentResourceCache {
  private readonly lru = new Map<CachedResource, number>();
  private bytes = 0;
  /** The most recently touched entry: touching it again is free (the append hot path). */
  private newest: CachedResource | undefined;
  private evicted = 0;

  constructor(
    public maxOpen: number,
    public maxBytes: number,
  ) {}

  /** Entries holding resources (an upper bound on the segment fds open). */
  get size(): number {
    return this.lru.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** How many entries were closed to stay within the limits (for tests and metrics). */
  get evictions(): number {
    return this.evicted;
  }

  /** Marks `r` most recently used (registering it if needed), then evicts beyond the limits. */
  touch(r: CachedResource): void {
    if (r === this.newest) {
      this.resize(r);
      return;
    }
    const prev = this.lru.get(r);
    if (prev !== undefined) {
      this.lru.delete(r);
      this.bytes -= prev;
    }
    const b = r.resourceBytes();
    this.lru.set(r, b);
    this.bytes += b;
    this.newest = r;
    this.evictBeyondLimits(r);
  }

  /** Recomputes the bytes `r` holds (after its indexes grew or were dropped) without reordering. */
  resize(r: CachedResource): void {
    const prev = this.lru.get(r);
    if (prev === undefined) return;
    const b = r.resourceBytes();
    if (b === prev) return;
    this.lru.set(r, b);
    this.bytes += b - prev;
  }

  /** Forgets `r` without releasing it (it is being closed or deleted by its owner). */
  remove(r: CachedResource): void {
    const b = this.lru.get(r);
    if (b === undefined) return;
    this.lru.delete(r);
    this.bytes -= b;
    if (this.newest === r) this.newest = undefined;
  }

  /** Applies new limits (e.g. at broker start), closing the least recently used entries beyond them. */
  resizeLimits(maxOpen: number, maxBytes = this.maxBytes): void {
    this.maxOpen = Math.max(1, maxOpen);
    this.maxBytes = maxBytes;
    this.evictBeyondLimits(undefined);
  }

  private evictBeyondLimits(keep: CachedResource | undefined): void {
    while (this.lru.size > this.maxOpen || (this.bytes > this.maxBytes && this.lru.size > 1)) {
      const oldest = this.lru.keys().next().value as CachedResource;
      if (oldest === keep) break;
      this.remove(oldest);
      this.evicted++;
      oldest.releaseResources();
    }
  }
}

/** Default of `log.open.files.max`. */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 4096;

/** The soft RLIMIT_NOFILE of this process (Linux /proc), undefined when unknown. */
export function openFileSoftLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null || m[1] === 'unlimited') return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}

/** `configured`, clamped to half the fd limit (the other half is for sockets and short-lived opens). */
export function effectiveMaxOpenSegments(configured: number, softLimit = openFileSoftLimit()): number {
  const cap = softLimit === undefined ? configured : Math.min(configured, Math.floor(softLimit / 2));
  return Math.max(16, cap);
}

/** Default bound on the index memory the cache's inactive segments hold. */
export const DEFAULT_SEGMENT_CACHE_BYTES = 256 * 1024 * 1024;

/** A cache with the given `log.open.files.max` (default DEFAULT_MAX_OPEN_SEGMENT_FILES), clamped to the fd limit. */
export function newSegmentResourceCache(maxOpenFiles = DEFAULT_MAX_OPEN_SEGMENT_FILES): SegmentResourceCache {
  return new SegmentResourceCache(effectiveMaxOpenSegments(maxOpenFiles), DEFAULT_SEGMENT_CACHE_BYTES);
}
