/**
 * Session windows: per key, activity separated by at most an inactivity gap forms one session
 * [first record, last record]; a record that bridges two sessions merges them. Aggregations over
 * them (count, reduce, aggregate with a merger) and the session-windowed key serde.
 *
 * Kafka's rules kept (SessionWindows, KStreamSessionWindowAggregate, SessionKeySchema): a record
 * at t joins every session of its key that ends at or after t - gap and starts at or before
 * t + gap; the merged session spans all of them and t; the merged sessions are removed and a
 * tombstone is forwarded for each (its windowed key) before the merged session's new aggregate;
 * a session is closed once its end + gap + grace is before stream time, and a record whose merged
 * session would be closed is dropped as late; suppress(untilWindowCloses) waits grace + gap; null keys
 * and values are skipped; a session-windowed key is the key's bytes, then the end, then the start
 * (8 bytes big-endian each). Samsa's deviations: the sessions of a key are one key-value entry
 * (entry-list-serde.ts); closed sessions are purged when their key is next written, and a key
 * whose sessions all closed leaves the store once the store's stream time (the largest session
 * end written) passes its last session end + retention (window-retention.ts).
 */
import type { Materialized } from './builder.js';
import { entryListSerde, latestEnd, type Entry } from './entry-list-serde.js';
import { windowRetention, type Aggregator, type KGroupedStream } from './kgrouped-stream.js';
import { KTable } from './ktable.js';
import { Serdes, untyped, type Serde } from './serdes.js';
import type { Windowed } from './windows.js';

export class SessionWindows {
  private constructor(
    readonly gapMs: number,
    readonly graceMs: number,
  ) {
    if (!(gapMs > 0)) throw new RangeError('Gap time (inactivityGapMs) cannot be zero or negative.');
    if (graceMs < 0) throw new RangeError('Grace period must not be negative.');
  }

  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(gapMs, graceMs);
  }

  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return new SessionWindows(gapMs, 0);
  }
}

/** Kafka's SessionWindowedSerde: key bytes, session end, session start (8 bytes big-endian each). */
export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    serialize: (w) => {
      if (w === null || w === undefined) return null;
      const k = inner.serialize(w.key) ?? Buffer.alloc(0);
      const out = Buffer.alloc(k.length + 16);
      k.copy(out);
      out.writeBigInt64BE(BigInt(w.window.end), k.length);
      out.writeBigInt64BE(BigInt(w.window.start), k.length + 8);
      return out;
    },
    deserialize: (d) => {
      if (d === null) return null as unknown as Windowed<K>;
      if (d.length < 16) throw new RangeError('a session-windowed key needs at least 16 bytes');
      const end = Number(d.readBigInt64BE(d.length - 16));
      const start = Number(d.readBigInt64BE(d.length - 8));
      return { key: inner.deserialize(d.subarray(0, d.length - 16)), window: { start, end } };
    },
  };
}

export class SessionWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: SessionWindows,
  ) {}

  count(m: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate<number>(() => 0, (_k, _v, n) => n + 1, (_k, a, b) => a + b, { ...m, valueSerde: m.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (aggregate: V, value: V) => V, m: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    const merge = (a: V | undefined, b: V | undefined): V | undefined => (a === undefined ? b : b === undefined ? a : reducer(a, b));
    return this.build<V | undefined>('KSTREAM-REDUCE-', () => undefined, (_k, v, a) => merge(a, v), (_k, a, b) => merge(a, b), { ...m, valueSerde: m.valueSerde ?? this.grouped.valueSerde }) as KTable<Windowed<K>, V>;
  }

  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, merger: (key: K, a: A, b: A) => A, m: Materialized<K, A> = {}): KTable<Windowed<K>, A> {
    return this.build<A>('KSTREAM-AGGREGATE-', initializer, aggregator, merger, m);
  }

  private build<A>(prefix: string, initializer: () => A, aggregator: Aggregator<K, V, A>, merger: (key: K, a: A, b: A) => A, m: Materialized<K, A> | Materialized<K, unknown>): KTable<Windowed<K>, A> {
    const b = this.grouped.builder;
    const { from, store } = this.grouped.prepare(prefix, m);
    const inner = (m.keySerde ?? this.grouped.keySerde) as Serde<K> | undefined;
    if (inner === undefined) throw new Error(`the session store ${store} needs a key serde (Materialized.keySerde or Grouped.keySerde)`);
    const valueSerde = m.valueSerde as Serde<A> | undefined;
    // The sessions of a key: entries (start, end, aggregate).
    // Kept for gap + grace (Materialized retentionMs: at least that) after the store's stream time passed the key's last session end.
    b.addStore(store, inner, entryListSerde(valueSerde ? untyped(valueSerde) : untyped(Serdes.Json<unknown>())), { retentionMs: windowRetention(store, this.windows.gapMs + this.windows.graceMs, m.retentionMs), timeOf: latestEnd });
    const { gapMs, graceMs } = this.windows;
    const node = b.addProcessor(prefix, [from], () => {
      let observed = -1;
      return {
        process: (r, ctx) => {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          const key = r.key as K;
          const ts = r.timestamp;
          observed = Math.max(observed, ts);
          const closeTime = observed - graceMs - gapMs; // a session can still grow by a record up to gap after its end
          const s = ctx.store<K, Entry<A>[]>(store);
          const sessions = (s.get(key) ?? []).filter((e) => e.end >= closeTime);
          const overlapping = sessions.filter((e) => e.end >= ts - gapMs && e.ts <= ts + gapMs);
          let start = ts;
          let end = ts;
          let agg = initializer();
          for (const e of overlapping) {
            start = Math.min(start, e.ts);
            end = Math.max(end, e.end);
            agg = merger(key, agg, e.value);
          }
          if (end < closeTime) return; // late: the session closed
          for (const e of overlapping) {
            if (e.ts !== start || e.end !== end) ctx.forward({ ...r, key: { key, window: { start: e.ts, end: e.end } } satisfies Windowed<K>, value: null });
          }
          agg = aggregator(key, r.value as V, agg);
          const rest = sessions.filter((e) => !overlapping.includes(e));
          s.put(key, [...rest, { ts: start, end, tag: 0, value: agg }].sort((x, y) => x.ts - y.ts));
          ctx.forward({ ...r, key: { key, window: { start, end } } satisfies Windowed<K>, value: agg, timestamp: end });
        },
      };
    }, [store]);
    return new KTable<Windowed<K>, A>(b, node, sessionWindowedSerde(inner), valueSerde, null).windowed(graceMs + gapMs);
  }
}
