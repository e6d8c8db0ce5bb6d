/**
 * A stream task: one partition of one sub-topology. It owns the processor instances and state
 * stores of that partition, runs the records of its input partitions through the sub-topology,
 * buffers what the sinks write, and on flush() writes the changelog and sink records; it tracks
 * the offsets to commit and its stream time.
 *
 * Kafka's rules kept (StreamTask, PartitionGroup): task id `<sub-topology>_<partition>`; the
 * records of a task's partitions are taken in timestamp order (each partition in offset order);
 * stream time is the largest timestamp processed; the offset committed for a partition is the
 * one after the last record processed; state stores are restored from their changelog before
 * the task processes anything; a record that fails to deserialize fails the application unless
 * the handler says continue (then it is skipped, as LogAndContinueExceptionHandler); under
 * exactly_once_v2 the changelogs are restored read_committed and a task closed after an aborted
 * transaction leaves no checkpoint (its stores are wiped and restored). Samsa's
 * deviation: no max.task.idle.ms (a task does not wait for an empty input partition to fill
 * before choosing the next record by timestamp).
 */
import { join } from 'node:path';
import type { ClusterClient } from '../client/cluster-client.js';
import type { FetchedRecord } from '../client/partition-fetcher.js';
import { fetchRound, offsetsAt } from '../client/partition-fetcher.js';
import { produceRecords, type ProduceOptions, type RecordToProduce } from '../client/record-producer.js';
import { AdminError, tpKey } from '../client/admin.js';
import type { Processor, ProcessorContext, RecordSource, StreamRecord } from './processor.js';
import { PunctuationQueue, PunctuationType, type Punctuator } from './punctuation.js';
import type { UntypedSerde } from './serdes.js';
import { ProcessingFailure, type DeserializationExceptionHandler, type ErrorHandlerContext, type ProcessingExceptionHandler, type ProductionExceptionHandler } from './error-handlers.js';
import { PersistentStore, type KeyValueStore } from './state-store.js';
import type { SourceNode, SubTopology, Topology, TopologyNode } from './topology.js';

export interface TaskEnv {
  applicationId: string;
  stateDir: string;
  topology: Topology;
  /** The run-time name of a topic named in the topology (internal ones get the application id prefix). */
  resolve: (topic: string) => string;
  defaultKeySerde: UntypedSerde;
  defaultValueSerde: UntypedSerde;
  onDeserializationError: DeserializationExceptionHandler;
  /** Sink records the broker refused (error-handlers.ts); default: fail. */
  onProductionError?: ProductionExceptionHandler;
  /** Exceptions thrown by processors (KIP-1033); default: fail. */
  onProcessingError?: ProcessingExceptionHandler;
  /** 1 (read_committed) under exactly_once_v2: restore only committed changelog records. */
  isolationLevel: number;
  /** The GlobalKTable stores (any processor may read them). */
  globalStore?: (name: string) => KeyValueStore<unknown, unknown> | undefined;
}

export const taskId = (sub: number, partition: number): string => `${sub}_${partition}`;

export class StreamTask {
  readonly id: string;
  streamTime = -1;
  restored = 0;
  processed = 0;
  /** Metrics (metrics.ts): punctuator runs, records dropped by an error handler, records per processor node. */
  punctuations = 0;
  dropped = 0;
  readonly nodeProcessed = new Map<string, number>();
  readonly createdAt = Date.now();
  private readonly processors = new Map<string, Processor>();
  private readonly contexts = new Map<string, ProcessorContext>();
  private readonly stores = new Map<string, PersistentStore>();
  private readonly sources = new Map<string, SourceNode>();
  private readonly children = new Map<string, TopologyNode[]>();
  private outputs = new Map<string, RecordToProduce[]>();
  private buffered = 0;
  /** The next offset to commit, per input partition. */
  readonly consumed = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private current: RecordSource | null = null;
  private readonly punctuation = new PunctuationQueue();

