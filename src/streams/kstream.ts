/**
 * KStream: a record stream and its stateless operations, grouping, stream-table joins and sinks.
 *
 * Kafka's rules kept: map, flatMap and selectKey mark the stream for repartitioning, and a later
 * groupByKey / join then goes through a `<name>-repartition` topic (null keys dropped on the way);
 * mapValues and friends keep the key (and need no repartition); branch() sends a record to the
 * first matching branch only; a stream-table inner join drops records without a key or without a
 * table match, a left join calls the joiner with null instead; to() serializes with the given
 * serdes and partitions by the serialized key. Samsa's deviations: mappers return tuples
 * `[key, value]` rather than KeyValue objects; branches of split() are named `<prefix><index>`
 * unless named.
 */
import type { StreamsBuilder } from './builder.js';
import { GlobalKTable } from './global-ktable.js';
import type { JoinWindows } from './join-windows.js';
import { KGroupedStream } from './kgrouped-stream.js';
import type { KTable } from './ktable.js';
import { addStreamStreamJoin, type JoinKind } from './stream-stream-join.js';
import type { ProcessorSupplier, StreamRecord } from './processor.js';
import { untyped, type Serde } from './serdes.js';

export interface Produced<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

export interface Grouped<K, V> {
  /** Names the repartition topic (`<application.id>-<name>-repartition`). */
  name?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

/** Kafka's StreamJoined: the serdes of both sides' join stores and the stores' name. */
export interface StreamJoined<K, V, VO> {
  /** Names the join stores (`KSTREAM-JOINTHIS-<name>-store`, ...) and repartition topics. */
  name?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  otherValueSerde?: Serde<VO>;
}

type Fwd = (r: StreamRecord) => void;
const stateless = (fn: (r: StreamRecord, forward: Fwd) => void): ProcessorSupplier => () => ({ process: (r, ctx) => fn(r, (o) => ctx.forward(o)) });

export class KStream<K, V> {
  /** @internal */
  constructor(
    readonly builder: StreamsBuilder,
    readonly node: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    readonly repartitionRequired: boolean,
  ) {}

  private next<K2, V2>(prefix: string, fn: (r: StreamRecord, forward: Fwd) => void, keySerde: Serde<K2> | undefined, valueSerde: Serde<V2> | undefined, repartition: boolean): KStream<K2, V2> {
    const node = this.builder.addProcessor(prefix, [this.node], stateless(fn));
    return new KStream<K2, V2>(this.builder, node, keySerde, valueSerde, repartition);
  }

