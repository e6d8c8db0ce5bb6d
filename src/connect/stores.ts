/**
 * The three stores of a Connect worker, each in a memory/file flavour (standalone) and a Kafka
 * flavour (distributed, over compacted topics read by every worker):
 * - configs (connect-configs): `connector-<name>` {"properties":{...}} (null: deleted),
 *   `task-<name>-<n>` {"properties":{...}} made visible by `commit-<name>` {"tasks":n},
 *   `target-state-<name>` {"state":"PAUSED"}, `restart-connector-<name>`
 *   {"include-tasks":b,"only-failed":b};
 * - offsets (connect-offsets): key `["<connector>",{partition}]`, value the offset JSON (null: reset);
 * - statuses (connect-status): `status-connector-<name>`, `status-task-<name>-<n>` with
 *   {"state","trace","worker_id","generation"}, and `status-topic-<topic>:connector-<name>`.
 * These are Kafka Connect's key formats. Samsa's deviation: no config-topic session keys.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { ClusterClient } from '../client/cluster-client.js';
import type { RecordToProduce } from '../client/record-producer.js';
import type { JsonObject, TaskConfig } from './api.js';
import type { TransactionalOffsets } from './exactly-once.js';
import { KafkaLog } from './kafka-log.js';
import type { OffsetStore } from './source-runner.js';
import type { Status, TargetState } from './task-status.js';

export interface ConnectorState {
  config: Record<string, string>;
  tasks: TaskConfig[];
  target: TargetState;
}

export type ConfigEvent = { type: 'changed'; connector: string } | { type: 'restart'; connector: string; includeTasks: boolean; onlyFailed: boolean };

export interface ConfigStore {
  readonly connectors: ReadonlyMap<string, ConnectorState>;
  putConnectorConfig(name: string, config: Record<string, string>): Promise<void>;
  removeConnector(name: string): Promise<void>;
  putTaskConfigs(name: string, tasks: TaskConfig[]): Promise<void>;
  putTargetState(name: string, target: TargetState): Promise<void>;
  requestRestart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void>;
  onEvent(cb: (e: ConfigEvent) => void): void;
}

export interface StatusStore {
  putConnector(name: string, s: Status): Promise<void>;
  putTask(name: string, task: number, s: Status): Promise<void>;
  putTopic(name: string, topic: string): Promise<void>;
  resetTopics(name: string): Promise<void>;
  connector(name: string): Status | undefined;
  task(name: string, task: number): Status | undefined;
  topics(name: string): string[];
}

export interface FullOffsetStore extends OffsetStore {
  /** Every (partition, offset) of a connector. */
  all(connector: string): { partition: JsonObject; offset: JsonObject }[];
}

const offsetKey = (connector: string, partition: JsonObject): string => JSON.stringify([connector, partition]);

/** Configs held in memory (standalone). */
export class MemoryConfigStore implements ConfigStore {
  readonly connectors = new Map<string, ConnectorState>();
  private readonly listeners: ((e: ConfigEvent) => void)[] = [];
  onEvent(cb: (e: ConfigEvent) => void): void {
    this.listeners.push(cb);
  }
  private emit(e: ConfigEvent): void {
    for (const l of this.listeners) l(e);
  }
  async putConnectorConfig(name: string, config: Record<string, string>): Promise<void> {
    const old = this.connectors.get(name);
    this.connectors.set(name, { config, tasks: old?.tasks ?? [], target: old?.target ?? 'STARTED' });
    this.emit({ type: 'changed', connector: name });
  }
  async removeConnector(name: string): Promise<void> {
    this.connectors.delete(name);
    this.emit({ type: 'changed', connector: name });
  }
  async putTaskConfigs(name: string, tasks: TaskConfig[]): Promise<void> {
    const c = this.connectors.get(name);
    if (c) c.tasks = tasks;
    this.emit({ type: 'changed', connector: name });
  }
  async putTargetState(name: string, target: TargetState): Promise<void> {
    const c = this.connectors.get(name);
    if (c) c.target = target;
    this.emit({ type: 'changed', connector: name });
  }
  async requestRestart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    this.emit({ type: 'restart', connector: name, includeTasks, onlyFailed });
  }
}

