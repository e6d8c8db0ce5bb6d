/**
 * The recently appended batches of a replicated leader's log, kept in memory so that follower
 * fetches (and consumers at the tail) are served without reading the segment file back.
 *
 * Kafka reads a follower's fetch from the log (FileRecords) and relies on the page cache and
 * sendfile: the bytes go from the page cache to the socket without a copy in the JVM. Node has no
 * sendfile to a socket, so Samsa's leader read each fetched range with a `pread` into a buffer
 * (a copy out of the page cache per follower: about a tenth of a replicated broker's CPU per GB).
 * Samsa's deviation: a leader with followers copies each append once into this cache (a memcpy of
 * bytes just written) and answers fetches at offsets still in it with views of those bytes.
 *
 * Bytes in a chunk are written once and never changed while a view of them may be in use: a chunk
 * is reused only after it left its cache (evicted, or the cache cleared by a truncation, a role
 * change or a close) and every view handed out of it was given back (`release`, when the Fetch
 * answer carrying it was written to its socket). A view never given back (a read that was not sent)
 * keeps its chunk out of reuse; the garbage collector frees it then.
 *
 * Memory: chunks of CHUNK_BYTES from one pool per broker, at most `budgetBytes` in caches and in
 * the pool's free list together; a cache needing a chunk beyond that takes the broker's oldest
 * one (whatever partition holds it), so idle partitions give theirs to busy ones.
 */
import type { BufferPool } from '../common/buffer-pool.js';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD } from '../protocol/records/batch-header.js';
import { readInt64 } from './int64.js';

/** Size of one chunk (an append larger than this is not cached: the cache restarts after it). */
export const TAIL_CHUNK_BYTES = 1024 * 1024;

/** Default bound on the memory of a broker's tail caches (chunks in use plus chunks kept for reuse). */
export const TAIL_CACHE_BUDGET_BYTES = 16 * 1024 * 1024;

/** What a read returns (the shape of PartitionLog.read's result). */
export interface TailRead {
  records: Buffer;
  firstBatchOffset: number;
}

const EMPTY = Buffer.alloc(0);

/** Appended bytes of one cache: batches at `starts[i]` covering offsets bases[i]..lasts[i]. */
class Chunk {
  used = 0;
  /** Views handed out and not given back yet. */
  views = 0;
  /** Left its cache: reusable once `views` is 0. */
  retired = false;
  readonly bases: number[] = [];
  readonly lasts: number[] = [];
  readonly starts: number[] = [];

  constructor(
    readonly buf: Buffer,
    readonly owner: TailCache,
  ) {}

  /** Index of the first batch whose last offset is ≥ `offset` (bases.length when none). */
  batchAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.lasts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.lasts[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  sizeOf(i: number): number {
    return (i + 1 < this.starts.length ? (this.starts[i + 1] as number) : this.used) - (this.starts[i] as number);
  }
}

/** The chunks of one broker's tail caches: the memory bound, eviction and reuse. */
export class TailCachePool {
  private readonly free: Buffer[] = [];
  /** Chunks held by caches, oldest first (a Set keeps insertion order). */
  private readonly live = new Set<Chunk>();
  private liveBytes = 0;
  private readonly viewsOut = new WeakMap<Buffer, Chunk>();
  private served = 0;
  private reused = 0;
  private allocated = 0;

  constructor(
    readonly budgetBytes: number = TAIL_CACHE_BUDGET_BYTES,
    readonly chunkBytes: number = TAIL_CHUNK_BYTES,
    /** Where a read spanning two chunks is copied (given back by the Fetch answer as log reads are). */
    readonly readPool?: BufferPool,
  ) {}

  /** Bytes of chunks held by caches. */
  get bytesInUse(): number {
    return this.liveBytes;
  }

  /** Reads answered from a cache. */
  get reads(): number {
    return this.served;
  }

  /** Chunks taken from the free list rather than allocated. */
  get chunksReused(): number {
    return this.reused;
  }

  /** Chunks allocated. */
  get chunksAllocated(): number {
    return this.allocated;
  }

  /** A chunk for `owner`, taking the oldest chunk of any cache when the budget is spent; null when budget < one chunk. */
  acquire(owner: TailCache): Chunk | null {
    if (this.budgetBytes < this.chunkBytes) return null;
    while (this.liveBytes + this.chunkBytes > this.budgetBytes) {
      const oldest = this.live.values().next().value as Chunk;
      oldest.owner.evict(oldest);
    }
    let buf = this.free.pop();
    if (buf !== undefined) this.reused++;
    else {
      buf = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.allocated++;
    }
    const c = new Chunk(buf, owner);
    this.live.add(c);
    this.liveBytes += this.chunkBytes;
    return c;
  }

  /** `c` left its cache. */
  retire(c: Chunk): void {
    if (!this.live.delete(c)) return;
    this.liveBytes -= this.chunkBytes;
    c.retired = true;
    if (c.views === 0) this.recycle(c);
  }

  /** A view of `c`'s bytes handed to a reader (given back with release()). */
  view(c: Chunk, from: number, to: number): Buffer {
    const v = c.buf.subarray(from, to);
    c.views++;
    this.viewsOut.set(v, c);
    this.served++;
    return v;
  }