  filter(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.next('KSTREAM-FILTER-', (r, f) => (predicate(r.key as K, r.value as V) ? f(r) : undefined), this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  filterNot(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.filter((k, v) => !predicate(k, v));
  }

  map<K2, V2>(mapper: (key: K, value: V) => [K2, V2]): KStream<K2, V2> {
    return this.next<K2, V2>('KSTREAM-MAP-', (r, f) => {
      const [key, value] = mapper(r.key as K, r.value as V);
      f({ ...r, key, value });
    }, undefined, undefined, true);
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<[K2, V2]>): KStream<K2, V2> {
    return this.next<K2, V2>('KSTREAM-FLATMAP-', (r, f) => {
      for (const [key, value] of mapper(r.key as K, r.value as V)) f({ ...r, key, value });
    }, undefined, undefined, true);
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2): KStream<K, V2> {
    return this.next<K, V2>('KSTREAM-MAPVALUES-', (r, f) => f({ ...r, value: mapper(r.value as V, r.key as K) }), this.keySerde, undefined, this.repartitionRequired);
  }

  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>): KStream<K, V2> {
    return this.next<K, V2>('KSTREAM-FLATMAPVALUES-', (r, f) => {
      for (const value of mapper(r.value as V, r.key as K)) f({ ...r, value });
    }, this.keySerde, undefined, this.repartitionRequired);
  }

  selectKey<K2>(selector: (key: K, value: V) => K2): KStream<K2, V> {
    return this.next<K2, V>('KSTREAM-KEY-SELECT-', (r, f) => f({ ...r, key: selector(r.key as K, r.value as V) }), undefined, this.valueSerde, true);
  }

  peek(action: (key: K, value: V) => void): KStream<K, V> {
    return this.next('KSTREAM-PEEK-', (r, f) => {
      action(r.key as K, r.value as V);
      f(r);
    }, this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  foreach(action: (key: K, value: V) => void): void {
    this.builder.addProcessor('KSTREAM-FOREACH-', [this.node], stateless((r) => action(r.key as K, r.value as V)));
  }

  /** Kafka's (deprecated) branch(): one stream per predicate; a record goes to the first that matches. */
  branch(...predicates: ((key: K, value: V) => boolean)[]): KStream<K, V>[] {
    const children: string[] = [];
    const branchNode = this.builder.addProcessor('KSTREAM-BRANCH-', [this.node], () => ({
      process: (r, ctx) => {
        const i = predicates.findIndex((p) => p(r.key as K, r.value as V));
        const child = children[i];
        if (child !== undefined) ctx.forward(r, child);
      },
    }));
    for (let i = 0; i < predicates.length; i++) children.push(this.builder.addProcessor('KSTREAM-BRANCHCHILD-', [branchNode], stateless((r, f) => f(r))));
    return children.map((child) => new KStream<K, V>(this.builder, child, this.keySerde, this.valueSerde, this.repartitionRequired));
  }

  /** Kafka's split(): named branches, then defaultBranch() or noDefaultBranch() gives them. */
  split(prefix = 'KSTREAM-BRANCH-'): BranchedKStream<K, V> {
    return new BranchedKStream(this, prefix);
  }

  merge(other: KStream<K, V>): KStream<K, V> {
    const node = this.builder.addProcessor('KSTREAM-MERGE-', [this.node, other.node], stateless((r, f) => f(r)));
    return new KStream<K, V>(this.builder, node, this.keySerde, this.valueSerde, this.repartitionRequired || other.repartitionRequired);
  }

  to(topic: string, produced: Produced<K, V> = {}): void {
    this.builder.addSink(this.node, topic, untypedOr(produced.keySerde ?? this.keySerde), untypedOr(produced.valueSerde ?? this.valueSerde));
  }

  /** Through a repartition topic (partitioned by the current key). */
  repartition(opts: Grouped<K, V> = {}): KStream<K, V> {
    const keySerde = opts.keySerde ?? this.keySerde;
    const valueSerde = opts.valueSerde ?? this.valueSerde;
    const source = this.builder.repartition(this.node, opts.name ?? this.builder.topology.newName('KSTREAM-REPARTITION-'), untypedOr(keySerde), untypedOr(valueSerde));
    return new KStream<K, V>(this.builder, source, keySerde, valueSerde, false);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream<K, V>(this.builder, this.node, grouped.keySerde ?? this.keySerde, grouped.valueSerde ?? this.valueSerde, this.repartitionRequired, grouped.name);
  }

  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    return this.selectKey(selector).groupByKey(grouped);
  }

  /** Stream-stream windowed inner join; stream-table inner join; stream-globaltable inner join (by keySelector). */
  join<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR, opts?: Grouped<K, V>): KStream<K, VR>;
  join<GK, GV, VR>(table: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV) => VR): KStream<K, VR>;
  join(other: KStream<K, unknown> | KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: (x: never, y: never) => unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.dispatchJoin(other, a, b, c, 'inner');
  }

