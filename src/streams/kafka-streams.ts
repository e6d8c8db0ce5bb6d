/**
 * KafkaStreams: runs a topology against a Kafka cluster. It creates the internal topics, joins
 * the consumer group `<application.id>` with the streams assignor, opens and restores a task per
 * assigned (sub-topology, partition), processes the polled records, and commits every
 * commit.interval.ms: sink and changelog records are written first, then the input offsets
 * (at-least-once), then the stores' checkpoints.
 *
 * Kafka's rules kept: internal topics are `<application.id>-<name>-repartition` and
 * `<application.id>-<store>-changelog` (compacted), with as many partitions as the sub-topology
 * that writes them (a repartition topic: as its upstream sub-topology's input); missing source
 * topics fail start(); auto.offset.reset is earliest; work is committed before a rebalance and on
 * close; a processing error moves the instance to ERROR and stops it. States: CREATED,
 * REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, ERROR. Samsa's deviations: one stream
 * thread per instance; processing.guarantee at_least_once only (exactly_once_v2 not yet);
 * commit.interval.ms defaults to 30,000 as Kafka's at-least-once default; no state directory lock.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { tpKey } from '../client/admin.js';
import { ClusterClient } from '../client/cluster-client.js';
import { GroupConsumer } from '../client/group-consumer.js';
import type { FetchedRecord } from '../client/partition-fetcher.js';
import { createTopic } from '../client/topic-admin.js';
import { AdminError } from '../client/admin.js';
import { streamsAssignor, type SubTopologyTopics } from './assignor.js';
import { Serdes, untyped, type Serde } from './serdes.js';
import { StreamTask, taskId, type TaskEnv } from './task.js';
import type { SubTopology, Topology } from './topology.js';

export interface StreamsConfig {
  /** application.id: the group id, the prefix of internal topics and the state directory's name. */
  applicationId: string;
  bootstrapServers: string | readonly string[];
  /** state.dir (default `<tmpdir>/samsa-streams`). */
  stateDir?: string;
  /** commit.interval.ms (default 30,000). */
  commitIntervalMs?: number;
  /** replication.factor of internal topics (default -1: the broker's default). */
  replicationFactor?: number;
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
  /** default.deserialization.exception.handler: fail (default) or continue (log and skip). */
  deserializationExceptionHandler?: 'fail' | 'continue';
  processingGuarantee?: 'at_least_once';
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** poll.ms (default 100). */
  pollMs?: number;
  clientId?: string;
  /** Called with the error that moved the instance to ERROR, and with background errors. */
  onError?: (e: unknown) => void;
}

export const StreamsState = {
  CREATED: 'CREATED',
  REBALANCING: 'REBALANCING',
  RUNNING: 'RUNNING',
  PENDING_SHUTDOWN: 'PENDING_SHUTDOWN',
  NOT_RUNNING: 'NOT_RUNNING',
  ERROR: 'ERROR',
} as const;
export type StreamsStateName = (typeof StreamsState)[keyof typeof StreamsState];

export class KafkaStreams {
  private stateName: StreamsStateName = StreamsState.CREATED;
  private readonly cluster: ClusterClient;
  private consumer: GroupConsumer | null = null;
  private readonly tasks = new Map<string, StreamTask>();
  private readonly subs: SubTopology[];
  private readonly subOfTopic = new Map<string, number>();
  private readonly env: TaskEnv;
  private loop: Promise<void> | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private lastCommit = 0;
  private restoredTotal = 0;
  private failure: unknown = null;

  constructor(
    readonly topology: Topology,
    private readonly config: StreamsConfig,
  ) {
    if (!/^[a-zA-Z0-9._-]+$/.test(config.applicationId)) throw new Error(`application.id '${config.applicationId}' must be a legal topic name`);
    this.cluster = new ClusterClient({ bootstrap: typeof config.bootstrapServers === 'string' ? config.bootstrapServers.split(',') : config.bootstrapServers, clientId: config.clientId ?? `${config.applicationId}-streams` });
    this.subs = topology.subTopologies();
    const resolve = (t: string): string => (topology.repartitionTopics.has(t) ? `${config.applicationId}-${t}` : t);
    for (const s of this.subs) for (const t of s.sourceTopics) this.subOfTopic.set(resolve(t), s.id);
    this.env = {
      applicationId: config.applicationId,
      stateDir: config.stateDir ?? join(tmpdir(), 'samsa-streams'),
      topology,
      resolve,
      defaultKeySerde: config.defaultKeySerde ?? untyped(Serdes.ByteArray()),
      defaultValueSerde: config.defaultValueSerde ?? untyped(Serdes.ByteArray()),
      onDeserializationError: config.deserializationExceptionHandler ?? 'fail',
    };
  }