  /** A copy of several chunks' ranges in one buffer (a read spanning chunks). */
  copy(parts: readonly [Chunk, number, number][], total: number): Buffer {
    const out = this.readPool !== undefined ? this.readPool.take(total) : Buffer.allocUnsafe(total);
    let at = 0;
    for (const [c, from, to] of parts) at += c.buf.copy(out, at, from, to);
    this.served++;
    return out;
  }

  /**
   * `buf` (an answer's chunk, written to its socket) is no longer used: true when it was a view
   * of a tail cache (its chunk may be reused once retired), false for any other buffer.
   */
  release(buf: Buffer): boolean {
    const c = this.viewsOut.get(buf);
    if (c === undefined) return false;
    this.viewsOut.delete(buf);
    c.views--;
    if (c.retired && c.views === 0) this.recycle(c);
    return true;
  }

  private recycle(c: Chunk): void {
    if (c.buf.length === this.chunkBytes && this.liveBytes + (this.free.length + 1) * this.chunkBytes <= this.budgetBytes) this.free.push(c.buf);
  }
}

/** One log's cache: the batches of its latest leader appends, in offset order, with no gap. */
export class TailCache {
  private chunks: Chunk[] = [];
  /** The offset the next cached append must start at (meaningful while chunks is not empty). */
  private next = -1;

  constructor(private readonly pool: TailCachePool) {}

  /** The first offset served from memory (-1 when empty). */
  get firstOffset(): number {
    return this.chunks[0]?.bases[0] ?? -1;
  }

  /** Caches the batches of an append (`buf`: whole batches, offsets firstOffset..lastOffset). */
  append(buf: Buffer, firstOffset: number, lastOffset: number): void {
    if (this.chunks.length > 0 && firstOffset !== this.next) this.clear();
    if (buf.length > this.pool.chunkBytes) {
      this.clear();
      return;
    }
    let c = this.chunks[this.chunks.length - 1];
    if (c === undefined || c.buf.length - c.used < buf.length) {
      const fresh = this.pool.acquire(this);
      if (fresh === null) {
        this.clear();
        return;
      }
      c = fresh;
      this.chunks.push(c);
    }
    const base = c.used;
    buf.copy(c.buf, base);
    let p = 0;
    while (p < buf.length) {
      const size = buf.readInt32BE(p + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      const first = readInt64(buf, p);
      c.bases.push(first);
      c.lasts.push(first + buf.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET));
      c.starts.push(base + p);
      p += size;
    }
    c.used = base + buf.length;
    this.next = lastOffset + 1;
  }

  /**
   * As Segment.read: whole batches from the one holding `fetchOffset`, at most `maxBytes` (one
   * whole batch regardless when `minOneMessage`), none reaching `maxOffset`, none from `segmentEnd`
   * on (the next segment's base offset: a read stays in one segment). Null when `fetchOffset` is
   * not in the cache (the caller reads the log).
   */
  read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean, segmentEnd = maxOffset): TailRead | null {
    const chunks = this.chunks;
    if (chunks.length === 0 || fetchOffset < ((chunks[0] as Chunk).bases[0] as number) || fetchOffset >= this.next) return null;
    let ci = chunks.length - 1;
    while (ci > 0 && ((chunks[ci] as Chunk).bases[0] as number) > fetchOffset) ci--;
    let c = chunks[ci] as Chunk;
    let bi = c.batchAtOrAfter(fetchOffset);
    if (bi >= c.lasts.length) return null; // not reachable with contiguous chunks
    const firstBatchOffset = c.bases[bi] as number;
    const firstSize = c.sizeOf(bi);
    if ((c.lasts[bi] as number) >= maxOffset || (firstSize > maxBytes && !minOneMessage)) return { records: EMPTY, firstBatchOffset };
    const parts: [Chunk, number, number][] = [];
    let total = 0;
    let from = c.starts[bi] as number;
    let to = from;
    for (;;) {
      if (bi >= c.lasts.length) {
        if (to > from) parts.push([c, from, to]);
        if (++ci >= chunks.length) break;
        c = chunks[ci] as Chunk;
        bi = 0;
        from = to = 0;
        continue;
      }
      const size = c.sizeOf(bi);
      if ((c.lasts[bi] as number) >= maxOffset || (c.bases[bi] as number) >= segmentEnd || (total > 0 && total + size > maxBytes)) {
        if (to > from) parts.push([c, from, to]);
        break;
      }
      total += size;
      to += size;
      bi++;
    }
    const only = parts.length === 1 ? parts[0] : undefined;
    const records = only !== undefined ? this.pool.view(only[0], only[1], only[2]) : this.pool.copy(parts, total);
    return { records, firstBatchOffset };
  }

  /** Forgets everything (the log was truncated, or this broker stopped leading it). */
  clear(): void {
    for (const c of this.chunks) this.pool.retire(c);
    this.chunks = [];
  }

  /** The pool takes `c` (this cache's oldest chunk) back. */
  evict(c: Chunk): void {
    const i = this.chunks.indexOf(c);
    // Chunks are taken oldest first: dropping `c` leaves the cache contiguous from the next one.
    if (i >= 0) this.chunks.splice(0, i + 1).forEach((x) => this.pool.retire(x));
    else this.pool.retire(c);
  }
}
