/**
 * A topology: source, processor and sink nodes with the state stores processors use, split into
 * sub-topologies (nodes connected by parent links or by a shared store), with a description in
 * the format of Kafka's Topology#describe().
 *
 * Kafka's rules kept: names are `KSTREAM-<KIND>-<10-digit index>` unless given; repartition and
 * changelog topics are named without the application id here (`<name>-repartition`,
 * `<store>-changelog`) and prefixed with `<application.id>-` at run time; sub-topologies are
 * numbered in the order of their first node. Samsa's deviation: global store sub-topologies are
 * numbered after the others.
 */
import type { RetentionSpec } from './window-retention.js';
import type { ProcessorSupplier } from './processor.js';
import type { UntypedSerde } from './serdes.js';

export interface SourceNode {
  kind: 'source';
  name: string;
  topics: string[];
  keySerde: UntypedSerde | undefined;
  valueSerde: UntypedSerde | undefined;
}

export interface ProcessorNode {
  kind: 'processor';
  name: string;
  parents: string[];
  supplier: ProcessorSupplier;
  stores: string[];
}

export interface SinkNode {
  kind: 'sink';
  name: string;
  parents: string[];
  topic: string;
  keySerde: UntypedSerde | undefined;
  valueSerde: UntypedSerde | undefined;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export interface StoreDef {
  name: string;
  keySerde: UntypedSerde | undefined;
  valueSerde: UntypedSerde | undefined;
  /** Backed by `<application.id>-<name>-changelog` (compacted). */
  logged: boolean;
  /** A windowed store: its entries expire (window-retention.ts), its changelog is `compact,delete`. */
  retention?: RetentionSpec | undefined;
}

/** A GlobalKTable's store: filled from every partition of `topic` on every instance (no tasks, no changelog). */
export interface GlobalStoreDef {
  topic: string;
  keySerde: UntypedSerde | undefined;
  valueSerde: UntypedSerde | undefined;
  /** The source and processor names shown by describe(). */
  sourceName: string;
  processorName: string;
}

export interface SubTopology {
  id: number;
  nodes: TopologyNode[];
  /** Source topics as named in the topology (internal ones without the application id). */
  sourceTopics: string[];
  stores: string[];
}

export class Topology {
  readonly nodes = new Map<string, TopologyNode>();
  readonly stores = new Map<string, StoreDef>();
  /** Repartition topics, named without the application id. */
  readonly repartitionTopics = new Set<string>();
  /** Internal topics as wide as the sub-topology reading them (a foreign-key join's subscription and response topics). */
  readonly readerSizedTopics = new Set<string>();
  /** Topics that must have the same number of partitions (a join's inputs), checked at start. */
  readonly copartitionGroups: string[][] = [];
  /** GlobalKTable stores by name. */
  readonly globalStores = new Map<string, GlobalStoreDef>();
  private index = 0;

  /** Kafka's generated node name: `<prefix><10-digit index>`. */
  newName(prefix: string): string {
    return `${prefix}${String(this.index++).padStart(10, '0')}`;
  }

  add(node: TopologyNode): void {
    if (this.nodes.has(node.name)) throw new Error(`Processor ${node.name} is already added.`);
    for (const p of node.kind === 'source' ? [] : node.parents) if (!this.nodes.has(p)) throw new Error(`Parent processor ${p} is not added yet.`);
    this.nodes.set(node.name, node);
  }

  addStore(def: StoreDef): void {
    if (this.stores.has(def.name)) throw new Error(`StateStore ${def.name} is already added.`);
    this.stores.set(def.name, def);
  }

  /** The source topics feeding `node` (through its ancestors). */
  upstreamTopics(node: string): string[] {
    const out = new Set<string>();
    const seen = new Set<string>();
    const walk = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const n = this.nodes.get(name);
      if (n === undefined) return;
      if (n.kind === 'source') for (const t of n.topics) out.add(t);
      else for (const p of n.parents) walk(p);
    };
    walk(node);
    return [...out];
  }

  /**
   * The two inputs of a join must be co-partitioned (Kafka's copartition groups): their topics are
   * checked for equal partition counts at start, and when only one side comes through repartition
   * topics, those take the other side's partition count (they are sized by the sub-topology
   * reading them).
   */
  copartition(a: string, b: string): void {
    const ta = this.upstreamTopics(a);
    const tb = this.upstreamTopics(b);
    const internal = (ts: string[]): boolean => ts.length > 0 && ts.every((t) => this.repartitionTopics.has(t));
    if (internal(ta) && !internal(tb)) for (const t of ta) this.readerSizedTopics.add(t);
    if (internal(tb) && !internal(ta)) for (const t of tb) this.readerSizedTopics.add(t);
    this.copartitionGroups.push([...new Set([...ta, ...tb])]);
  }

  children(name: string): TopologyNode[] {
    return [...this.nodes.values()].filter((n) => n.kind !== 'source' && n.parents.includes(name));
  }

  /** Sub-topologies: connected components of parent links and shared stores. */
  subTopologies(): SubTopology[] {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== r) r = parent.get(r) ?? r;
      parent.set(x, r);
      return r;
    };
    const union = (a: string, b: string): void => {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(rb, ra);
    };
    for (const n of this.nodes.keys()) parent.set(n, n);
    const storeOwner = new Map<string, string>();
    for (const n of this.nodes.values()) {
      if (n.kind !== 'source') for (const p of n.parents) union(p, n.name);
      if (n.kind === 'processor') {
        for (const s of n.stores) {
          const o = storeOwner.get(s);
          if (o === undefined) storeOwner.set(s, n.name);
          else union(o, n.name);
        }
      }
    }
    const groups = new Map<string, TopologyNode[]>();
    for (const n of this.nodes.values()) groups.set(find(n.name), [...(groups.get(find(n.name)) ?? []), n]);
    return [...groups.values()].map((nodes, id) => ({
      id,
      nodes,
      sourceTopics: nodes.flatMap((n) => (n.kind === 'source' ? n.topics : [])),
      stores: [...new Set(nodes.flatMap((n) => (n.kind === 'processor' ? n.stores : [])))],
    }));
  }

  /** Kafka's TopologyDescription text. */
  describe(): string {
    const lines = ['Topologies:'];
    for (const st of this.subTopologies()) {
      lines.push(`   Sub-topology: ${st.id}`);
      for (const n of st.nodes) {
        const kids = this.children(n.name).map((c) => c.name);
        if (n.kind === 'source') lines.push(`    Source: ${n.name} (topics: [${n.topics.join(', ')}])`);
        else if (n.kind === 'processor') lines.push(`    Processor: ${n.name} (stores: [${n.stores.join(', ')}])`);
        else lines.push(`    Sink: ${n.name} (topic: ${n.topic})`);
        if (n.kind !== 'sink') lines.push(`      --> ${kids.length > 0 ? kids.join(', ') : 'none'}`);
        if (n.kind !== 'source') lines.push(`      <-- ${n.parents.join(', ')}`);
      }
      lines.push('');
    }
    let id = this.subTopologies().length;
    for (const [store, g] of this.globalStores) {
      lines.push(`   Sub-topology: ${id++} for global store (will not generate tasks)`);
      lines.push(`    Source: ${g.sourceName} (topics: [${g.topic}])`, `      --> ${g.processorName}`);
      lines.push(`    Processor: ${g.processorName} (stores: [${store}])`, '      --> none', `      <-- ${g.sourceName}`, '');
    }
    return lines.join('\n');
  }
}
