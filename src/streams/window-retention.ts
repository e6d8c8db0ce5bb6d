/**
 * The retention of a windowed store: which of its entries expired, found without scanning the
 * store. Each entry has a time (a time window's start, read from its windowed key; for the stores
 * holding a list per key, the latest time in the list); the store's observed stream time is the
 * largest time put or restored, and an entry whose time is before observed - retention is
 * expired: it leaves the store, and a put or a restored changelog record of it is skipped.
 *
 * Kafka's rules kept (RocksDB segmented stores: AbstractRocksDBSegmentedBytesStore,
 * AbstractSegments): the store's stream time is the largest segment timestamp put (window start
 * for window stores, window end for session stores); writes and restored records older than
 * stream time - retention are dropped; expired data leaves the store without a changelog
 * tombstone (the changelog topic's `compact,delete` retention forgets it); a restore skips the
 * expired records. Samsa's deviation: expiry is per entry, at exactly the retention, instead of
 * by whole segments (Kafka keeps a segment, up to retention/2 wide, until all of it expired).
 * Cost: an entry is indexed by time bucket (a map, and a sorted list of the distinct times,
 * appended to in the usual in-order case); expiry pops whole buckets from the front, so each entry
 * is indexed and dropped once (amortized O(1) per put, O(log n) for out-of-order times).
 */

export interface RetentionSpec {
  readonly retentionMs: number;
  /** The entry's time: from its serialized key, or from its value (`value()` deserializes it; lists: their latest time). */
  timeOf(key: Buffer, value: () => unknown): number;
}

export class WindowRetention {
  /** The largest time put or restored (-Infinity: nothing yet). */
  observed = -Infinity;
  /** Entry id (serialized key, latin1) -> its time. */
  private readonly times = new Map<string, number>();
  /** Time -> the ids and keys of the entries with that time. */
  private readonly buckets = new Map<number, Map<string, Buffer>>();
  /** The distinct times of `buckets`, ascending. */
  private readonly order: number[] = [];

  constructor(readonly spec: RetentionSpec) {}

  /** Entries before this time are expired. */
  get horizon(): number {
    return this.observed - this.spec.retentionMs;
  }

  isExpired(time: number): boolean {
    return time < this.horizon;
  }

  /** Advances the observed stream time with an entry's time. */
  observe(time: number): void {
    if (time > this.observed) this.observed = time;
  }

  /** Indexes (or re-indexes) an entry; `null` time removes it from the index. */
  track(id: string, key: Buffer, time: number | null): void {
    const prior = this.times.get(id);
    if (prior !== undefined && prior !== time) {
      const b = this.buckets.get(prior);
      b?.delete(id);
      this.times.delete(id);
    }
    if (time === null || prior === time) return;
    this.times.set(id, time);
    let b = this.buckets.get(time);
    if (!b) {
      b = new Map();
      this.buckets.set(time, b);
      insertSorted(this.order, time);
    }
    b.set(id, key);
  }

  /** Removes the expired entries from the index and returns their serialized keys. */
  takeExpired(): Buffer[] {
    const out: Buffer[] = [];
    const horizon = this.horizon;
    while (this.order.length > 0 && (this.order[0] as number) < horizon) {
      const time = this.order.shift() as number;
      const b = this.buckets.get(time);
      this.buckets.delete(time);
      if (!b) continue;
      for (const [id, key] of b) {
        this.times.delete(id);
        out.push(key);
      }
    }
    return out;
  }

  get size(): number {
    return this.times.size;
  }
}

function insertSorted(a: number[], v: number): void {
  if (a.length === 0 || (a[a.length - 1] as number) < v) {
    a.push(v);
    return;
  }
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, v);
}

/** The time of a time-windowed key (TimeWindowedSerde): the window start, its last 8 bytes. */
export const windowStartOf = (key: Buffer): number => (key.length >= 8 ? Number(key.readBigInt64BE(key.length - 8)) : -Infinity);
