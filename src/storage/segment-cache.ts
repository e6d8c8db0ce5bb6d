/**
 * LRU of inactive segments holding open resources (a read fd and in-memory indexes). Active
 * segments are pinned and never registered. Bounds open fds and index memory so that thousands of
 * partitions with many segments each stay within limits.
 */
export interface CachedResource {
  /** Closes fds and drops in-memory indexes; the segment reopens them lazily. */
  releaseResources(): void;
  /** Memory currently held (index buffers). */
  resourceBytes(): number;
}

export class SegmentResourceCache {
  private readonly lru = new Map<CachedResource, number>();
  private bytes = 0;

  constructor(
    public maxOpen: number,
    public maxBytes: number,
  ) {}

  get size(): number {
    return this.lru.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Marks `r` most recently used (registering it if needed), then evicts beyond the limits. */
  touch(r: CachedResource): void {
    const prev = this.lru.get(r);
    if (prev !== undefined) {
      this.lru.delete(r);
      this.bytes -= prev;
    }
    const b = r.resourceBytes();
    this.lru.set(r, b);
    this.bytes += b;
    while (this.lru.size > this.maxOpen || (this.bytes > this.maxBytes && this.lru.size > 1)) {
      const oldest = this.lru.keys().next().value as CachedResource;
      if (oldest === r) break;
      this.remove(oldest);
      oldest.releaseResources();
    }
  }

  /** Forgets `r` without releasing it (it is being closed or activated by its owner). */
  remove(r: CachedResource): void {
    const b = this.lru.get(r);
    if (b === undefined) return;
    this.lru.delete(r);
    this.bytes -= b;
  }
}

/** Process-wide cache used by every PartitionLog (limits can be changed at startup). */
export const segmentResourceCache = new SegmentResourceCache(512, 256 * 1024 * 1024);