  constructor(
    readonly sub: SubTopology,
    readonly partition: number,
    private readonly env: TaskEnv,
  ) {
    this.id = taskId(sub.id, partition);
    const dir = join(env.stateDir, env.applicationId, this.id);
    for (const name of sub.stores) {
      const def = env.topology.stores.get(name);
      if (!def) throw new Error(`unknown store ${name}`);
      this.stores.set(name, new PersistentStore(name, dir, def.logged ? `${env.applicationId}-${name}-changelog` : null, partition, def.keySerde ?? env.defaultKeySerde, def.valueSerde ?? env.defaultValueSerde, def.retention));
    }
    for (const n of sub.nodes) {
      this.children.set(n.name, env.topology.children(n.name));
      if (n.kind === 'source') for (const t of n.topics) this.sources.set(env.resolve(t), n);
      if (n.kind === 'processor') {
        this.processors.set(n.name, n.supplier());
        this.contexts.set(n.name, this.context(n.name, n.stores));
      }
    }
  }

  /** The input partitions of this task (its sub-topology's source topics at its partition). */
  inputs(): string[] {
    return [...this.sources.keys()];
  }

  /** Brings every store up to the end of its changelog partition. */
  async restore(cluster: ClusterClient): Promise<void> {
    for (const store of this.stores.values()) {
      const topic = store.changelogTopic;
      if (topic === null) continue;
      const tp = { topic, partition: this.partition };
      const end = (await offsetsAt(cluster, [tp], -1n, this.env.isolationLevel)).get(tpKey(topic, this.partition)) ?? 0n;
      const positions = new Map([[tpKey(topic, this.partition), { ...tp, offset: store.changelogOffset }]]);
      while ((positions.get(tpKey(topic, this.partition))?.offset ?? end) < end) {
        const round = await fetchRound(cluster, positions, { maxWaitMs: 500, minBytes: 1, maxBytes: 8 << 20, isolationLevel: this.env.isolationLevel });
        const e = round.errors[0];
        if (e) throw new AdminError(`restoring ${store.name} from ${topic}-${this.partition}`, e.errorCode);
        store.restoreBatch(round.records);
        this.restored += round.records.length;
        const next = round.next.get(tpKey(topic, this.partition));
        if (next !== undefined) positions.set(tpKey(topic, this.partition), { ...tp, offset: next });
      }
      await store.flush(positions.get(tpKey(topic, this.partition))?.offset ?? null);
    }
    for (const [name, p] of this.processors) p.init?.(this.contexts.get(name) as ProcessorContext);
  }

  /** Processes fetched records of this task's partitions: by timestamp across partitions, in offset order within one. */
  process(records: readonly FetchedRecord[]): void {
    // A fetch round returns each partition's records as one run in offset order: one queue per run.
    const queues: { records: FetchedRecord[]; head: number; done: { topic: string; partition: number; offset: bigint } }[] = [];
    let q: (typeof queues)[number] | undefined;
    for (const r of records) {
      if (q === undefined || q.done.topic !== r.topic || q.done.partition !== r.partition) {
        q = queues.find((x) => x.done.topic === r.topic && x.done.partition === r.partition);
        if (q === undefined) {
          const k = tpKey(r.topic, r.partition);
          let done = this.consumed.get(k);
          if (done === undefined) {
            done = { topic: r.topic, partition: r.partition, offset: -1n };
            this.consumed.set(k, done);
          }
          q = { records: [], head: 0, done };
          queues.push(q);
        }
      }
      if (r.offset >= q.done.offset) q.records.push(r);
    }
    if (queues.length === 1) {
      const only = queues[0] as (typeof queues)[number];
      for (const r of only.records) {
        only.done.offset = r.offset + 1n;
        this.processOne(r);
      }
      return;
    }
    for (;;) {
      let best: (typeof queues)[number] | undefined;
      for (const x of queues) {
        const r = x.records[x.head];
        if (r && (best === undefined || r.timestamp < (best.records[best.head] as FetchedRecord).timestamp)) best = x;
      }
      if (best === undefined) return;
      const r = best.records[best.head++] as FetchedRecord;
      best.done.offset = r.offset + 1n;
      this.processOne(r);
    }
  }

