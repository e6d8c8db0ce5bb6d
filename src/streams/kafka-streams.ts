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
 * REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, ERROR. With exactly_once_v2 the sink and
 * changelog records and the input offsets are committed in one transaction (TxnOffsetCommit
 * carries the group generation, fencing zombies), inputs and changelogs are read read_committed,
 * and an aborted transaction sends the tasks back to their committed state. Samsa's deviations:
 * one stream thread per instance (its transactional id `<application.id>-<process id>-1` keeps the
 * process id of the state directory, so two instances must not share one);
 * commit.interval.ms defaults to 30,000 as Kafka's at-least-once default; no state directory lock.
 * The commit itself is commit.ts's, the standby tasks' bookkeeping standby-tasks.ts's.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { ClusterClient } from '../client/cluster-client.js';
import { GroupConsumer } from '../client/group-consumer.js';
import type { FetchedRecord } from '../client/partition-fetcher.js';
import { TransactionalProducer } from '../client/transactional-producer.js';
import { streamsAssignor, type SubTopologyTopics } from './assignor.js';
import { GlobalStateManager } from './global-state.js';
import { createInternalTopics } from './internal-topics.js';
import { deserializationHandler, processingHandler, productionHandler } from './error-handlers.js';
import { collectMetrics, RateSampler, toPrometheus, type StreamsMetric } from './metrics.js';
import { cleanUpLocalState } from './reset.js';
import { Serdes, untyped } from './serdes.js';
import { commitAtLeastOnce, commitInTransaction } from './commit.js';
import { StandbyTasks, type TaskPlace } from './standby-tasks.js';
import { processId } from './state-directory.js';
import { StreamTask, taskId, type TaskEnv } from './task.js';
import { StreamsState, type StreamsConfig, type StreamsStateName } from './streams-config.js';
import type { SubTopology, Topology } from './topology.js';

