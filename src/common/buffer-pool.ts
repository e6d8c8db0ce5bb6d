/**
 * Reusable large buffers. A fresh megabyte-sized buffer per request costs a page fault per 4 KiB
 * page when it is first written (measured: ~150,000 faults and a third more broker CPU for 1 GB
 * of 1 MB produce requests); buffers given back once nothing refers to them are taken again and
 * stay mapped. Two pools: request frames (given back by the connection when the handler is done
 * with them) and log reads served by Fetch (given back when the response has been written).
 *
 * Buffers come in power-of-two classes from 64 KiB to 16 MiB; larger frames get a buffer of
 * their own. Only buffers this pool handed out, and not yet given back, are accepted back, so a
 * second give of the same frame cannot make two frames share memory. At most `maxBytes` wait
 * in the pool, and buffers that waited unused through a whole trim interval are dropped (trim()),
 * so the memory of a burst is given back once the burst is over.
 *
 * Each broker owns its pools (BrokerBufferPools): two brokers in one process never share buffers,
 * limits or statistics.
 *
 * A buffer given back that the pool does not keep (too large for a class, the pool full, or
 * dropped by trim()) is released at once by detaching its ArrayBuffer (`transfer(0)`), instead of
 * waiting for a garbage collection that an idle broker may not run for a long time. give()'s
 * contract (nothing refers to the bytes any more) is what makes that safe.
 */
import { scheduleRepeating, type Scheduler, type TimerHandle } from './scheduler.js';

const MIN_CLASS = 64 * 1024;
const MAX_CLASS = 16 * 1024 * 1024;

/** Frees an ArrayBuffer's memory now (ES2024 transfer; Node 22+), where the runtime can. */
function release(ab: ArrayBuffer): void {
  (ab as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
}

function classOf(size: number): number {
  let c = MIN_CLASS;
  while (c < size) c *= 2;
  return c;
}

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Per class: the fewest buffers waiting at any time since the last trim (never needed since). */
  private readonly lowWater = new Map<number, number>();
  private readonly outstanding = new WeakSet<ArrayBuffer>();
  private pooled = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held for reuse. */
  get pooledBytes(): number {
    return this.pooled;
  }

  /** A buffer of exactly `size` bytes (contents undefined). */
  take(size: number): Buffer {
    if (size > MAX_CLASS) {
      const own = Buffer.allocUnsafeSlow(size);
      this.outstanding.add(own.buffer as ArrayBuffer);
      return own;
    }
    const cls = classOf(size);
    const list = this.free.get(cls);
    let ab = list?.pop();
    if (ab !== undefined) {
      this.pooled -= cls;
      const left = (list as ArrayBuffer[]).length;
      if (left < (this.lowWater.get(cls) ?? 0)) this.lowWater.set(cls, left);
    }
    else ab = Buffer.allocUnsafeSlow(cls).buffer as ArrayBuffer;
    this.outstanding.add(ab);
    return Buffer.from(ab, 0, size);
  }

  /**
   * Gives back a buffer from take(). The caller guarantees nothing refers to its bytes any more.
   * Anything else (a view of another buffer, a second give) is ignored.
   */
  give(buf: Buffer): void {
    const ab = buf.buffer as ArrayBuffer;
    if (!this.outstanding.delete(ab)) return;
    const cls = ab.byteLength;
    if (cls > MAX_CLASS || this.pooled + cls > this.maxBytes) {
      release(ab);
      return;
    }
    let list = this.free.get(cls);
    if (list === undefined) this.free.set(cls, (list = []));
    list.push(ab);
    this.pooled += cls;
  }

  /** Drops the buffers that waited unused since the previous trim; returns the bytes dropped. */
  trim(): number {
    let dropped = 0;
    for (const [cls, list] of this.free) {
      const unused = Math.min(this.lowWater.get(cls) ?? 0, list.length);
      if (unused > 0) for (const ab of list.splice(0, unused)) release(ab);
      dropped += unused * cls;
      this.lowWater.set(cls, list.length);
    }
    this.pooled -= dropped;
    return dropped;
  }
}

/** Bytes each of a broker's pools keeps for reuse at most. */
export const POOL_MAX_BYTES = 32 * 1024 * 1024;

/** Smaller reads come from Node's own allocator (its 8 KiB slabs below 4 KiB). */
export const POOLED_READ_BYTES = 32 * 1024;

/** How often idle pooled buffers are dropped (a buffer unused for one to two intervals goes). */
export const TRIM_INTERVAL_MS = 10_000;

/** The buffer pools of one broker. */
export class BrokerBufferPools {
  /** Request frames too large for a connection's staging buffer (src/network/frame-reader.ts). */
  readonly requestFrames = new BufferPool(POOL_MAX_BYTES);
  /** Log reads of at least POOLED_READ_BYTES, as Fetch sends them (src/storage/segment-reader.ts). */
  readonly logReads = new BufferPool(POOL_MAX_BYTES);

  /** Trims both pools every TRIM_INTERVAL_MS on `scheduler` until the handle is cancelled. */
  startTrimming(scheduler: Scheduler): TimerHandle {
    return scheduleRepeating(scheduler, TRIM_INTERVAL_MS, () => {
      this.requestFrames.trim();
      this.logReads.trim();
    });
  }
}