  private processOne(r: FetchedRecord): void {
    const source = this.sources.get(r.topic);
    if (!source) return;
    let key: unknown;
    let value: unknown;
    try {
      key = (source.keySerde ?? this.env.defaultKeySerde).deserialize(r.key);
      value = (source.valueSerde ?? this.env.defaultValueSerde).deserialize(r.value);
    } catch (e) {
      if (this.env.onDeserializationError({ taskId: this.id, processorNodeId: source.name, topic: r.topic, partition: r.partition, offset: r.offset }, { key: r.key, value: r.value, timestamp: r.timestamp }, e) === 'continue') {
        this.dropped++;
        return;
      }
      throw new Error(`deserializing ${r.topic}-${r.partition}@${r.offset} in task ${this.id}`, { cause: e });
    }
    const timestamp = Number(r.timestamp);
    if (timestamp > this.streamTime) this.streamTime = timestamp;
    this.current = r;
    this.processed++;
    this.forward(source.name, { key, value, timestamp, headers: r.headers }, undefined);
    this.current = null;
    this.punctuation.mayPunctuate(PunctuationType.STREAM_TIME, this.streamTime, (run, t) => this.punctuate(run, t));
  }

  /** Fires the wall-clock punctuators that are due at `now`. */
  punctuateWallClock(now: number): number {
    return this.punctuation.mayPunctuate(PunctuationType.WALL_CLOCK_TIME, now, (run, t) => this.punctuate(run, t));
  }

  private punctuate(run: Punctuator, time: number): void {
    this.current = null;
    this.punctuations++;
    run(time);
  }

  private forward(from: string, rec: StreamRecord, only: string | undefined): void {
    for (const child of this.children.get(from) ?? []) {
      if (only !== undefined && child.name !== only) continue;
      if (child.kind === 'processor') {
        this.nodeProcessed.set(child.name, (this.nodeProcessed.get(child.name) ?? 0) + 1);
        try {
          (this.processors.get(child.name) as Processor).process(rec, this.contexts.get(child.name) as ProcessorContext);
        } catch (e) {
          if (e instanceof ProcessingFailure) throw e;
          const ctx: ErrorHandlerContext = { taskId: this.id, processorNodeId: child.name, topic: this.current?.topic ?? '', partition: this.current?.partition ?? this.partition, offset: this.current?.offset ?? -1n };
          if (this.env.onProcessingError?.(ctx, rec, e) !== 'continue') throw new ProcessingFailure(ctx, e);
          this.dropped++;
        }
      }
      else if (child.kind === 'sink') this.emit(child.topic, child.keySerde, child.valueSerde, rec);
    }
  }

  private emit(topic: string, keySerde: UntypedSerde | undefined, valueSerde: UntypedSerde | undefined, rec: StreamRecord): void {
    const name = this.env.resolve(topic);
    const list = this.outputs.get(name) ?? [];
    list.push({ key: (keySerde ?? this.env.defaultKeySerde).serialize(rec.key), value: (valueSerde ?? this.env.defaultValueSerde).serialize(rec.value), headers: rec.headers, timestamp: BigInt(Math.max(0, Math.trunc(rec.timestamp))) });
    this.outputs.set(name, list);
    this.buffered++;
  }

  /** Records waiting in the sinks' buffers. */
  get pendingOutput(): number {
    return this.buffered;
  }

