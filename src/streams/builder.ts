/**
 * StreamsBuilder: the entry point of the DSL. stream() and table() add source nodes; the KStream,
 * KGroupedStream and KTable operations add processors, sinks, stores and repartition topics to
 * the one Topology that build() returns.
 *
 * Kafka's rules kept: a table read from a topic is materialized in a store (and logged); records
 * with a null key are dropped by table sources; each operation's node gets the next generated
 * name. Samsa's deviation: no topology optimization (a source table gets its own changelog topic
 * rather than reusing its input topic).
 */
import type { Processor, ProcessorSupplier } from './processor.js';
import { untyped, type Serde } from './serdes.js';
import { Topology } from './topology.js';
import type { RetentionSpec } from './window-retention.js';
import { KStream } from './kstream.js';
import { KTable } from './ktable.js';
import { GlobalKTable } from './global-ktable.js';

export interface Consumed<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

export interface Materialized<K, V> {
  /** The store's name (its changelog is `<application.id>-<name>-changelog`). */
  storeName?: string | undefined;
  keySerde?: Serde<K> | undefined;
  valueSerde?: Serde<V> | undefined;
  /**
   * Materialized.withRetention of a windowed store (ms): how long a window stays in the store after
   * stream time passed its start; at least window size + grace (the default; session windows: gap + grace).
   */
  retentionMs?: number | undefined;
}

export class StreamsBuilder {
  readonly topology = new Topology();
  private built = false;

  stream<K, V>(topics: string | readonly string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const name = this.topology.newName('KSTREAM-SOURCE-');
    this.topology.add({ kind: 'source', name, topics: typeof topics === 'string' ? [topics] : [...topics], keySerde: consumed.keySerde && untyped(consumed.keySerde), valueSerde: consumed.valueSerde && untyped(consumed.valueSerde) });
    return new KStream<K, V>(this, name, consumed.keySerde, consumed.valueSerde, false);
  }

  table<K, V>(topic: string, consumed: Consumed<K, V> & Materialized<K, V> = {}): KTable<K, V> {
    const source = this.topology.newName('KSTREAM-SOURCE-');
    this.topology.add({ kind: 'source', name: source, topics: [topic], keySerde: consumed.keySerde && untyped(consumed.keySerde), valueSerde: consumed.valueSerde && untyped(consumed.valueSerde) });
    const storeName = consumed.storeName ?? `${topic}-STATE-STORE-${this.topology.newName('')}`;
    this.addStore(storeName, consumed.keySerde, consumed.valueSerde);
    const name = this.addProcessor('KTABLE-SOURCE-', [source], () => tableSource(storeName), [storeName]);
    return new KTable<K, V>(this, name, consumed.keySerde, consumed.valueSerde, storeName);
  }

  /** A table replicated in full on every instance, read from all partitions of `topic` (no changelog). */
  globalTable<K, V>(topic: string, consumed: Consumed<K, V> & Materialized<K, V> = {}): GlobalKTable<K, V> {
    const sourceName = this.topology.newName('KSTREAM-SOURCE-');
    const processorName = this.topology.newName('KTABLE-SOURCE-');
    const storeName = consumed.storeName ?? `${topic}-STATE-STORE-${this.topology.newName('')}`;
    if (this.topology.globalStores.has(storeName) || this.topology.stores.has(storeName)) throw new Error(`StateStore ${storeName} is already added.`);
    this.topology.globalStores.set(storeName, { topic, keySerde: consumed.keySerde && untyped(consumed.keySerde), valueSerde: consumed.valueSerde && untyped(consumed.valueSerde), sourceName, processorName });
    return new GlobalKTable<K, V>(topic, storeName, consumed.keySerde, consumed.valueSerde);
  }

  /** A logged key-value store for processors of the Processor API (KStream.process(supplier, name)). */
  addStateStore<K, V>(store: { name: string; keySerde: Serde<K>; valueSerde: Serde<V> }): this {
    this.addStore(store.name, store.keySerde, store.valueSerde);
    return this;
  }

  build(): Topology {
    this.built = true;
    return this.topology;
  }

  /** @internal */
  addProcessor(prefix: string, parents: readonly string[], supplier: ProcessorSupplier, stores: readonly string[] = [], name?: string): string {
    if (this.built) throw new Error('the topology was built already');
    const n = name ?? this.topology.newName(prefix);
    this.topology.add({ kind: 'processor', name: n, parents: [...parents], supplier, stores: [...stores] });
    return n;
  }

  /** @internal */
  addSink(parent: string, topic: string, keySerde: Serde<unknown> | undefined, valueSerde: Serde<unknown> | undefined): string {
    const name = this.topology.newName('KSTREAM-SINK-');
    this.topology.add({ kind: 'sink', name, parents: [parent], topic, keySerde, valueSerde });
    return name;
  }

  /** @internal */
  addStore<K, V>(name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, retention?: RetentionSpec): void {
    this.topology.addStore({ name, keySerde: keySerde && untyped(keySerde), valueSerde: valueSerde && untyped(valueSerde), logged: true, retention });
  }

  /** @internal A sink to `<name>-repartition` and a source reading it back; returns the source's name. */
  repartition(parent: string, name: string, keySerde: Serde<unknown> | undefined, valueSerde: Serde<unknown> | undefined): string {
    const topic = `${name}-repartition`;
    this.topology.repartitionTopics.add(topic);
    const dropNullKeys = this.addProcessor('KSTREAM-FILTER-', [parent], () => ({ process: (r, ctx) => (r.key === null || r.key === undefined ? undefined : ctx.forward(r)) }));
    this.addSink(dropNullKeys, topic, keySerde, valueSerde);
    const source = this.topology.newName('KSTREAM-SOURCE-');
    this.topology.add({ kind: 'source', name: source, topics: [topic], keySerde, valueSerde });
    return source;
  }
}

function tableSource(storeName: string): Processor {
  return {
    process: (r, ctx) => {
      if (r.key === null || r.key === undefined) return;
      ctx.store<unknown, unknown>(storeName).put(r.key, r.value);
      ctx.forward(r);
    },
  };
}
