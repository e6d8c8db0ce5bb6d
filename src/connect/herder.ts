/**
 * The herder of a worker (Kafka's StandaloneHerder / DistributedHerder core): it keeps the tasks
 * this worker runs in line with the configs (ConfigStore), the target states and the assignment
 * (standalone: everything; distributed: what the group leader gave this worker), writes the
 * statuses of what it runs, and carries out the REST API's operations.
 *
 * Kafka's rules kept: the leader turns a connector config into task configs
 * (Connector.taskConfigs with `tasks.max`) and writes them when they changed; STOPPED writes zero
 * task configs (KIP-875), PAUSED keeps tasks but stops their polling; a restart request restarts
 * the connector and, with includeTasks, its tasks (onlyFailed: the FAILED ones) on the workers
 * that own them; offsets may be altered or reset only while the connector is STOPPED.
 * Samsa's deviation: a connector instance holds no resources of its own (its status is the
 * worker's record of the config being valid), so connector methods run on the leader.
 */
import type { ClusterClient } from '../client/cluster-client.js';
import { ConfigError, type ConnectorPlugin, type TaskConfig } from './api.js';
import { CONVERTER_CLASSES, createConverter } from './converters.js';
import { errorSettings } from './errors.js';
import { fenceTasks, transactionalId, transactionSettings, type ExactlyOnceDeps, type TransactionalOffsets } from './exactly-once.js';
import type { PluginRegistry } from './plugins.js';
import { SinkRunner } from './sink-runner.js';
import { SourceRunner, type SourceRunnerDeps } from './source-runner.js';
import type { ConfigStore, FullOffsetStore, StatusStore } from './stores.js';
import { State, traceOf, type TargetState } from './task-status.js';
import { buildTransforms } from './transforms.js';

export interface HerderOptions {
  workerId: string;
  cluster: ClusterClient;
  workerConfig: Readonly<Record<string, string>>;
  plugins: PluginRegistry;
  configs: ConfigStore;
  statuses: StatusStore;
  offsets: FullOffsetStore;
  maxConnectors: number;
  log: (msg: string) => void;
  /** Distributed workers with exactly.once.source.support=enabled: source tasks write transactionally. */
  exactlyOnce?: { groupId: string; offsets: TransactionalOffsets } | null;
  /**
   * A client of a task's own (Kafka gives each task its producer or consumer): a broker answers
   * a connection's requests in order, so on the worker's shared connection every produce and
   * commit would wait behind the internal topics' long-polling fetches. Without it tasks share
   * `cluster`.
   */
  newClient?: (clientId: string) => ClusterClient;
}

export interface Assignment {
  connectors: string[];
  tasks: { connector: string; task: number }[];
}

interface Running {
  runner: SourceRunner | SinkRunner;
  config: string;
  target: TargetState;
}

const taskKey = (c: string, t: number): string => `${c}\u0000${t}`;

export class Herder {
  leader = true;
  leaderUrl: string | null = null;
  generation = 0;
  /** null: everything (standalone). */
  assignment: Assignment | null = null;
  /** Set while the distributed worker is between assignments. */
  rebalancing = false;
  /** Called by the leader after it wrote new task configs (distributed: rejoin the group). */
  onTasksChanged: () => void = () => undefined;
  private readonly running = new Map<string, Running>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(readonly o: HerderOptions) {
    o.configs.onEvent((e) => {
      if (e.type === 'restart') this.schedule(() => this.restartLocal(e.connector, e.includeTasks, e.onlyFailed));
      else this.reconcileSoon();
    });
  }

  get workerId(): string {
    return this.o.workerId;
  }

  /** Runs `f` after everything scheduled before it. */
  schedule(f: () => Promise<void>): Promise<void> {
    const next = this.queue.then(f).catch((e) => this.o.log(`herder: ${traceOf(e)}`));
    this.queue = next;
    return next;
  }

  reconcileSoon(): void {
    void this.schedule(() => this.reconcile());
  }

  plugin(config: Readonly<Record<string, string>>): ConnectorPlugin {
    return this.o.plugins.forConfig(config);
  }

  /** The task configs a connector config gives (throws ConfigError on a bad config). */
  taskConfigsFor(config: Readonly<Record<string, string>>): TaskConfig[] {
    const p = this.plugin(config);
    const max = Number(config['tasks.max'] ?? '1');
    if (!Number.isInteger(max) || max < 1) throw new ConfigError(`Invalid value ${config['tasks.max']} for configuration tasks.max: Value must be at least 1`);
    buildTransforms(config, this.o.plugins);
    errorSettings(config);
    if (this.o.exactlyOnce && p.type === 'source') transactionSettings(p, config, this.o.workerConfig);
    return p.taskConfigs(config, max);
  }