  get state(): StreamsStateName {
    return this.stateName;
  }

  /** Records read from changelogs to restore stores, since start. */
  get restoredRecords(): number {
    return this.restoredTotal + [...this.tasks.values()].reduce((n, t) => n + t.restored, 0);
  }

  /** The ids of the tasks this instance runs. */
  activeTasks(): string[] {
    return [...this.tasks.keys()].sort();
  }

  /** Interactive query of a local store: the value of `key` in whichever local task holds it. */
  get<K, V>(storeName: string, key: K): V | undefined {
    for (const t of this.tasks.values()) {
      const v = t.store(storeName)?.get(key);
      if (v !== undefined) return v as V;
    }
    return undefined;
  }

  /** Interactive query: every entry of a store over the local tasks. */
  all<K, V>(storeName: string): { key: K; value: V }[] {
    return [...this.tasks.values()].flatMap((t) => (t.store(storeName)?.all() ?? []) as { key: K; value: V }[]);
  }

  async start(): Promise<void> {
    if (this.stateName !== StreamsState.CREATED) throw new Error(`KafkaStreams is ${this.stateName}, not CREATED`);
    this.stateName = StreamsState.REBALANCING;
    try {
      await this.createInternalTopics();
      const topics = [...this.subOfTopic.keys()];
      const subTopics: SubTopologyTopics[] = this.subs.map((s) => ({ id: s.id, topics: s.sourceTopics.map(this.env.resolve) }));
      this.consumer = new GroupConsumer(this.cluster, {
        groupId: this.config.applicationId,
        autoCommit: false,
        autoOffsetReset: 'earliest',
        sessionTimeoutMs: this.config.sessionTimeoutMs ?? 45_000,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs ?? 3_000,
        rebalanceTimeoutMs: 60_000,
        assignor: streamsAssignor(() => subTopics, () => ({ owned: this.activeTasks(), local: this.localStateTasks() })),
        onRevoke: () => this.locked(() => this.commitAll()),
        onError: (e) => this.config.onError?.(e),
      });
      await this.consumer.subscribe(topics);
    } catch (e) {
      this.stateName = StreamsState.ERROR;
      this.cluster.close();
      throw e;
    }
    this.lastCommit = performance.now();
    this.loop = this.run();
  }

  /** Commits the work done, closes the tasks and leaves the group. */
  async close(): Promise<void> {
    if (this.stateName === StreamsState.NOT_RUNNING || this.stateName === StreamsState.CREATED) {
      this.stateName = StreamsState.NOT_RUNNING;
      this.cluster.close();
      return;
    }
    const failed = this.stateName === StreamsState.ERROR;
    this.stateName = StreamsState.PENDING_SHUTDOWN;
    await this.loop;
    if (!failed) await this.locked(() => this.commitAll()).catch((e) => this.config.onError?.(e));
    for (const t of this.tasks.values()) await t.close().catch((e) => this.config.onError?.(e));
    this.restoredTotal = this.restoredRecords;
    this.tasks.clear();
    await this.consumer?.close().catch(() => undefined);
    this.cluster.close();
    this.stateName = failed ? StreamsState.ERROR : StreamsState.NOT_RUNNING;
  }

  /** The error that stopped processing, if any. */
  get error(): unknown {
    return this.failure;
  }

