/**
 * A copy-on-write Map for the metadata image's topic maps: a new image is the previous one plus a
 * delta, so copying every topic into new Maps per commit made each commit O(topics) and creating
 * topics one at a time O(topics²) (issue 22 target 6: 100,000 partitions). A CowMap is a shared,
 * never-changed `base` plus the entries changed since (`top`) and the base keys deleted since
 * (`gone`); fork() copies only those, and folds them into a new base once they outgrow
 * √(base size) · 8, so a commit costs O(√n + delta) amortized instead of O(n).
 * It behaves as a Map, iteration order included: base keys in base order (with their newer value),
 * then keys added since (a deleted and re-added base key counts as added, as in a Map).
 * Kafka's MetadataImage shares unchanged parts between images the same way (persistent maps,
 * ImmutableMap in server-common). Samsa deviation: none visible; a fork's base is shared, so a map
 * handed to fork() (or to a MetadataImage) must not be changed afterwards.
 */

/**
 * Entries copied by fork(), counted by whoever forks (a metadata image's line, image.ts: tests
 * bound a commit's work with it); never process-wide, since several brokers may share a process.
 */
export interface CowMapStats {
  copiedEntries: number;
}

export class CowMap<K, V> implements Map<K, V> {
  private base: ReadonlyMap<K, V>;
  private readonly top: Map<K, V>;
  private readonly gone: Set<K>;
  /** Keys of `top` iterated after the base (not in base, or deleted from it and set again). */
  private tail: number;

  private constructor(base: ReadonlyMap<K, V>, top: Map<K, V>, gone: Set<K>, tail: number) {
    this.base = base;
    this.top = top;
    this.gone = gone;
    this.tail = tail;
  }

  /**
   * A changeable copy of `source` that shares its unchanged entries. `source` must not change
   * afterwards (an image's maps never do). The entries copied are added to `stats`, if given.
   */
  static fork<K, V>(source: ReadonlyMap<K, V>, stats?: CowMapStats): CowMap<K, V> {
    if (!(source instanceof CowMap)) return new CowMap(source, new Map(), new Set(), 0);
    const s = source as CowMap<K, V>;
    const changed = s.top.size + s.gone.size;
    if (changed > 64 && changed > Math.sqrt(s.base.size) * 8) {
      if (stats !== undefined) stats.copiedEntries += s.size;
      return new CowMap(new Map(s), new Map(), new Set(), 0);
    }
    if (stats !== undefined) stats.copiedEntries += changed;
    return new CowMap(s.base, new Map(s.top), new Set(s.gone), s.tail);
  }

  get size(): number {
    return this.base.size - this.gone.size + this.tail;
  }

  get [Symbol.toStringTag](): string {
    return 'CowMap';
  }

  /** A base key that keeps its base position (not deleted since). */
  private atBase(key: K): boolean {
    return (this.gone.size === 0 || !this.gone.has(key)) && this.base.has(key);
  }

  has(key: K): boolean {
    return this.top.has(key) || this.atBase(key);
  }

  /** (Read per request by handlers: the common case, a key not changed lately, is two lookups.) */
  get(key: K): V | undefined {
    if (this.top.size > 0) {
      const v = this.top.get(key);
      if (v !== undefined || this.top.has(key)) return v;
    }
    if (this.gone.size > 0 && this.gone.has(key)) return undefined;
    return this.base.get(key);
  }

  set(key: K, value: V): this {
    if (!this.top.has(key) && !this.atBase(key)) this.tail++;
    this.top.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.atBase(key)) {
      this.gone.add(key);
      this.top.delete(key);
      return true;
    }
    if (!this.top.delete(key)) return false;
    this.tail--;
    return true;
  }

  clear(): void {
    this.base = new Map();
    this.top.clear();
    this.gone.clear();
    this.tail = 0;
  }

  /** Nothing changed since the fork: iterating the base is iterating this map. */
  private get unchanged(): boolean {
    return this.top.size === 0 && this.gone.size === 0;
  }

  *entries(): MapIterator<[K, V]> {
    if (this.unchanged) return yield* this.base.entries();
    for (const [k, v] of this.base) {
      if (this.gone.has(k)) continue;
      yield [k, this.top.has(k) ? (this.top.get(k) as V) : v];
    }
    for (const [k, v] of this.top) if (!this.atBase(k)) yield [k, v];
  }

  *keys(): MapIterator<K> {
    if (this.unchanged) return yield* this.base.keys();
    for (const k of this.base.keys()) if (!this.gone.has(k)) yield k;
    for (const k of this.top.keys()) if (!this.atBase(k)) yield k;
  }

  /** (Iterated over every topic at start-up: without a [key, value] pair per entry.) */
  *values(): MapIterator<V> {
    if (this.unchanged) return yield* this.base.values();
    for (const [k, v] of this.base) {
      if (this.gone.has(k)) continue;
      yield this.top.has(k) ? (this.top.get(k) as V) : v;
    }
    for (const [k, v] of this.top) if (!this.atBase(k)) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