export class KafkaStreams {
  private stateName: StreamsStateName = StreamsState.CREATED;
  private readonly cluster: ClusterClient;
  private consumer: GroupConsumer | null = null;
  private readonly tasks = new Map<string, StreamTask>();
  /** The standby tasks this instance keeps (standby-tasks.ts). */
  private readonly standbys: StandbyTasks;
  private readonly subs: SubTopology[];
  private readonly subOfTopic = new Map<string, number>();
  private readonly env: TaskEnv;
  private loop: Promise<void> | null = null;
  private readonly global: GlobalStateManager;
  private readonly rates = new RateSampler();
  private globalLoop: Promise<void> | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private lastCommit = 0;
  private restoredTotal = 0;
  private processedTotal = 0;
  private failure: unknown = null;
  private producer: TransactionalProducer | null = null;
  /** Bumped when positions are reset after an aborted transaction: records polled before are dropped. */
  private resetEpoch = 0;
  private aborts = 0;

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
      onDeserializationError: deserializationHandler(config.deserializationExceptionHandler),
      onProductionError: productionHandler(config.productionExceptionHandler),
      onProcessingError: processingHandler(config.processingExceptionHandler),
      isolationLevel: config.processingGuarantee === 'exactly_once_v2' ? 1 : 0,
      globalStore: (name) => this.global.store(name),
    };
    this.global = new GlobalStateManager(topology.globalStores, this.env);
    this.standbys = new StandbyTasks(this.subs, this.env);
  }

  get state(): StreamsStateName {
    return this.stateName;
  }

  /** Records read from changelogs to restore stores, since start. */
  get restoredRecords(): number {
    return this.restoredTotal + [...this.tasks.values()].reduce((n, t) => n + t.restored, 0);
  }

  /** Task and processor-node metrics of the local tasks (metrics.ts). */
  metrics(): StreamsMetric[] {
    return collectMetrics(this.tasks.values(), `${this.config.applicationId}-StreamThread-1`, this.rates, Date.now());
  }

  /** metrics() in Prometheus text format, to serve from the application's own HTTP endpoint. */
  metricsText(): string {
    return toPrometheus(this.metrics());
  }

  /** The ids of the tasks this instance runs. */
  activeTasks(): string[] {
    return [...this.tasks.keys()].sort();
  }

  /** Interactive query of a local store: the value of `key` in whichever local task holds it (or in a global store). */
  get<K, V>(storeName: string, key: K): V | undefined {
    for (const t of this.tasks.values()) {
      const v = t.store(storeName)?.get(key);
      if (v !== undefined) return v as V;
    }
    return this.global.store(storeName)?.get(key) as V | undefined;
  }

  /** Interactive query: every entry of a store over the local tasks. */
  all<K, V>(storeName: string): { key: K; value: V }[] {
    const g = this.global.store(storeName);
    if (g) return g.all() as { key: K; value: V }[];
    return [...this.tasks.values()].flatMap((t) => (t.store(storeName)?.all() ?? []) as { key: K; value: V }[]);
  }

  async start(): Promise<void> {
    if (this.stateName !== StreamsState.CREATED) throw new Error(`KafkaStreams is ${this.stateName}, not CREATED`);
    this.stateName = StreamsState.REBALANCING;
    try {
      await createInternalTopics(this.cluster, this.subs, this.env, this.config.replicationFactor ?? -1, this.config.windowStoreChangelogAdditionalRetentionMs);
      await this.global.start(this.cluster);
      if (this.eos) {
        // EOS v2: one producer per stream thread, `<application.id>-<process id>-<thread>`; zombies are fenced by the group generation.
        // The process id lives in the state directory, so a restarted instance's InitProducerId aborts the open transaction its killed predecessor left.
        this.producer = new TransactionalProducer(this.cluster, `${this.config.applicationId}-${processId(this.env.stateDir, this.config.applicationId)}-1`, 10_000);
        await this.producer.init();
      }
      const topics = [...this.subOfTopic.keys()];
      const subTopics: SubTopologyTopics[] = this.subs.map((s) => ({ id: s.id, topics: s.sourceTopics.map(this.env.resolve) }));
      this.consumer = new GroupConsumer(this.cluster, {
        groupId: this.config.applicationId,
        autoCommit: false,
        autoOffsetReset: 'earliest',
        isolationLevel: this.env.isolationLevel,
        sessionTimeoutMs: this.config.sessionTimeoutMs ?? 45_000,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs ?? 3_000,
        rebalanceTimeoutMs: 60_000,
        assignor: streamsAssignor(
          () => subTopics,
          () => ({ owned: this.activeTasks(), standby: this.standbyTasks(), local: this.localStateTasks() }),
          this.config.numStandbyReplicas ?? 0,
          (standbys) => (this.standbys.assigned = standbys),
        ),
        onRevoke: () => this.locked(() => this.commitAll()),
        onError: (e) => this.config.onError?.(e),
      });
      await this.consumer.subscribe(topics);
    } catch (e) {
      this.stateName = StreamsState.ERROR;
      await this.global.close().catch(() => undefined);
      this.cluster.close();
      throw e;
    }
    this.lastCommit = performance.now();
    this.loop = this.run();
    if (!this.global.empty) this.globalLoop = this.runGlobal();
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
    await this.globalLoop;
    let clean = !failed;
    if (!failed) {
      await this.locked(() => this.commitAll()).catch((e) => {
        clean = false;
        this.config.onError?.(e);
      });
    }
    await this.standbys.closeAll((e) => this.config.onError?.(e));
    this.processedTotal = this.processedRecords;
    if (this.producer?.inTransaction) await this.producer.abort().catch(() => undefined);
    for (const t of this.tasks.values()) await t.close(this.eos && !clean).catch((e) => this.config.onError?.(e));
    this.restoredTotal = this.restoredRecords;
    this.tasks.clear();
    await this.global.close().catch((e) => this.config.onError?.(e));
    await this.consumer?.close().catch(() => undefined);
    this.cluster.close();
    this.stateName = failed ? StreamsState.ERROR : StreamsState.NOT_RUNNING;
  }

  private get eos(): boolean {
    return this.config.processingGuarantee === 'exactly_once_v2';
  }

  /** Transactions aborted since start (exactly_once_v2). */
  get abortedTransactions(): number {
    return this.aborts;
  }

  /** Input records processed by this instance's tasks, since start. */
  get processedRecords(): number {
    return this.processedTotal + [...this.tasks.values()].reduce((n, t) => n + t.processed, 0);
  }

  /** The ids of the standby tasks this instance keeps. */
  standbyTasks(): string[] {
    return this.standbys.ids();
  }

  /** Where this instance's standby tasks read their changelog partitions next. */
  standbyPositions(): { topic: string; partition: number; offset: bigint }[] {
    return this.standbys.positions();
  }

  /** Changelog records applied by standby tasks, since start. */
  get standbyRecords(): number {
    return this.standbys.applied;
  }

  /** Kafka's cleanUp(): deletes this application's local state directory (before start() or after close()). */
  cleanUp(): void {
    if (this.stateName !== StreamsState.CREATED && this.stateName !== StreamsState.NOT_RUNNING && this.stateName !== StreamsState.ERROR) throw new Error('Cannot clean up while running.');
    cleanUpLocalState(this.env.stateDir, this.config.applicationId);
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
        const epoch = this.resetEpoch;
        const records = await consumer.poll({ maxWaitMs: this.config.pollMs ?? 100, maxBytes: 4 << 20 });
        if (this.stateName !== StreamsState.RUNNING && this.stateName !== StreamsState.REBALANCING) break;
        await this.locked(async () => {
          await this.syncTasks();
          if (epoch === this.resetEpoch) this.processAll(records);
          if (this.standbys.size > 0) await this.standbys.update(this.cluster);
          const now = Date.now();
          for (const t of this.tasks.values()) t.punctuateWallClock(now);
          const pending = [...this.tasks.values()].reduce((n, t) => n + t.pendingOutput, 0);
          if (performance.now() - this.lastCommit >= commitEvery) await this.commitAll();
          else if (pending > 10_000) for (const t of this.tasks.values()) await t.flush(this.cluster, this.produceOptions());
        });
      } catch (e) {
        this.failure = e;
        this.stateName = StreamsState.ERROR;
        this.config.onError?.(e);
      }
    }
  }

  /** Keeps the global stores up to date (Kafka's global stream thread). */
  private async runGlobal(): Promise<void> {
    while (this.stateName === StreamsState.RUNNING || this.stateName === StreamsState.REBALANCING) {
      try {
        await this.global.poll(this.cluster, this.config.pollMs ?? 100);
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
      const list = byTask.get(id);
      if (list) list.push(r);
      else byTask.set(id, [r]);
    }
    for (const [id, recs] of byTask) this.tasks.get(id)?.process(recs);
  }

  /** Opens (and restores) the tasks of the current assignment, closes the others; the same for standbys. */
  private async syncTasks(): Promise<void> {
    const consumer = this.consumer as GroupConsumer;
    const wanted = new Map<string, TaskPlace>();
    for (const tp of consumer.assignment()) {
      const sub = this.subOfTopic.get(tp.topic);
      if (sub !== undefined) wanted.set(taskId(sub, tp.partition), { sub, partition: tp.partition });
    }
    const standbys = this.standbys.wanted(wanted);
    for (const [id, t] of [...this.tasks]) {
      if (wanted.has(id)) continue;
      this.retire(id, t);
      await t.close();
    }
    await this.standbys.closeUnwanted(standbys);
    for (const [id, w] of wanted) {
      if (this.tasks.has(id)) continue;
      const sub = this.subs[w.sub] as SubTopology;
      const wasStandby = this.standbys.wasKept(id);
      const task = new StreamTask(sub, w.partition, this.env);
      const started = performance.now();
      try {
        await task.restore(this.cluster);
      } catch (e) {
        await task.close().catch(() => undefined);
        throw e;
      }
      this.tasks.set(id, task);
      this.config.onRestored?.({ task: id, records: task.restored, ms: performance.now() - started, wasStandby });
    }
    this.standbys.open(standbys);
    if (this.stateName === StreamsState.REBALANCING && consumer.generationId >= 0) this.stateName = StreamsState.RUNNING;
  }

  /** Drops a task from the running set, keeping its counters in the instance's totals. */
  private retire(id: string, t: StreamTask): void {
    this.restoredTotal += t.restored;
    this.processedTotal += t.processed;
    this.tasks.delete(id);
  }

  private produceOptions(): { transaction?: TransactionalProducer } {
    return this.producer ? { transaction: this.producer } : {};
  }

  /** Sinks and changelogs written, then the input offsets committed, then the checkpoints (commit.ts). */
  private async commitAll(): Promise<void> {
    this.lastCommit = performance.now();
    const consumer = this.consumer;
    if (!consumer || this.tasks.size === 0) return;
    const tasks = [...this.tasks.values()];
    if (this.producer) {
      await this.commitTransaction(consumer, this.producer, tasks);
      return;
    }
    await commitAtLeastOnce(this.cluster, consumer, tasks, this.standbys);
  }

  /**
   * exactly_once_v2: records and input offsets in one transaction (commit.ts). When it fails the
   * transaction is aborted, the tasks are closed dirty (their stores restored again from the
   * committed changelogs) and the positions go back to the committed offsets; a fenced producer
   * is initialized again.
   */
  private async commitTransaction(consumer: GroupConsumer, producer: TransactionalProducer, tasks: StreamTask[]): Promise<void> {
    const e = await commitInTransaction(this.cluster, consumer, producer, tasks, this.standbys, this.config.applicationId);
    if (e === null) return;
    this.config.onError?.(e);
    this.aborts++;
    await producer.abort().catch(() => undefined);
    if (e.code === 47 || e.code === 90 || e.code === 48) await producer.init();
    this.resetEpoch++;
    for (const [id, t] of [...this.tasks]) {
      this.retire(id, t);
      await t.close(true);
    }
    const assigned = consumer.assignment();
    const committed = await consumer.committed(assigned);
    for (const c of committed) consumer.seek(c, c.offset);
    const fresh = assigned.filter((a) => !committed.some((c) => c.topic === a.topic && c.partition === a.partition));
    if (fresh.length > 0) await consumer.seekTo(fresh, 'beginning');
  }

  /** Tasks with a state directory on this machine (preferred by the assignor after owned tasks). */
  private localStateTasks(): string[] {
    const dir = join(this.env.stateDir, this.config.applicationId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((d) => /^\d+_\d+$/.test(d));
  }
}