  private isSource(config: Readonly<Record<string, string>>): boolean {
    try {
      return this.plugin(config).type === 'source';
    } catch {
      return false;
    }
  }

  private owns(connector: string): boolean {
    return this.assignment === null || this.assignment.connectors.includes(connector);
  }

  private ownedTasks(): { connector: string; task: number }[] {
    if (this.assignment !== null) return this.assignment.tasks;
    return [...this.o.configs.connectors].flatMap(([connector, s]) => s.tasks.map((_, task) => ({ connector, task })));
  }

  private status(state: State, trace: string | null = null): { state: State; trace: string | null; workerId: string; generation: number } {
    return { state, trace, workerId: this.o.workerId, generation: this.generation };
  }

  /** Brings the running tasks and the statuses in line with configs, targets and assignment. */
  async reconcile(): Promise<void> {
    if (this.closed || this.rebalancing) return;
    const configs = this.o.configs.connectors;
    if (this.leader) {
      for (const [name, s] of configs) {
        let tasks: TaskConfig[] = [];
        if (s.target !== 'STOPPED') {
          try {
            tasks = this.taskConfigsFor(s.config);
          } catch {
            continue; // the connector's status says FAILED
          }
        }
        if (JSON.stringify(tasks) !== JSON.stringify(s.tasks)) {
          // Exactly-once: the previous generation of tasks is fenced before the new one can start.
          const eos = this.o.exactlyOnce;
          if (eos && s.tasks.length > 0 && this.isSource(s.config)) await fenceTasks(this.o.cluster, eos.groupId, name, s.tasks.length);
          await this.o.configs.putTaskConfigs(name, tasks);
          this.onTasksChanged();
        }
      }
    }
    for (const [name, s] of configs) {
      if (!this.owns(name)) continue;
      const cur = this.o.statuses.connector(name);
      let next: State = s.target === 'PAUSED' ? State.PAUSED : s.target === 'STOPPED' ? State.STOPPED : State.RUNNING;
      let trace: string | null = null;
      try {
        this.taskConfigsFor(s.config);
      } catch (e) {
        next = State.FAILED;
        trace = traceOf(e);
      }
      if (cur?.state !== next || cur.workerId !== this.o.workerId) await this.o.statuses.putConnector(name, this.status(next, trace));
    }
    const wanted = new Map<string, { connector: string; task: number; config: TaskConfig; target: TargetState }>();
    for (const t of this.ownedTasks()) {
      const s = configs.get(t.connector);
      const config = s?.tasks[t.task];
      if (!s || !config || s.target === 'STOPPED') continue;
      wanted.set(taskKey(t.connector, t.task), { ...t, config, target: s.target });
    }
    for (const [key, r] of [...this.running]) {
      const w = wanted.get(key);
      const [connector, task] = key.split('\u0000') as [string, string];
      const wantConfig = w ? JSON.stringify([configs.get(connector)?.config, w.config]) : '';
      if (!w || wantConfig !== r.config) {
        this.running.delete(key);
        await r.runner.stop();
        if (!w) await this.o.statuses.putTask(connector, Number(task), this.status(State.UNASSIGNED));
      } else if (w.target !== r.target) {
        r.target = w.target;
        r.runner.setPaused(w.target === 'PAUSED');
      }
    }
    for (const [key, w] of wanted) if (!this.running.has(key)) this.startTask(w.connector, w.task, w.config, w.target);
  }

