/**
 * KGroupedStream and TimeWindowedKStream: the aggregations (count, reduce, aggregate) of a
 * grouped stream, into a KTable backed by a logged key-value store, per key or per key and time
 * window.
 *
 * Kafka's rules kept: a grouped stream whose key changed is repartitioned first through
 * `<name>-repartition` (name: the Grouped name, else the store's); records with a null key or a
 * null value are skipped; every update of an aggregate is forwarded downstream (as with Kafka's
 * cache disabled); a windowed aggregation drops a record whose window closed (window end + grace
 * at or before the processor's observed stream time) and stores each window under the windowed
 * key (key bytes + 8-byte start); the store keeps a window for its retention (Materialized's
 * retentionMs, default and minimum window size + grace) after the store's stream time passed its
 * start (window-retention.ts). Samsa's deviation: counts are JS numbers.
 */
import type { Materialized, StreamsBuilder } from './builder.js';
import { KTable } from './ktable.js';
import { Serdes, untyped, type Serde } from './serdes.js';
import { timeWindowedSerde, TimeWindows, type Windowed } from './windows.js';
import { windowStartOf } from './window-retention.js';
import { SessionWindowedKStream, SessionWindows } from './session-windows.js';
import { SlidingWindowedKStream, type SlidingWindows } from './sliding-windows.js';

/** Folds one record into a key's aggregate (Kafka Streams' Aggregator). */
export type Aggregator<K, V, A> = (key: K, value: V, aggregate: A) => A;

export class KGroupedStream<K, V> {
  /** @internal */
  constructor(
    readonly builder: StreamsBuilder,
    readonly node: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    readonly repartitionRequired: boolean,
    readonly groupName: string | undefined,
  ) {}

  count(m: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregate<number>(() => 0, (_k, _v, n) => n + 1, { ...m, valueSerde: m.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (aggregate: V, value: V) => V, m: Materialized<K, V> = {}): KTable<K, V> {
    return this.doAggregate<V>('KSTREAM-REDUCE-', (_k, v, a) => (a === undefined ? v : reducer(a, v)), { ...m, valueSerde: m.valueSerde ?? this.valueSerde });
  }

  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, m: Materialized<K, A> = {}): KTable<K, A> {
    return this.doAggregate<A>('KSTREAM-AGGREGATE-', (k, v, a) => aggregator(k, v, a ?? initializer()), m);
  }

  /** Tumbling/hopping (TimeWindows), session (SessionWindows) or sliding (SlidingWindows) windows. */
  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: SlidingWindows): SlidingWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SessionWindows | SlidingWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> | SlidingWindowedKStream<K, V> {
    if (windows instanceof TimeWindows) return new TimeWindowedKStream<K, V>(this, windows);
    if (windows instanceof SessionWindows) return new SessionWindowedKStream<K, V>(this, windows);
    return new SlidingWindowedKStream<K, V>(this, windows);
  }

  /** @internal The source node to aggregate from (repartitioned when the key changed) and the store name. */
  prepare(prefix: string, m: { storeName?: string | undefined }): { from: string; store: string } {
    const store = m.storeName ?? `${prefix}STATE-STORE-${this.builder.topology.newName('')}`;
    const from = this.repartitionRequired ? this.builder.repartition(this.node, this.groupName ?? store, this.keySerde && untyped(this.keySerde), this.valueSerde && untyped(this.valueSerde)) : this.node;
    return { from, store };
  }

  private doAggregate<A>(prefix: string, step: (k: K, v: V, a: A | undefined) => A, m: Materialized<K, A>): KTable<K, A> {
    const { from, store } = this.prepare(prefix, m);
    const keySerde = m.keySerde ?? this.keySerde;
    this.builder.addStore(store, keySerde, m.valueSerde);
    const node = this.builder.addProcessor(prefix, [from], () => ({
      process: (r, ctx) => {
        if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
        const s = ctx.store<K, A>(store);
        const next = step(r.key as K, r.value as V, s.get(r.key as K));
        s.put(r.key as K, next);
        ctx.forward({ ...r, value: next });
      },
    }), [store]);
    return new KTable<K, A>(this.builder, node, keySerde, m.valueSerde, store);
  }
}

export class TimeWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: TimeWindows,
  ) {}

  count(m: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate<number>(() => 0, (_k, _v, n) => n + 1, { ...m, valueSerde: m.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (aggregate: V, value: V) => V, m: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.doAggregate<V>('KSTREAM-REDUCE-', (_k, v, a) => (a === undefined ? v : reducer(a, v)), { ...m, valueSerde: m.valueSerde ?? this.grouped.valueSerde });
  }

  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, m: Materialized<K, A> = {}): KTable<Windowed<K>, A> {
    return this.doAggregate<A>('KSTREAM-AGGREGATE-', (k, v, a) => aggregator(k, v, a ?? initializer()), m);
  }

  private doAggregate<A>(prefix: string, step: (k: K, v: V, a: A | undefined) => A, m: Materialized<K, A>): KTable<Windowed<K>, A> {
    const b = this.grouped.builder;
    const { from, store } = this.grouped.prepare(prefix, m);
    const inner = m.keySerde ?? this.grouped.keySerde;
    if (inner === undefined) throw new Error(`the windowed store ${store} needs a key serde (Materialized.keySerde or Grouped.keySerde)`);
    const keySerde = timeWindowedSerde(inner, this.windows.sizeMs);
    b.addStore(store, keySerde, m.valueSerde, { retentionMs: windowRetention(store, this.windows.sizeMs + this.windows.graceMs, m.retentionMs), timeOf: windowStartOf });
    const windows = this.windows;
    const node = b.addProcessor(prefix, [from], () => {
      let observed = -1;
      return {
        process: (r, ctx) => {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          observed = Math.max(observed, r.timestamp);
          const closeTime = observed - windows.graceMs;
          const s = ctx.store<Windowed<K>, A>(store);
          for (const window of windows.windowsFor(r.timestamp)) {
            if (window.end <= closeTime) continue; // late: the window closed
            const wk: Windowed<K> = { key: r.key as K, window };
            const next = step(r.key as K, r.value as V, s.get(wk));
            s.put(wk, next);
            ctx.forward({ ...r, key: wk, value: next });
          }
        },
      };
    }, [store]);
    return new KTable<Windowed<K>, A>(b, node, keySerde, m.valueSerde, store).windowed(this.windows.graceMs);
  }
}

/** A windowed store's retention: Materialized's, else `minimum`; a shorter one than `minimum` is refused (as Kafka). */
export function windowRetention(store: string, minimum: number, retentionMs: number | undefined): number {
  const r = retentionMs ?? minimum;
  if (r < minimum) throw new RangeError(`The retention period of the window store ${store} must be no smaller than its window size plus the grace period. Got size+grace=[${minimum}], retention=[${r}]`);
  return r;
}
