/**
 * The settings every mirror connector reads (Kafka's MirrorConnectorConfig): the two cluster
 * aliases and their bootstrap servers, the replication policy, intervals in seconds, and the
 * share of the work a task takes.
 *
 * Kafka's keys and defaults kept (`source.cluster.alias`, `target.cluster.alias`,
 * `source.cluster.bootstrap.servers`, `target.cluster.bootstrap.servers`, `*.interval.seconds`,
 * `offset-syncs.topic.location`). Samsa's deviation: Kafka's connector lists the partitions (or
 * groups) and hands each task a list; Samsa's connectors have no background thread to notice new
 * ones, so every task discovers them itself and takes those whose name hashes to its index
 * (`task.index` of `task.count`, set by taskConfigs): the same split, found by the tasks.
 */
import { ClusterClient } from '../../client/cluster-client.js';
import { ConfigError, type ConfigDef, type TaskConfig } from '../api.js';
import { replicationPolicy, type ReplicationPolicy } from './policy.js';

/** The cluster aliases every mirror connector takes. */
export const ALIAS_CONFIG: readonly ConfigDef[] = [
  { name: 'source.cluster.alias', type: 'STRING', required: false, defaultValue: 'source', documentation: 'Alias of the source cluster' },
  { name: 'target.cluster.alias', type: 'STRING', required: false, defaultValue: 'target', documentation: 'Alias of the target cluster' },
];

/** The two clusters' bootstrap servers (the connectors that read or write both clusters). */
export const CLUSTERS_CONFIG: readonly ConfigDef[] = [
  ...ALIAS_CONFIG,
  { name: 'source.cluster.bootstrap.servers', type: 'LIST', required: true, documentation: 'Brokers of the source cluster' },
  { name: 'target.cluster.bootstrap.servers', type: 'LIST', required: true, documentation: 'Brokers of the target cluster' },
];

export interface MirrorSettings {
  source: string;
  target: string;
  sourceBootstrap: string[];
  targetBootstrap: string[];
  policy: ReplicationPolicy;
  taskIndex: number;
  taskCount: number;
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

export function mirrorSettings(config: Readonly<Record<string, string>>, needsSource = true): MirrorSettings {
  const source = config['source.cluster.alias'] ?? 'source';
  const target = config['target.cluster.alias'] ?? 'target';
  const sourceBootstrap = list(config['source.cluster.bootstrap.servers']);
  const targetBootstrap = list(config['target.cluster.bootstrap.servers']);
  if (needsSource && sourceBootstrap.length === 0) throw new ConfigError('Missing required configuration "source.cluster.bootstrap.servers" which has no default value.');
  if (targetBootstrap.length === 0) throw new ConfigError('Missing required configuration "target.cluster.bootstrap.servers" which has no default value.');
  return { source, target, sourceBootstrap, targetBootstrap, policy: replicationPolicy(config), taskIndex: Number(config['task.index'] ?? '0'), taskCount: Math.max(1, Number(config['task.count'] ?? '1')) };
}

/** A non-negative integer setting. */
export function intSetting(config: Readonly<Record<string, string>>, key: string, def: number): number {
  const raw = config[key];
  if (raw === undefined || raw.trim() === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`Invalid value ${raw} for configuration ${key}: Value must be at least 0`);
  return n;
}

export const secondsSetting = (config: Readonly<Record<string, string>>, key: string, def: number): number => intSetting(config, key, def) * 1000;

export const boolSetting = (config: Readonly<Record<string, string>>, key: string, def: boolean): boolean => (config[key] === undefined ? def : config[key].trim().toLowerCase() === 'true');

/** `tasks.max` task configs, each the connector config plus its `task.index` and `task.count`. */
export function splitTasks(config: Readonly<Record<string, string>>, maxTasks: number): TaskConfig[] {
  mirrorSettings(config);
  const n = Math.max(1, maxTasks);
  return Array.from({ length: n }, (_, i) => ({ ...config, 'task.index': String(i), 'task.count': String(n) }));
}

/** Whether the task `index` of `count` owns `name` (FNV-1a of the name, mod count). */
export function owns(name: string, index: number, count: number): boolean {
  if (count <= 1) return true;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % count === index;
}

export const clusterClient = (bootstrap: readonly string[], clientId: string): ClusterClient => new ClusterClient({ bootstrap, clientId });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for `p`, or `ms` at most (the timer cleared either way, so it holds no process open). */
export async function atMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Rides out a cluster that is briefly unreachable (a broker restarting): a failed step is retried
 * on the next poll, and only failures lasting `giveUpMs` end the task (FAILED, with the error).
 */
export class Outage {
  private since: number | null = null;
  constructor(private readonly giveUpMs: number) {}

  async guard<T>(step: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const v = await step();
      this.since = null;
      return v;
    } catch (e) {
      const now = performance.now();
      this.since ??= now;
      if (now - this.since >= this.giveUpMs) throw e;
      await sleep(500);
      return fallback;
    }
  }
}
