/**
 * KTable: a changelog stream (the latest value per key), from a topic or an aggregation, with
 * filter, mapValues and toStream.
 *
 * Kafka's rules kept: a null value is a deletion (a tombstone downstream); filter() turns a
 * record that does not match into a tombstone for its key, and passes tombstones on; mapValues()
 * keeps tombstones. Samsa's deviations: filter() and mapValues() results are not materialized
 * (they cannot be joined with; join the table they come from), and updates carry the new value
 * only (no old value).
 */
import type { StreamsBuilder } from './builder.js';
import { KStream } from './kstream.js';
import type { Serde } from './serdes.js';

export class KTable<K, V> {
  /** @internal */
  constructor(
    readonly builder: StreamsBuilder,
    readonly node: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    /** The store holding the table (null: not materialized). */
    readonly storeName: string | null,
  ) {}

  filter(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    const node = this.builder.addProcessor('KTABLE-FILTER-', [this.node], () => ({
      process: (r, ctx) => ctx.forward(r.value === null || r.value === undefined || predicate(r.key as K, r.value as V) ? r : { ...r, value: null }),
    }));
    return new KTable<K, V>(this.builder, node, this.keySerde, this.valueSerde, null);
  }

  filterNot(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    return this.filter((k, v) => !predicate(k, v));
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2): KTable<K, V2> {
    const node = this.builder.addProcessor('KTABLE-MAPVALUES-', [this.node], () => ({
      process: (r, ctx) => ctx.forward(r.value === null || r.value === undefined ? r : { ...r, value: mapper(r.value as V, r.key as K) }),
    }));
    return new KTable<K, V2>(this.builder, node, this.keySerde, undefined, null);
  }

  toStream(): KStream<K, V> {
    const node = this.builder.addProcessor('KTABLE-TOSTREAM-', [this.node], () => ({ process: (r, ctx) => ctx.forward(r) }));
    return new KStream<K, V>(this.builder, node, this.keySerde, this.valueSerde, false);
  }
}
