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
import type { Materialized, StreamsBuilder } from './builder.js';
import { addForeignKeyJoin } from './fk-join.js';
import { KStream } from './kstream.js';
import { untyped, type Serde } from './serdes.js';
import type { JoinKind } from './stream-stream-join.js';
import { addTableTableJoin } from './table-table-join.js';
import { addSuppress, type Suppressed } from './suppress.js';

type Joiner = (l: unknown, r: unknown) => unknown;
/** Any KTable, seen without its types. */
interface TableRef {
  readonly node: string;
  readonly storeName: string | null;
  readonly keySerde: unknown;
  readonly valueSerde: unknown;
}
const serdeOf = (s: unknown): Serde<unknown> | undefined => s as Serde<unknown> | undefined;
const untypedOr = <T>(s: Serde<T> | undefined): Serde<unknown> | undefined => (s === undefined ? undefined : untyped(s));

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

  /** The grace period of the windows of a windowed aggregation's table (undefined: not windowed). */
  private windowGraceMs: number | undefined;

  /** @internal Marks the table as the result of a windowed aggregation with this grace period. */
  windowed(graceMs: number): this {
    this.windowGraceMs = graceMs;
    return this;
  }

  /**
   * Holds back updates: with Suppressed.untilWindowCloses, one final result per window once it
   * closed (window end + grace); with Suppressed.untilTimeLimit, a key's latest value once the time
   * limit passed since its first held update (or earlier, when a bounded buffer is full).
   */
  suppress(suppressed: Suppressed): KTable<K, V> {
    if (this.keySerde === undefined) throw new Error('suppress needs the table key serde');
    const node = addSuppress(this.builder, this.node, suppressed, this.windowGraceMs, untyped(this.keySerde), untypedOr(this.valueSerde));
    return new KTable<K, V>(this.builder, node, this.keySerde, this.valueSerde, null);
  }

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

  /** Table-table inner join on the key, or (with a foreign-key extractor) a foreign-key inner join (KIP-213). */
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO) => VR, m?: Materialized<K, VR>): KTable<K, VR>;
  join<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V) => KO | null | undefined, joiner: (value: V, otherValue: VO) => VR, m?: Materialized<K, VR>): KTable<K, VR>;
  join<VR>(other: TableRef, a: (v: never, o: never) => unknown, b?: unknown, c?: unknown): KTable<K, VR> {
    return typeof b === 'function' ? this.fkJoin(other, a as (v: unknown) => unknown, b as Joiner, false, c as Materialized<K, VR> | undefined) : this.tableJoin(other, a as Joiner, 'inner', b as Materialized<K, VR> | undefined);
  }

  /** Table-table left join (joiner(value, null) without a match), or a foreign-key left join. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO | null) => VR, m?: Materialized<K, VR>): KTable<K, VR>;
  leftJoin<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V) => KO | null | undefined, joiner: (value: V, otherValue: VO | null) => VR, m?: Materialized<K, VR>): KTable<K, VR>;
  leftJoin<VR>(other: TableRef, a: (v: never, o: never) => unknown, b?: unknown, c?: unknown): KTable<K, VR> {
    return typeof b === 'function' ? this.fkJoin(other, a as (v: unknown) => unknown, b as Joiner, true, c as Materialized<K, VR> | undefined) : this.tableJoin(other, a as Joiner, 'left', b as Materialized<K, VR> | undefined);
  }

  /** Table-table outer join: a result while either side has a value. */
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | null, otherValue: VO | null) => VR, m?: Materialized<K, VR>): KTable<K, VR> {
    return this.tableJoin(other, joiner as Joiner, 'outer', m);
  }

  private materialize<VR>(m: Materialized<K, VR> | undefined): string | null {
    if (m?.storeName === undefined) return null;
    this.builder.addStore(m.storeName, m.keySerde ?? this.keySerde, m.valueSerde);
    return m.storeName;
  }

  private tableJoin<VR>(other: TableRef, joiner: Joiner, kind: JoinKind, m: Materialized<K, VR> | undefined): KTable<K, VR> {
    const ls = this.storeName;
    const rs = other.storeName;
    if (ls === null || rs === null) throw new Error('a table-table join needs materialized tables (from builder.table() or an aggregation)');
    const store = this.materialize(m);
    this.builder.topology.copartition(this.node, other.node);
    const node = addTableTableJoin(this.builder, { node: this.node, store: ls }, { node: other.node, store: rs }, joiner, kind, store);
    return new KTable<K, VR>(this.builder, node, m?.keySerde ?? this.keySerde, m?.valueSerde, store);
  }

  private fkJoin<VR>(other: TableRef, fk: (v: unknown) => unknown, joiner: Joiner, left: boolean, m: Materialized<K, VR> | undefined): KTable<K, VR> {
    const ls = this.storeName;
    const rs = other.storeName;
    if (ls === null || rs === null) throw new Error('a foreign-key join needs materialized tables (from builder.table() or an aggregation)');
    const store = this.materialize(m);
    const node = addForeignKeyJoin(
      this.builder,
      { node: this.node, store: ls, keySerde: untypedOr(this.keySerde), valueSerde: untypedOr(this.valueSerde) },
      { node: other.node, store: rs, keySerde: serdeOf(other.keySerde), valueSerde: serdeOf(other.valueSerde) },
      fk,
      joiner,
      left,
      store,
    );
    return new KTable<K, VR>(this.builder, node, m?.keySerde ?? this.keySerde, m?.valueSerde, store);
  }

  toStream(): KStream<K, V> {
    const node = this.builder.addProcessor('KTABLE-TOSTREAM-', [this.node], () => ({ process: (r, ctx) => ctx.forward(r) }));
    return new KStream<K, V>(this.builder, node, this.keySerde, this.valueSerde, false);
  }
}
