/**
 * Per-topic configs with Kafka's names, their broker-level synonyms and defaults.
 * The effective value of a topic config is: topic override, else broker setting (synonym), else default.
 */
import { ConfigType, atLeast, between, oneOf, type ConfigKeyDef } from './config-types.js';

export interface TopicConfigDef extends ConfigKeyDef {
  /** Broker properties that set this topic config's default, most specific first. */
  synonyms: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const LONG_MAX = Number.MAX_SAFE_INTEGER;

/** Kafka's ThrottledReplicaListValidator: '*' alone, or a list of [partition]:[broker] entries. */
function throttledReplicas(v: unknown): string | undefined {
  const list = Array.isArray(v) ? (v as unknown[]).map((x) => String(x).trim()) : [];
  if (list.length === 1 && list[0] === '*') return undefined;
  if (list.every((x) => /^\d+:\d+$/.test(x))) return undefined;
  return "must be the wildcard (*) or a list of replicas in the form [PartitionId]:[BrokerId],[PartitionId]:[BrokerId],...";
}

export const topicConfigDefs: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: ConfigType.list, defaultValue: ['delete'], synonyms: ['log.cleanup.policy'], validate: oneOf('delete', 'compact') },
  { name: 'compression.type', type: ConfigType.string, defaultValue: 'producer', synonyms: ['compression.type'], validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') },
  { name: 'compression.gzip.level', type: ConfigType.int, defaultValue: -1, synonyms: ['compression.gzip.level'], validate: (v) => (v === -1 || (typeof v === 'number' && v >= 1 && v <= 9) ? undefined : 'Value must be between 1 and 9, or -1') },
  { name: 'compression.lz4.level', type: ConfigType.int, defaultValue: 9, synonyms: ['compression.lz4.level'], validate: between(1, 17) },
  { name: 'compression.zstd.level', type: ConfigType.int, defaultValue: 3, synonyms: ['compression.zstd.level'], validate: between(-131072, 22) },
  { name: 'delete.retention.ms', type: ConfigType.long, defaultValue: DAY_MS, synonyms: ['log.cleaner.delete.retention.ms'], validate: atLeast(0) },
  { name: 'file.delete.delay.ms', type: ConfigType.long, defaultValue: 60000, synonyms: ['log.segment.delete.delay.ms'], validate: atLeast(0) },
  { name: 'flush.messages', type: ConfigType.long, defaultValue: LONG_MAX, synonyms: ['log.flush.interval.messages'], validate: atLeast(1) },
  { name: 'flush.ms', type: ConfigType.long, defaultValue: LONG_MAX, synonyms: ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], validate: atLeast(0) },
  { name: 'index.interval.bytes', type: ConfigType.int, defaultValue: 4096, synonyms: ['log.index.interval.bytes'], validate: atLeast(0) },
  { name: 'max.compaction.lag.ms', type: ConfigType.long, defaultValue: LONG_MAX, synonyms: ['log.cleaner.max.compaction.lag.ms'], validate: atLeast(1) },
  { name: 'max.message.bytes', type: ConfigType.int, defaultValue: 1048588, synonyms: ['message.max.bytes'], validate: atLeast(0) },
  { name: 'message.timestamp.type', type: ConfigType.string, defaultValue: 'CreateTime', synonyms: ['log.message.timestamp.type'], validate: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'message.timestamp.before.max.ms', type: ConfigType.long, defaultValue: LONG_MAX, synonyms: ['log.message.timestamp.before.max.ms'], validate: atLeast(0) },
  // Kafka 4.0 (KIP-1030): one hour.
  { name: 'message.timestamp.after.max.ms', type: ConfigType.long, defaultValue: 3_600_000, synonyms: ['log.message.timestamp.after.max.ms'], validate: atLeast(0) },
  { name: 'min.cleanable.dirty.ratio', type: ConfigType.double, defaultValue: 0.5, synonyms: ['log.cleaner.min.cleanable.ratio'], validate: between(0, 1) },
  { name: 'min.compaction.lag.ms', type: ConfigType.long, defaultValue: 0, synonyms: ['log.cleaner.min.compaction.lag.ms'], validate: atLeast(0) },
  { name: 'min.insync.replicas', type: ConfigType.int, defaultValue: 1, synonyms: ['min.insync.replicas'], validate: atLeast(1) },
  { name: 'preallocate', type: ConfigType.boolean, defaultValue: false, synonyms: ['log.preallocate'], inert: true },
  { name: 'retention.bytes', type: ConfigType.long, defaultValue: -1, synonyms: ['log.retention.bytes'] },
  { name: 'retention.ms', type: ConfigType.long, defaultValue: 7 * DAY_MS, synonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], validate: atLeast(-1) },
  { name: 'segment.bytes', type: ConfigType.int, defaultValue: 1073741824, synonyms: ['log.segment.bytes'], validate: atLeast(14) },
  { name: 'segment.index.bytes', type: ConfigType.int, defaultValue: 10485760, synonyms: ['log.index.size.max.bytes'], validate: atLeast(4) },
  { name: 'segment.jitter.ms', type: ConfigType.long, defaultValue: 0, synonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'], validate: atLeast(0) },
  { name: 'segment.ms', type: ConfigType.long, defaultValue: 7 * DAY_MS, synonyms: ['log.roll.ms', 'log.roll.hours'], validate: atLeast(1) },
  { name: 'unclean.leader.election.enable', type: ConfigType.boolean, defaultValue: false, synonyms: ['unclean.leader.election.enable'] },
  { name: 'message.downconversion.enable', type: ConfigType.boolean, defaultValue: true, synonyms: ['log.message.downconversion.enable'] },
  { name: 'local.retention.ms', type: ConfigType.long, defaultValue: -2, synonyms: ['log.local.retention.ms'], inert: true },
  { name: 'local.retention.bytes', type: ConfigType.long, defaultValue: -2, synonyms: ['log.local.retention.bytes'], inert: true },
  { name: 'remote.storage.enable', type: ConfigType.boolean, defaultValue: false, synonyms: [], inert: true },
  { name: 'remote.log.copy.disable', type: ConfigType.boolean, defaultValue: false, synonyms: [], inert: true },
  { name: 'remote.log.delete.on.disable', type: ConfigType.boolean, defaultValue: false, synonyms: [], inert: true },
  // Replication throttling (replication/replication-quota.ts): '*' or partition:broker pairs.
  { name: 'follower.replication.throttled.replicas', type: ConfigType.list, defaultValue: [], synonyms: [], validate: throttledReplicas },
  { name: 'leader.replication.throttled.replicas', type: ConfigType.list, defaultValue: [], synonyms: [], validate: throttledReplicas },
  // Samsa's (Confluent's confluent.*.schema.validation): records must carry a registered schema id
  // in Confluent's wire format (broker/schema-id-validation.ts, docs/schema-registry.md).
  { name: 'samsa.key.schema.validation', type: ConfigType.boolean, defaultValue: false, synonyms: [] },
  { name: 'samsa.value.schema.validation', type: ConfigType.boolean, defaultValue: false, synonyms: [] },
];

export const topicConfigByName: ReadonlyMap<string, TopicConfigDef> = new Map(topicConfigDefs.map((d) => [d.name, d]));
