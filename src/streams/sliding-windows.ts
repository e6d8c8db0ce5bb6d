/**
 * Sliding windows (KIP-450): windows of a fixed time difference that slide with the records, so
 * each distinct set of records a window of that length can hold is aggregated once; aggregations
 * over them (count, reduce, aggregate).
 *
 * Kafka's rules kept (SlidingWindows, KStreamSlidingWindowAggregate): windows are [start,
 * start + timeDifference], both ends inclusive; each record at t has a left window [t - d, t]
 * and, when some record of its key lies in (t, t + d], a right window [t + 1, t + 1 + d]; a
 * window's aggregate covers every record of the key in it; a record updates every window that
 * contains it (an out-of-order record within grace too); a window is closed, and no longer
 * updated, once its end is before stream time minus grace, and a record is dropped when even the
 * window starting at it ([t, t + d]) closed; the windowed key is the time-windowed one (key bytes + start). Samsa's
 * deviations: the records of a key within reach are kept (one key-value entry per key) and the
 * affected windows are re-aggregated from them in arrival order, rather than kept as window
 * aggregates (a key whose latest record is out of reach, 2 d + 1 + grace behind the store's
 * stream time, leaves the store: window-retention.ts); the windows table is not materialized for queries.
 */
import type { Materialized } from './builder.js';
import { entryListSerde, anySerde, latestTs, type Entry } from './entry-list-serde.js';
import type { Aggregator, KGroupedStream } from './kgrouped-stream.js';
import { KTable } from './ktable.js';
import { Serdes, untyped, type Serde } from './serdes.js';
import { timeWindowedSerde, type Windowed } from './windows.js';

export class SlidingWindows {
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {
    if (timeDifferenceMs < 0) throw new RangeError('Window time difference must not be negative.');
    if (graceMs < 0) throw new RangeError('Window grace period must not be negative.');
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(timeDifferenceMs, graceMs);
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return new SlidingWindows(timeDifferenceMs, 0);
  }
}

export class SlidingWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: SlidingWindows,
  ) {}

  count(m: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate<number>(() => 0, (_k, _v, n) => n + 1, { ...m, valueSerde: m.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (aggregate: V, value: V) => V, m: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.build<V | undefined>('KSTREAM-REDUCE-', () => undefined, (_k, v, a) => (a === undefined ? v : reducer(a, v)), { ...m, valueSerde: m.valueSerde ?? this.grouped.valueSerde }) as KTable<Windowed<K>, V>;
  }

  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, m: Materialized<K, A> = {}): KTable<Windowed<K>, A> {
    return this.build<A>('KSTREAM-AGGREGATE-', initializer, aggregator, m);
  }

  private build<A>(prefix: string, initializer: () => A, aggregator: Aggregator<K, V, A>, m: Materialized<K, A> | Materialized<K, unknown>): KTable<Windowed<K>, A> {
    const b = this.grouped.builder;
    const { from, store } = this.grouped.prepare(prefix, m);
    const inner = (m.keySerde ?? this.grouped.keySerde) as Serde<K> | undefined;
    if (inner === undefined) throw new Error(`the sliding-window store ${store} needs a key serde (Materialized.keySerde or Grouped.keySerde)`);
    const recordSerde = this.grouped.valueSerde ? untyped(this.grouped.valueSerde) : anySerde;
    const d = this.windows.timeDifferenceMs;
    const grace = this.windows.graceMs;
    // The records of a key within reach; a key whose latest record is out of reach (2 d + 1 + grace) leaves the store.
    b.addStore(store, inner, entryListSerde(recordSerde), { retentionMs: 2 * d + 1 + grace, timeOf: latestTs });
    const node = b.addProcessor(prefix, [from], () => {
      let observed = -1;
      return {
        process: (r, ctx) => {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          const key = r.key as K;
          const ts = r.timestamp;
          observed = Math.max(observed, ts);
          const closeTime = observed - grace;
          if (ts + d < closeTime) return; // late: even the window starting at it closed
          const s = ctx.store<K, Entry<V>[]>(store);
          const records = [...(s.get(key) ?? []).filter((e) => e.ts + 2 * d + 1 >= closeTime), { ts, tag: 0, end: 0, value: r.value as V }];
          s.put(key, records);
          const starts = new Set<number>([ts - d]);
          if (records.some((e) => e.ts > ts && e.ts <= ts + d)) starts.add(ts + 1);
          for (const e of records) {
            if (e.ts > ts && e.ts <= ts + d) starts.add(e.ts - d); // its left window now holds this record
            if (e.ts < ts && e.ts >= ts - d - 1) starts.add(e.ts + 1); // its right window now holds this record
          }
          for (const start of [...starts].sort((x, y) => x - y)) {
            const end = start + d;
            if (end < closeTime) continue; // closed
            const inWindow = records.filter((e) => e.ts >= start && e.ts <= end);
            if (inWindow.length === 0) continue;
            let agg = initializer();
            for (const e of inWindow) agg = aggregator(key, e.value, agg);
            ctx.forward({ ...r, key: { key, window: { start, end } } satisfies Windowed<K>, value: agg, timestamp: Math.max(...inWindow.map((e) => e.ts)) });
          }
        },
      };
    }, [store]);
    return new KTable<Windowed<K>, A>(b, node, timeWindowedSerde(inner, d), m.valueSerde as Serde<A> | undefined, null).windowed(grace);
  }
}