  private async run(): Promise<void> {
    const consumer = this.consumer as GroupConsumer;
    const commitEvery = this.config.commitIntervalMs ?? 30_000;
    while (this.stateName === StreamsState.RUNNING || this.stateName === StreamsState.REBALANCING) {
      try {
        const records = await consumer.poll({ maxWaitMs: this.config.pollMs ?? 100, maxBytes: 4 << 20 });
        if (this.stateName !== StreamsState.RUNNING && this.stateName !== StreamsState.REBALANCING) break;
        await this.locked(async () => {
          await this.syncTasks();
          this.processAll(records);
          const pending = [...this.tasks.values()].reduce((n, t) => n + t.pendingOutput, 0);
          if (performance.now() - this.lastCommit >= commitEvery) await this.commitAll();
          else if (pending > 10_000) for (const t of this.tasks.values()) await t.flush(this.cluster);
        });
      } catch (e) {
        this.failure = e;
        this.stateName = StreamsState.ERROR;
        this.config.onError?.(e);
      }
    }
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private processAll(records: readonly FetchedRecord[]): void {
    const byTask = new Map<string, FetchedRecord[]>();
    for (const r of records) {
      const sub = this.subOfTopic.get(r.topic);
      if (sub === undefined) continue;
      const id = taskId(sub, r.partition);
      byTask.set(id, [...(byTask.get(id) ?? []), r]);
    }
    for (const [id, recs] of byTask) this.tasks.get(id)?.process(recs);
  }

  /** Opens (and restores) the tasks of the current assignment, closes the others. */
  private async syncTasks(): Promise<void> {
    const consumer = this.consumer as GroupConsumer;
    const wanted = new Map<string, { sub: number; partition: number }>();
    for (const tp of consumer.assignment()) {
      const sub = this.subOfTopic.get(tp.topic);
      if (sub !== undefined) wanted.set(taskId(sub, tp.partition), { sub, partition: tp.partition });
    }
    for (const [id, t] of [...this.tasks]) {
      if (wanted.has(id)) continue;
      this.restoredTotal += t.restored;
      this.tasks.delete(id);
      await t.close();
    }
    for (const [id, w] of wanted) {
      if (this.tasks.has(id)) continue;
      const sub = this.subs[w.sub] as SubTopology;
      const task = new StreamTask(sub, w.partition, this.env);
      try {
        await task.restore(this.cluster);
      } catch (e) {
        await task.close().catch(() => undefined);
        throw e;
      }
      this.tasks.set(id, task);
    }
    if (this.stateName === StreamsState.REBALANCING && consumer.member !== '' && this.tasks.size > 0) this.stateName = StreamsState.RUNNING;
  }

  /** Sinks and changelogs written, then the input offsets committed, then the checkpoints. */
  private async commitAll(): Promise<void> {
    this.lastCommit = performance.now();
    const consumer = this.consumer;
    if (!consumer || this.tasks.size === 0) return;
    const tasks = [...this.tasks.values()];
    for (const t of tasks) await t.flush(this.cluster);
    const offsets = tasks.flatMap((t) => t.offsets()).filter((o) => consumer.assignment().some((a) => tpKey(a.topic, a.partition) === tpKey(o.topic, o.partition)));
    try {
      await consumer.commit(offsets);
    } catch (e) {
      // A rebalance under way (the generation moved on): the records are processed again by the next owner (at-least-once).
      if (!(e instanceof AdminError) || ![22, 25, 27].includes(e.code)) throw e;
    }
    for (const t of tasks) t.writeCheckpoints();
  }

  private async createInternalTopics(): Promise<void> {
    const snapshot = await this.cluster.refresh();
    const counts = new Map<string, number>();
    for (const [name, t] of snapshot.topics) if (t.errorCode === 0) counts.set(name, t.partitions.length);
    const missing = this.subs.flatMap((s) => s.sourceTopics.filter((t) => !this.env.topology.repartitionTopics.has(t) && !counts.has(t)));
    if (missing.length > 0) throw new Error(`MISSING_SOURCE_TOPICS: ${missing.join(', ')} not found`);
    const widths = new Map<number, number>();
    const resolve = this.env.resolve;
    // Repartition topics take the width of the sub-topology writing them: resolve until nothing changes.
    for (let changed = true; changed; ) {
      changed = false;
      for (const s of this.subs) {
        const known = s.sourceTopics.map((t) => counts.get(resolve(t))).filter((n): n is number => n !== undefined);
        if (known.length === 0) continue;
        const w = Math.max(...known);
        if (widths.get(s.id) !== w) {
          widths.set(s.id, w);
          changed = true;
        }
        for (const n of s.nodes) {
          if (n.kind === 'sink' && this.env.topology.repartitionTopics.has(n.topic) && !counts.has(resolve(n.topic))) {
            counts.set(resolve(n.topic), w);
            await this.ensureTopic(resolve(n.topic), w, [{ name: 'retention.ms', value: '-1' }]);
            changed = true;
          }
        }
      }
    }
    for (const s of this.subs) {
      const w = widths.get(s.id);
      if (w === undefined) throw new Error(`cannot tell the partition count of sub-topology ${s.id}`);
      for (const store of s.stores) if (this.env.topology.stores.get(store)?.logged) await this.ensureTopic(`${this.config.applicationId}-${store}-changelog`, w, [{ name: 'cleanup.policy', value: 'compact' }]);
    }
  }

  private async ensureTopic(name: string, partitions: number, configs: { name: string; value: string }[]): Promise<void> {
    try {
      await createTopic(this.cluster, { name, partitions, replicationFactor: this.config.replicationFactor ?? -1, configs });
    } catch (e) {
      if (!(e instanceof AdminError) || e.code !== 36) throw e; // TOPIC_ALREADY_EXISTS
    }
  }

  /** Tasks with a state directory on this machine (preferred by the assignor after owned tasks). */
  private localStateTasks(): string[] {
    const dir = join(this.env.stateDir, this.config.applicationId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((d) => /^\d+_\d+$/.test(d));
  }
}