  private context(node: string, stores: readonly string[]): ProcessorContext {
    const task = this;
    return {
      applicationId: this.env.applicationId,
      taskId: this.id,
      partition: this.partition,
      get streamTime() {
        return task.streamTime;
      },
      get source() {
        return task.current;
      },
      forward: (rec, child) => this.forward(node, rec, child),
      store: <K, V>(name: string): KeyValueStore<K, V> => {
        const s = stores.includes(name) ? this.stores.get(name) : this.env.globalStore?.(name);
        if (!s) throw new Error(`Processor ${node} has no access to StateStore ${name} as the store is not connected to the processor.`);
        return s as unknown as KeyValueStore<K, V>;
      },
      schedule: (intervalMs, type, punctuator) => this.punctuation.schedule(intervalMs, type, punctuator, Date.now()),
    };
  }

  /** Writes the sink records and the stores' changelog records, then the stores' caches to LMDB. */
  async flush(cluster: ClusterClient, produce: ProduceOptions = {}): Promise<void> {
    const outputs = this.outputs;
    this.outputs = new Map();
    this.buffered = 0;
    const changelogs = [...this.stores.values()].map((s) => ({ store: s, batch: s.pending() }));
    // Requests of at most ~512 KiB, one after the other (in order), under the brokers' message.max.bytes.
    const write = async (topic: string, records: RecordToProduce[], sink = false): Promise<bigint> => {
      let end = -1n;
      for (const chunk of chunks(records, 512 * 1024)) {
        let res = await produceRecords(cluster, topic, chunk, produce);
        const handler = this.env.onProductionError;
        if (sink && handler && chunk.length > 1 && res.some((r) => r.errorCode !== 0)) {
          // Refused as a batch: once more record by record, so that the handler judges each record alone.
          const again = await Promise.all(chunk.map(async (rec, i) => ((res[i]?.errorCode ?? 0) === 0 ? res[i] : (await produceRecords(cluster, topic, [rec], produce))[0])));
          res = again.filter((r) => r !== undefined);
        }
        res.forEach((r, i) => {
          if (r.errorCode !== 0) {
            const rec = chunk[i] as RecordToProduce;
            const error = new AdminError(`producing to ${topic}-${r.partition}`, r.errorCode, r.errorMessage ?? undefined);
            if (!sink || handler?.({ taskId: this.id, processorNodeId: 'sink', topic, partition: r.partition, offset: -1n }, { key: rec.key, value: rec.value, timestamp: rec.timestamp ?? -1n }, error) !== 'continue') throw error;
            this.dropped++;
          } else if (r.offset + 1n > end) end = r.offset + 1n;
        });
      }
      return end;
    };
    await Promise.all([
      ...[...outputs].map(([topic, records]) => write(topic, records, true)),
      ...changelogs.map(async ({ store, batch }) => {
        const end = batch === null ? null : await write(batch.topic, batch.records);
        await store.flush(end);
      }),
    ]);
  }

  /** The offsets to commit for this task's input partitions. */
  offsets(): { topic: string; partition: number; offset: bigint }[] {
    return [...this.consumed.values()].filter((o) => o.offset >= 0n).map((o) => ({ ...o }));
  }

  writeCheckpoints(): void {
    for (const s of this.stores.values()) if (s.changelogTopic !== null) s.writeCheckpoint();
  }

  store(name: string): PersistentStore | undefined {
    return this.stores.get(name);
  }

  /** Closes the stores; a dirty close (after an aborted transaction) writes no checkpoint, so the next open wipes and restores them. */
  async close(dirty = false): Promise<void> {
    for (const p of this.processors.values()) p.close?.();
    if (!dirty) this.writeCheckpoints();
    for (const s of this.stores.values()) await s.close();
  }
}

/** Splits records into runs of at most about `maxBytes` (keys, values, headers and per-record overhead). */
function chunks(records: readonly RecordToProduce[], maxBytes: number): RecordToProduce[][] {
  const out: RecordToProduce[][] = [];
  let cur: RecordToProduce[] = [];
  let size = 0;
  for (const r of records) {
    const n = 24 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + (r.headers ?? []).reduce((a, h) => a + h.key.length + (h.value?.length ?? 0) + 4, 0);
    if (cur.length > 0 && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