  /** Left joins: windowed with a stream (unmatched left records after the window closes), with a table, with a global table. */
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO | null) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => VR, opts?: Grouped<K, V>): KStream<K, VR>;
  leftJoin<GK, GV, VR>(table: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV | null) => VR): KStream<K, VR>;
  leftJoin(other: KStream<K, unknown> | KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: (x: never, y: never) => unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.dispatchJoin(other, a, b, c, 'left');
  }

  /** Stream-stream windowed outer join: unmatched records of either side, with null for the other, once their window closed. */
  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V | null, otherValue: VO | null) => VR, windows: JoinWindows, joined: StreamJoined<K, V, VO> = {}): KStream<K, VR> {
    return this.streamJoin(other, joiner as (l: unknown, r: unknown) => VR, windows, joined, 'outer');
  }

  private dispatchJoin(other: KStream<K, unknown> | KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: (x: never, y: never) => unknown, b: unknown, c: unknown, kind: 'inner' | 'left'): KStream<K, unknown> {
    const fn = a as (x: unknown, y: unknown) => unknown;
    if (other instanceof KStream) return this.streamJoin(other, fn, b as JoinWindows, (c ?? {}) as StreamJoined<K, V, unknown>, kind);
    if (other instanceof GlobalKTable) return this.globalJoin(other, fn, b as (v: unknown, g: unknown) => unknown, kind === 'left');
    return this.joinTable(other, fn, kind === 'left', (b ?? {}) as Grouped<K, V>);
  }

  private streamJoin<VO, VR>(other: KStream<K, VO>, joiner: (l: unknown, r: unknown) => VR, windows: JoinWindows, joined: StreamJoined<K, V, VO>, kind: JoinKind): KStream<K, VR> {
    const name = joined.name;
    const keySerde = joined.keySerde ?? this.keySerde ?? other.keySerde;
    const left = this.repartitionRequired ? this.repartition({ ...(keySerde ? { keySerde } : {}), name: `${name ?? this.builder.topology.newName('KSTREAM-JOIN-')}-left` }) : this;
    const right = other.repartitionRequired ? other.repartition({ ...(keySerde ? { keySerde } : {}), name: `${name ?? this.builder.topology.newName('KSTREAM-JOIN-')}-right` }) : other;
    this.builder.topology.copartition(left.node, right.node);
    const node = addStreamStreamJoin(this.builder, left.node, right.node, joiner, windows, kind, { key: untypedOr(keySerde), left: untypedOr(joined.valueSerde ?? this.valueSerde), right: untypedOr(joined.otherValueSerde ?? other.valueSerde) }, name);
    return new KStream<K, VR>(this.builder, node, keySerde, undefined, false);
  }

  private globalJoin<VR>(table: GlobalKTable<unknown, unknown>, keySelector: (k: unknown, v: unknown) => unknown, joiner: (v: unknown, g: unknown) => unknown, left: boolean): KStream<K, VR> {
    const store = table.storeName;
    const node = this.builder.addProcessor('KSTREAM-JOIN-', [this.node], () => ({
      process: (r, ctx) => {
        if (r.value === null || r.value === undefined) return;
        const gk = keySelector(r.key, r.value);
        const gv = gk === null || gk === undefined ? undefined : ctx.store<unknown, unknown>(store).get(gk);
        if (gv === undefined && !left) return;
        ctx.forward({ ...r, value: joiner(r.value, gv ?? null) });
      },
    }));
    return new KStream<K, VR>(this.builder, node, this.keySerde, undefined, this.repartitionRequired);
  }

  /** Processor API: a custom processor with access to the named stores. */
  process<K2, V2>(supplier: ProcessorSupplier, ...stores: string[]): KStream<K2, V2> {
    const node = this.builder.addProcessor('KSTREAM-PROCESSOR-', [this.node], supplier, stores);
    return new KStream<K2, V2>(this.builder, node, undefined, undefined, true);
  }

  private joinTable<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR, left: boolean, opts: Grouped<K, V>): KStream<K, VR> {
    const store = table.storeName;
    if (store === null) throw new Error('joining with a KTable needs a materialized table (from builder.table() or an aggregation)');
    const from = this.repartitionRequired ? this.repartition({ ...opts, name: opts.name ?? this.builder.topology.newName('KSTREAM-JOIN-') }) : this;
    this.builder.topology.copartition(from.node, table.node);
    const node = this.builder.addProcessor('KSTREAM-JOIN-', [from.node], () => ({
      process: (r, ctx) => {
        if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
        const tv = ctx.store<K, VT>(store).get(r.key as K);
        if (tv === undefined && !left) return;
        ctx.forward({ ...r, value: joiner(r.value as V, (tv ?? null) as VT) });
      },
    }), [store]);
    return new KStream<K, VR>(this.builder, node, this.keySerde, undefined, false);
  }
}

const untypedOr = <T>(s: Serde<T> | undefined): Serde<unknown> | undefined => (s === undefined ? undefined : untyped(s));

export class BranchedKStream<K, V> {
  private readonly branches: { name: string; predicate: (key: K, value: V) => boolean }[] = [];

  constructor(
    private readonly stream: KStream<K, V>,
    private readonly prefix: string,
  ) {}

  branch(predicate: (key: K, value: V) => boolean, name?: string): this {
    this.branches.push({ name: `${this.prefix}${name ?? String(this.branches.length + 1)}`, predicate });
    return this;
  }

  defaultBranch(name?: string): Map<string, KStream<K, V>> {
    return this.finish({ name: `${this.prefix}${name ?? '0'}`, predicate: () => true });
  }

  noDefaultBranch(): Map<string, KStream<K, V>> {
    return this.finish(null);
  }

  private finish(fallback: { name: string; predicate: (key: K, value: V) => boolean } | null): Map<string, KStream<K, V>> {
    const all = fallback ? [...this.branches, fallback] : this.branches;
    const streams = this.stream.branch(...all.map((b) => b.predicate));
    return new Map(all.map((b, i) => [b.name, streams[i] as KStream<K, V>]));
  }
}