/** Statuses held in memory (standalone), also the read side of the Kafka store. */
export class MemoryStatusStore implements StatusStore {
  protected readonly statuses = new Map<string, Status>();
  protected readonly topicsBy = new Map<string, Set<string>>();
  async putConnector(name: string, s: Status): Promise<void> {
    this.statuses.set(`status-connector-${name}`, s);
  }
  async putTask(name: string, task: number, s: Status): Promise<void> {
    this.statuses.set(`status-task-${name}-${task}`, s);
  }
  async putTopic(name: string, topic: string): Promise<void> {
    this.topicsBy.set(name, new Set([...(this.topicsBy.get(name) ?? []), topic]));
  }
  async resetTopics(name: string): Promise<void> {
    this.topicsBy.delete(name);
  }
  connector(name: string): Status | undefined {
    return this.statuses.get(`status-connector-${name}`);
  }
  task(name: string, task: number): Status | undefined {
    return this.statuses.get(`status-task-${name}-${task}`);
  }
  topics(name: string): string[] {
    return [...(this.topicsBy.get(name) ?? [])].sort();
  }
}

/** Offsets in memory, saved to `offset.storage.file.filename` on every put (standalone). */
export class FileOffsetStore implements FullOffsetStore {
  private readonly map = new Map<string, JsonObject>();
  constructor(private readonly file: string | null) {
    if (file === null) return;
    try {
      const entries = JSON.parse(readFileSync(file, 'utf8')) as [string, JsonObject][];
      for (const [k, v] of entries) this.map.set(k, v);
    } catch {
      // no file yet
    }
  }
  get(connector: string, partition: JsonObject): JsonObject | null {
    return this.map.get(offsetKey(connector, partition)) ?? null;
  }
  all(connector: string): { partition: JsonObject; offset: JsonObject }[] {
    return [...this.map].map(([k, offset]) => [JSON.parse(k) as [string, JsonObject], offset] as const).filter(([k]) => k[0] === connector).map(([k, offset]) => ({ partition: k[1], offset }));
  }
  /** Updates the offsets in memory only. */
  protected setLocal(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): void {
    for (const e of entries) {
      if (e.offset === null) this.map.delete(offsetKey(connector, e.partition));
      else this.map.set(offsetKey(connector, e.partition), e.offset);
    }
  }
  async put(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): Promise<void> {
    this.setLocal(connector, entries);
    if (this.file === null) return;
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify([...this.map]));
    await rename(tmp, this.file);
  }
}