  private startTask(connector: string, task: number, taskConfig: TaskConfig, target: TargetState): void {
    const s = this.o.configs.connectors.get(connector);
    if (!s) return;
    const merged: Record<string, string> = { ...this.o.workerConfig, ...s.config };
    const onStatus = (st: { state: State; trace: string | null }): void => {
      void this.o.statuses.putTask(connector, task, this.status(st.state, st.trace)).catch((e) => this.o.log(`status of ${connector}-${task}: ${traceOf(e)}`));
    };
    try {
      const plugin = this.plugin(s.config);
      const keyClass = merged['key.converter'] ?? CONVERTER_CLASSES.json;
      const valueClass = merged['value.converter'] ?? CONVERTER_CLASSES.json;
      const common = {
        cluster: this.o.cluster,
        connector,
        taskId: task,
        plugin,
        taskConfig,
        connectorConfig: s.config,
        keyConverter: createConverter(merged, 'key.converter', CONVERTER_CLASSES.json, this.o.plugins),
        valueConverter: createConverter(merged, 'value.converter', CONVERTER_CLASSES.json, this.o.plugins),
        transforms: buildTransforms(s.config, this.o.plugins),
        errors: errorSettings(s.config),
        onStatus,
        log: this.o.log,
      };
      const runner =
        plugin.type === 'source'
          ? this.sourceRunner(common, connector, task, plugin, merged)
          : new SinkRunner({ ...common, ...this.ownClient(`connector-consumer-${connector}-${task}`), keyConverterClass: keyClass, valueConverterClass: valueClass });
      this.running.set(taskKey(connector, task), { runner, config: JSON.stringify([s.config, taskConfig]), target });
      runner.start(target === 'PAUSED');
      const topics = plugin.type === 'sink' ? (s.config['topics'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '') : [taskConfig['topic'] ?? s.config['topic'] ?? ''].filter((x) => x !== '');
      for (const t of topics) void this.o.statuses.putTopic(connector, t).catch(() => undefined);
    } catch (e) {
      onStatus({ state: State.FAILED, trace: traceOf(e) });
    }
  }

  /** A task's own client, when the worker makes them (else the task uses the worker's). */
  private ownClient(clientId: string): { cluster: ClusterClient; ownsCluster: true } | Record<string, never> {
    const own = this.o.newClient?.(clientId);
    return own ? { cluster: own, ownsCluster: true } : {};
  }

  private sourceRunner(common: Omit<SourceRunnerDeps, 'offsets' | 'offsetFlushIntervalMs'>, connector: string, task: number, plugin: ConnectorPlugin, config: Readonly<Record<string, string>>): SourceRunner {
    const eos = this.o.exactlyOnce;
    const exactlyOnce: ExactlyOnceDeps | null = eos ? { transactionalId: transactionalId(eos.groupId, connector, task), settings: transactionSettings(plugin, config, this.o.workerConfig), offsets: eos.offsets } : null;
    return new SourceRunner({ ...common, ...this.ownClient(`connector-producer-${connector}-${task}`), offsets: this.o.offsets, offsetFlushIntervalMs: Number(this.o.workerConfig['offset.flush.interval.ms'] ?? '60000'), exactlyOnce });
  }

  /** Restarts what this worker owns of a connector (a restart request). */
  private async restartLocal(connector: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    if (this.owns(connector) && this.o.configs.connectors.has(connector)) {
      const cur = this.o.statuses.connector(connector);
      // RESTARTING here; reconcile() below writes the connector's state again.
      if (!onlyFailed || cur?.state === State.FAILED) await this.o.statuses.putConnector(connector, this.status(State.RESTARTING));
    }
    if (includeTasks) {
      for (const [key, r] of [...this.running]) {
        const [c, t] = key.split('\u0000') as [string, string];
        if (c !== connector) continue;
        if (onlyFailed && this.o.statuses.task(c, Number(t))?.state !== State.FAILED) continue;
        this.running.delete(key);
        await this.o.statuses.putTask(c, Number(t), this.status(State.RESTARTING));
        await r.runner.stop();
      }
    }
    await this.reconcile();
  }

  /** Restarts one task if this worker runs it; false when it does not. */
  async restartTask(connector: string, task: number): Promise<boolean> {
    const key = taskKey(connector, task);
    const r = this.running.get(key);
    if (!r) return false;
    await this.schedule(async () => {
      this.running.delete(key);
      await r.runner.stop();
      await this.reconcile();
    });
    return true;
  }

  runsTask(connector: string, task: number): boolean {
    return this.running.has(taskKey(connector, task));
  }

  /** Stops every task (before a rebalance and on shutdown). */
  async stopAll(markUnassigned: boolean): Promise<void> {
    await this.schedule(async () => {
      const all = [...this.running];
      this.running.clear();
      await Promise.all(all.map(([, r]) => r.runner.stop()));
      if (markUnassigned) {
        for (const [key] of all) {
          const [c, t] = key.split('\u0000') as [string, string];
          await this.o.statuses.putTask(c, Number(t), this.status(State.UNASSIGNED)).catch(() => undefined);
        }
      }
    });
  }

  async close(): Promise<void> {
    await this.stopAll(true);
    this.closed = true;
  }
}
