/**
 * Exactly-once source support (KIP-618): with the worker's `exactly.once.source.support=enabled`
 * (distributed mode), a source task writes its records and their source offsets to Kafka in one
 * transaction, so after a crash its successor resumes from the offsets of the last committed
 * transaction and a read_committed consumer sees every record exactly once.
 *
 * Kafka's rules kept: the task's transactional id is `<group.id>-<connector>-<task>`, and its
 * InitProducerId fences the previous incarnation of the task (aborting its open transaction)
 * before the task reads its committed offsets and starts; the worker reads the offsets topic
 * read_committed (also with `preparing`, which writes no transactions); connector settings
 * `exactly.once.support` (requested, the default, or required: a connector that does not declare
 * support is refused) and `transaction.boundary` (poll, the default: one transaction per non-empty
 * poll; interval, every `transaction.boundary.interval.ms`, default `offset.flush.interval.ms`;
 * connector: refused unless the connector defines boundaries); when the leader writes a new set of
 * task configs, the producers of the previous set are fenced first (zombie fencing).
 * Samsa's deviations: no connector-specific `offsets.storage.topic` (the worker's offsets topic
 * holds every connector's offsets) and no task-count records in the config topic (the leader fences
 * on every change of an exactly-once connector's task configs); no bundled connector defines
 * transaction boundaries.
 */
import type { ClusterClient } from '../client/cluster-client.js';
import type { RecordToProduce } from '../client/record-producer.js';
import { TransactionalProducer } from '../client/transactional-producer.js';
import { ConfigError, type ConnectorPlugin, type JsonObject } from './api.js';

export const ExactlyOnceSourceSupport = {
  DISABLED: 'disabled',
  PREPARING: 'preparing',
  ENABLED: 'enabled',
} as const;
export type ExactlyOnceSourceSupport = (typeof ExactlyOnceSourceSupport)[keyof typeof ExactlyOnceSourceSupport];

/** The worker's `exactly.once.source.support` (a ConfigError for any other value). */
export function workerExactlyOnce(workerConfig: Readonly<Record<string, string>>): ExactlyOnceSourceSupport {
  const v = (workerConfig['exactly.once.source.support'] ?? 'disabled').trim().toLowerCase();
  if (v === 'disabled' || v === 'preparing' || v === 'enabled') return v;
  throw new ConfigError(`Invalid value ${v} for configuration exactly.once.source.support: String must be one of: disabled, enabled, preparing`);
}

export interface TransactionSettings {
  boundary: 'poll' | 'interval';
  intervalMs: number;
}

/**
 * The transaction settings of a source connector on a worker with exactly-once enabled; throws
 * ConfigError for what Kafka refuses (validated on create, as Kafka's validation does).
 */
export function transactionSettings(plugin: ConnectorPlugin, config: Readonly<Record<string, string>>, workerConfig: Readonly<Record<string, string>>): TransactionSettings {
  const support = (config['exactly.once.support'] ?? 'requested').trim().toLowerCase();
  if (support !== 'requested' && support !== 'required') throw new ConfigError(`Invalid value ${support} for configuration exactly.once.support: String must be one of: requested, required`);
  if (support === 'required' && plugin.exactlyOnceSupport !== 'SUPPORTED') throw new ConfigError(`The connector does not support exactly-once semantics with the provided configuration (exactly.once.support=required): ${plugin.className}`);
  const boundary = (config['transaction.boundary'] ?? 'poll').trim().toLowerCase();
  if (boundary === 'connector') throw new ConfigError(`The connector does not support connector-defined transaction boundaries with the given configuration (transaction.boundary=connector): ${plugin.className}`);
  if (boundary !== 'poll' && boundary !== 'interval') throw new ConfigError(`Invalid value ${boundary} for configuration transaction.boundary: String must be one of: poll, interval, connector`);
  const raw = config['transaction.boundary.interval.ms'] ?? workerConfig['offset.flush.interval.ms'] ?? '60000';
  const intervalMs = Number(raw);
  if (!Number.isInteger(intervalMs) || intervalMs < 0) throw new ConfigError(`Invalid value ${raw} for configuration transaction.boundary.interval.ms: Value must be at least 0`);
  return { boundary, intervalMs };
}

/** Kafka's transactional id of a source task. */
export const transactionalId = (groupId: string, connector: string, task: number): string => `${groupId}-${connector}-${task}`;

/** Fences the producers of tasks 0..count-1 of a connector (InitProducerId bumps each epoch and aborts its open transaction). */
export async function fenceTasks(cluster: ClusterClient, groupId: string, connector: string, count: number): Promise<void> {
  for (let t = 0; t < count; t++) await new TransactionalProducer(cluster, transactionalId(groupId, connector, t)).init();
}

/** What the source runner needs of the offset store to write offsets inside its transaction. */
export interface TransactionalOffsets {
  topic: string;
  /** The offset records of `entries` (Connect's key and value formats). */
  records(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): RecordToProduce[];
  /** Records committed offsets in memory (after the transaction committed). */
  applyCommitted(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): void;
  /** Reads the offsets topic up to its last stable offset. */
  readToEnd(): Promise<void>;
}

export interface ExactlyOnceDeps {
  transactionalId: string;
  settings: TransactionSettings;
  offsets: TransactionalOffsets;
}