const json = (v: Buffer | null): Record<string, unknown> | null => {
  if (v === null) return null;
  try {
    const o = JSON.parse(v.toString('utf8')) as unknown;
    return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};
const enc = (o: unknown): Buffer => Buffer.from(JSON.stringify(o), 'utf8');

/** connect-configs (one partition, as Kafka requires). */
export class KafkaConfigStore extends MemoryConfigStore {
  readonly log: KafkaLog;
  private readonly pendingTasks = new Map<string, Map<number, TaskConfig>>();
  private readonly ready = new Set<string>();
  constructor(cluster: ClusterClient, topic: string, rf: number, onError: (e: unknown) => void) {
    super();
    this.log = new KafkaLog(cluster, topic, 1, rf, (k, v) => this.apply(k?.toString('utf8') ?? '', v), onError);
  }
  private apply(key: string, v: Buffer | null): void {
    const o = json(v);
    let m: RegExpMatchArray | null;
    if (key.startsWith('connector-')) {
      const name = key.slice('connector-'.length);
      if (o === null) void super.removeConnector(name);
      else void super.putConnectorConfig(name, (o['properties'] ?? {}) as Record<string, string>);
    } else if ((m = /^task-(.+)-(\d+)$/.exec(key)) !== null && m[1] !== undefined) {
      const byId = this.pendingTasks.get(m[1]) ?? new Map<number, TaskConfig>();
      byId.set(Number(m[2]), (o?.['properties'] ?? {}) as TaskConfig);
      this.pendingTasks.set(m[1], byId);
    } else if (key.startsWith('commit-')) {
      const name = key.slice('commit-'.length);
      const n = Number(o?.['tasks'] ?? 0);
      const byId = this.pendingTasks.get(name) ?? new Map<number, TaskConfig>();
      void super.putTaskConfigs(name, Array.from({ length: n }, (_, i) => byId.get(i) ?? {}));
    } else if (key.startsWith('target-state-')) {
      const s = o?.['state'];
      void super.putTargetState(key.slice('target-state-'.length), s === 'PAUSED' || s === 'STOPPED' ? s : 'STARTED');
    } else if (key.startsWith('restart-connector-') && o !== null) {
      void super.requestRestart(key.slice('restart-connector-'.length), o['include-tasks'] === true, o['only-failed'] === true);
    }
    this.ready.add(key);
  }
  override putConnectorConfig(name: string, config: Record<string, string>): Promise<void> {
    return this.log.sendAndRead(`connector-${name}`, enc({ properties: config }));
  }
  override async removeConnector(name: string): Promise<void> {
    await this.log.sendAndRead(`target-state-${name}`, null);
    await this.log.sendAndRead(`connector-${name}`, null);
  }
  override async putTaskConfigs(name: string, tasks: TaskConfig[]): Promise<void> {
    for (const [i, t] of tasks.entries()) await this.log.send(`task-${name}-${i}`, enc({ properties: t }));
    await this.log.sendAndRead(`commit-${name}`, enc({ tasks: tasks.length }));
  }
  override putTargetState(name: string, target: TargetState): Promise<void> {
    return this.log.sendAndRead(`target-state-${name}`, enc({ state: target, 'state.v2': target }));
  }
  override requestRestart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<void> {
    return this.log.sendAndRead(`restart-connector-${name}`, enc({ 'include-tasks': includeTasks, 'only-failed': onlyFailed }));
  }
}

/** connect-status. */
export class KafkaStatusStore extends MemoryStatusStore {
  readonly log: KafkaLog;
  constructor(cluster: ClusterClient, topic: string, rf: number, onError: (e: unknown) => void) {
    super();
    this.log = new KafkaLog(cluster, topic, 5, rf, (k, v) => this.apply(k?.toString('utf8') ?? '', v), onError);
  }
  private apply(key: string, v: Buffer | null): void {
    const o = json(v);
    const m = /^status-topic-(.+):connector-(.+)$/.exec(key);
    if (m !== null && m[1] !== undefined && m[2] !== undefined) {
      if (o === null) this.topicsBy.get(m[2])?.delete(m[1]);
      else this.topicsBy.set(m[2], new Set([...(this.topicsBy.get(m[2]) ?? []), m[1]]));
      return;
    }
    if (o === null) this.statuses.delete(key);
    else this.statuses.set(key, { state: o['state'] as Status['state'], trace: (o['trace'] as string | null) ?? null, workerId: String(o['worker_id'] ?? ''), generation: Number(o['generation'] ?? 0) });
  }
  private value(s: Status): Buffer {
    return enc({ state: s.state, trace: s.trace, worker_id: s.workerId, generation: s.generation });
  }
  override async putConnector(name: string, s: Status): Promise<void> {
    await super.putConnector(name, s);
    await this.log.send(`status-connector-${name}`, this.value(s));
  }
  override async putTask(name: string, task: number, s: Status): Promise<void> {
    await super.putTask(name, task, s);
    await this.log.send(`status-task-${name}-${task}`, this.value(s));
  }
  override async putTopic(name: string, topic: string): Promise<void> {
    if (this.topics(name).includes(topic)) return;
    await super.putTopic(name, topic);
    await this.log.send(`status-topic-${topic}:connector-${name}`, enc({ topic: { name: topic, connector: name, task: 0, discoverTimestamp: Date.now() } }));
  }
  override async resetTopics(name: string): Promise<void> {
    const list = this.topics(name);
    await super.resetTopics(name);
    for (const t of list) await this.log.sendAndRead(`status-topic-${t}:connector-${name}`, null);
  }
}

/** connect-offsets (read_committed when the worker runs exactly-once sources). */
export class KafkaOffsetStore extends FileOffsetStore implements TransactionalOffsets {
  readonly log: KafkaLog;
  constructor(cluster: ClusterClient, topic: string, rf: number, onError: (e: unknown) => void, isolationLevel = 0) {
    super(null);
    this.log = new KafkaLog(cluster, topic, 25, rf, (k, v) => this.apply(k, v), onError, isolationLevel);
  }
  get topic(): string {
    return this.log.topic;
  }
  private apply(k: Buffer | null, v: Buffer | null): void {
    if (k === null) return;
    try {
      const [connector, partition] = JSON.parse(k.toString('utf8')) as [string, JsonObject];
      this.setLocal(connector, [{ partition, offset: v === null ? null : (JSON.parse(v.toString('utf8')) as JsonObject) }]);
    } catch {
      // not an offset record
    }
  }
  records(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): RecordToProduce[] {
    return entries.map((e) => ({ key: Buffer.from(offsetKey(connector, e.partition), 'utf8'), value: e.offset === null ? null : enc(e.offset) }));
  }
  applyCommitted(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): void {
    this.setLocal(connector, entries);
  }
  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }
  override async put(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): Promise<void> {
    await super.put(connector, entries);
    for (const e of entries) await this.log.send(offsetKey(connector, e.partition), e.offset === null ? null : enc(e.offset));
  }
}
