/**
 * Creates, deletes and grows topics: validates like Kafka, records the change in the metadata
 * store, and creates or removes the partition logs. Also the owner of config changes at runtime:
 * topic overrides and dynamic broker configs (AlterConfigs, IncrementalAlterConfigs) are
 * validated, persisted in the metadata store and applied live to the logs (LogConfig), the
 * partitions' settings and the log cleaner.
 *
 * Creation is atomic with respect to metadata and disk: every partition's directory and files are
 * made (and the log dirs fsynced) before the topic is written to the metadata store, so a topic in
 * metadata always has its directories. A failure (EMFILE, ENOSPC, ...) removes what was made and
 * answers KAFKA_STORAGE_ERROR for that topic (retriable: Kafka's code for a log dir that cannot
 * serve a partition; its KRaft controller never touches disks, so it has no exact equivalent).
 * A crash between the steps leaves at most orphan directories, which start-up removes.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../common/errors.js';
import { BrokerConfigUpdateError, parseDynamicBrokerConfigs } from '../config/dynamic-broker-config.js';
import { resolveTopicConfigs, validateTopicOverrides, numberConfig, stringConfig, type ResolvedTopicConfig } from '../config/topic-config-resolver.js';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { LocalMetadataStore, TopicMetadata } from '../cluster/metadata-store.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import type { LogConfig } from '../storage/log-config.js';
import type { LogManager } from '../storage/log-manager.js';
import { Partition, type TopicSettings } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';
import { log } from '../common/logger.js';

const LEGAL_TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;
export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/** Topic settings the produce path needs beyond TopicSettings (cached per topic). */
export interface ProducePolicy {
  /** cleanup.policy includes compact: every record needs a key. */
  compact: boolean;
  /** compression.type ('producer' keeps the producer's codec). */
  compressionType: string;
  /** compression.<codec>.level for the broker-side recompression (-1/undefined = codec default). */
  compressionLevel: number | undefined;
  /** message.timestamp.before.max.ms / after.max.ms for CreateTime topics (MAX_SAFE_INTEGER = no bound). */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  /** message.timestamp.type is LogAppendTime (checked by the old-format up-conversion). */
  logAppendTime?: boolean;
}

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: Record<string, string>;
}

/** True when `name` is a legal topic name (validateTopicName without building an error: cheap enough to call per name of a huge request). */
export function isLegalTopicName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_TOPIC_NAME_LENGTH && name !== '.' && name !== '..' && LEGAL_TOPIC_CHARS.test(name);
}

/** A topic to create, already validated. */
export interface NewTopicSpec {
  name: string;
  numPartitions: number;
  configs: Record<string, string>;
  internal?: boolean;
}

export function validateTopicName(name: string): void {
  if (name.length === 0) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL_TOPIC_CHARS.test(name)) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

export class TopicManager {
  private readonly producePolicies = new Map<string, ProducePolicy>();

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: LocalMetadataStore,
    private readonly logs: LogManager,
    private readonly replicas: ReplicaManager,
    private readonly nodeId: number,
  ) {
    // The broker constructs its TopicManager right after opening the metadata store and the log
    // manager: dynamic broker configs are applied here, before any log is loaded.
    if (store !== undefined) {
      this.loadDynamicBrokerConfigs();
      logs?.configureCleaner(this.cleanerOptions());
    }
  }

  private loadDynamicBrokerConfigs(): void {
    for (const [level, name] of [['dynamic-default', ''], ['dynamic-broker', String(this.nodeId)]] as const) {
      try {
        this.config.setDynamic(level, parseDynamicBrokerConfigs(this.store.brokerConfigs(name)));
      } catch (e) {
        // A stored value that no longer validates must not stop the broker; it is reported and ignored.
        log.error(`ignoring invalid stored dynamic broker configs for '${name}'`, e);
      }
    }
  }

  /** log.cleaner.* settings from the broker config. */
  private cleanerOptions(): { enabled: boolean; backoffMs: number; dedupeBufferSize: number; ioBufferSize: number } {
    return {
      enabled: this.config.bool('log.cleaner.enable'),
      backoffMs: this.config.int('log.cleaner.backoff.ms'),
      dedupeBufferSize: this.config.int('log.cleaner.dedupe.buffer.size'),
      ioBufferSize: Math.max(64 * 1024, this.config.int('log.cleaner.io.buffer.size')),
    };
  }

  /** Opens a Partition object for every partition in the metadata (logs already loaded or created empty). */
  loadPartitions(): void {
    // Directories whose topic never reached the metadata (a crash mid-creation) are not kept.
    this.logs.removeStrayLogs((topic, partition) => (this.store.topic(topic)?.partitions.length ?? 0) > partition);
    for (const t of this.store.allTopics()) {
      this.openPartitions(t, 0);
    }
  }

  logConfigFor(overrides: Readonly<Record<string, string>>): LogConfig {
    const c = resolveTopicConfigs(this.config, overrides);
    const policy = listConfig(c, 'cleanup.policy');
    return {
      segmentBytes: numberConfig(c, 'segment.bytes'),
      segmentMs: numberConfig(c, 'segment.ms'),
      retentionMs: numberConfig(c, 'retention.ms'),
      retentionBytes: numberConfig(c, 'retention.bytes'),
      indexIntervalBytes: numberConfig(c, 'index.interval.bytes'),
      segmentIndexBytes: numberConfig(c, 'segment.index.bytes'),
      flushIntervalMessages: numberConfig(c, 'flush.messages'),
      flushIntervalMs: numberConfig(c, 'flush.ms'),
      fileDeleteDelayMs: numberConfig(c, 'file.delete.delay.ms'),
      messageTimestampType: stringConfig(c, 'message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
      cleanupPolicy: { delete: policy.includes('delete'), compact: policy.includes('compact') },
      deleteRetentionMs: numberConfig(c, 'delete.retention.ms'),
      minCleanableDirtyRatio: numberConfig(c, 'min.cleanable.dirty.ratio'),
      minCompactionLagMs: numberConfig(c, 'min.compaction.lag.ms'),
      maxCompactionLagMs: numberConfig(c, 'max.compaction.lag.ms'),
    };
  }

  settingsFor(overrides: Readonly<Record<string, string>>): TopicSettings {
    const c = resolveTopicConfigs(this.config, overrides);
    return {
      maxMessageBytes: numberConfig(c, 'max.message.bytes'),
      minInsyncReplicas: numberConfig(c, 'min.insync.replicas'),
      downConversionEnable: c.get('message.downconversion.enable')?.value !== false,
    };
  }

  private producePolicyFor(overrides: Readonly<Record<string, string>>): ProducePolicy {
    const c = resolveTopicConfigs(this.config, overrides);
    const compressionType = stringConfig(c, 'compression.type');
    const levelKey = compressionType === 'gzip' || compressionType === 'lz4' || compressionType === 'zstd' ? `compression.${compressionType}.level` : undefined;
    const level = levelKey !== undefined ? numberConfig(c, levelKey) : undefined;
    const createTime = stringConfig(c, 'message.timestamp.type') !== 'LogAppendTime';
    return {
      compact: listConfig(c, 'cleanup.policy').includes('compact'),
      compressionType,
      compressionLevel: level === -1 ? undefined : level,
      timestampBeforeMaxMs: createTime ? numberConfig(c, 'message.timestamp.before.max.ms') : Number.MAX_SAFE_INTEGER,
      timestampAfterMaxMs: createTime ? numberConfig(c, 'message.timestamp.after.max.ms') : Number.MAX_SAFE_INTEGER,
      logAppendTime: !createTime,
    };
  }

  /** Produce-time settings of a topic (compaction key check, broker-side compression). */
  producePolicy(topic: string): ProducePolicy | undefined {
    let p = this.producePolicies.get(topic);
    if (p === undefined) {
      const t = this.store.topic(topic);
      if (t === undefined) return undefined;
      p = this.producePolicyFor(t.configs);
      this.producePolicies.set(topic, p);
    }
    return p;
  }

  /** Validates a creation request; returns the resolved partition count and replication factor. Throws KafkaError. */
  validateCreate(spec: CreateTopicSpec): { numPartitions: number; replicationFactor: number } {
    validateTopicName(spec.name);
    if (this.store.topic(spec.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    const collision = this.store.collidingTopic(spec.name);
    if (collision !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${collision}`);
    let numPartitions = spec.numPartitions;
    let replicationFactor = spec.replicationFactor;
    if (spec.assignments.length > 0) {
      if (numPartitions !== -1 || replicationFactor !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const indexes = spec.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
      indexes.forEach((p, i) => {
        if (p !== i) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
      });
      for (const a of spec.assignments) {
        if (a.brokerIds.length === 0 || a.brokerIds.some((b) => b !== this.nodeId) || new Set(a.brokerIds).size !== a.brokerIds.length) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment ${JSON.stringify(a.brokerIds)} for partition ${a.partitionIndex} names unknown or duplicate brokers`);
        }
      }
      numPartitions = spec.assignments.length;
      replicationFactor = spec.assignments[0]?.brokerIds.length ?? 1;
    }
    if (numPartitions === -1) numPartitions = this.config.int('num.partitions');
    if (replicationFactor === -1) replicationFactor = this.config.int('default.replication.factor');
    if (numPartitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    if (replicationFactor > 1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
    }
    try {
      validateTopicOverrides(spec.configs, this.config);
    } catch (e) {
      if (e instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
    return { numPartitions, replicationFactor };
  }

  /** Creates topics that already passed validateCreate (all or nothing); throws the first topic's error. */
  createValidated(specs: NewTopicSpec[]): TopicMetadata[] {
    const results = this.createEach(specs);
    for (const r of results) if (r instanceof KafkaError) throw r;
    return results as TopicMetadata[];
  }

  /**
   * Creates topics that already passed validateCreate: for each, its metadata, or the error that
   * stopped it (then nothing of it is left on disk or in metadata). Disk first (directories, files,
   * one fsync per log dir), then one metadata write for all topics whose logs exist, then the
   * partitions go live.
   */
  createEach(specs: NewTopicSpec[]): (TopicMetadata | KafkaError)[] {
    const results: (TopicMetadata | KafkaError)[] = [];
    const prepared: { meta: TopicMetadata; partitions: Partition[] }[] = [];
    for (const s of specs) {
      const meta: TopicMetadata = {
        name: s.name,
        topicId: randomUuid(),
        partitions: Array.from({ length: s.numPartitions }, (_, i) => ({ partition: i, leader: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId] })),
        configs: s.configs,
        internal: s.internal ?? INTERNAL_TOPICS.has(s.name),
      };
      try {
        prepared.push({ meta, partitions: this.preparePartitions(meta, 0) });
        results.push(meta);
      } catch (e) {
        results.push(this.creationError(s.name, e));
      }
    }
    try {
      this.logs.syncNewLogDirs();
      this.store.putTopics(prepared.map((p) => p.meta));
    } catch (e) {
      for (const p of prepared) this.abandonPartitions(p.meta.name, 0, p.meta.partitions.length);
      const err = this.creationError(prepared.map((p) => p.meta.name).join(', '), e);
      return results.map((r) => (r instanceof KafkaError ? r : err));
    }
    for (const p of prepared) this.registerPartitions(p.meta, p.partitions);
    return results;
  }

  /** Removes the logs of partitions [from, to) of a topic whose creation failed. */
  private abandonPartitions(name: string, from: number, to: number): void {
    for (let p = from; p < to; p++) this.logs.abandonNewLog(name, p);
  }

  /** A failure while creating: the partial topic is gone; fs errors become KAFKA_STORAGE_ERROR. */
  private creationError(name: string, e: unknown): KafkaError {
    if (e instanceof KafkaError) return e;
    log.error(`creating topic(s) ${name} failed; nothing of them was kept`, e);
    const code = (e as { code?: unknown } | null)?.code;
    const cause = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
    const errno = typeof code === 'string' ? code : typeof cause === 'string' ? cause : undefined;
    const message = e instanceof Error ? e.message : String(e);
    if (errno !== undefined) return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Cannot create the log directories of ${name}: ${message}`);
    return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Creating ${name} failed: ${message}`);
  }

  create(spec: CreateTopicSpec): TopicMetadata {
    const { numPartitions } = this.validateCreate(spec);
    const [meta] = this.createValidated([{ name: spec.name, numPartitions, configs: spec.configs }]);
    return meta as TopicMetadata;
  }

  delete(name: string): void {
    const t = this.store.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    this.store.deleteTopic(name);
    this.producePolicies.delete(name);
    for (const p of this.replicas.removeTopic(name)) {
      this.logs.deleteLog(name, p.index);
      // Wake long polls on it: they see the closed log and answer UNKNOWN_TOPIC_OR_PARTITION.
      p.notify();
    }
  }

  /** CreatePartitions: grows a topic to `count` partitions. */
  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): void {
    const t = this.store.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = t.partitions.length;
    if (count < current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    if (count === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (assignments !== null) {
      if (assignments.length !== count - current) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${count - current} but ${assignments.length} assignments provided.`);
      }
      for (const a of assignments) {
        if (a.length === 0 || a.some((b) => b !== this.nodeId)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker in assignment ${JSON.stringify(a)}`);
      }
    }
    if (validateOnly) return;
    const grown: TopicMetadata = {
      ...t,
      partitions: [
        ...t.partitions,
        ...Array.from({ length: count - current }, (_, i) => ({ partition: current + i, leader: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId] })),
      ],
    };
    // As for creation: the new partitions' directories exist before the metadata names them.
    let partitions: Partition[];
    try {
      partitions = this.preparePartitions(grown, current);
      this.logs.syncNewLogDirs();
      this.store.putTopic(grown);
    } catch (e) {
      this.abandonPartitions(name, current, count);
      throw this.creationError(name, e);
    }
    this.registerPartitions(grown, partitions);
  }

  /** Applies new config overrides (already validated) to a topic and its open logs. */
  setConfigs(name: string, configs: Record<string, string>): void {
    const t = this.store.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    this.store.putTopic({ ...t, configs });
    this.applyTopicConfigs(name, configs);
  }

  /** Pushes a topic's effective configs to its logs, partitions and produce policy. */
  private applyTopicConfigs(name: string, configs: Readonly<Record<string, string>>): void {
    const logConfig = this.logConfigFor(configs);
    const settings = this.settingsFor(configs);
    this.producePolicies.set(name, this.producePolicyFor(configs));
    for (const p of this.replicas.partitions(name) ?? []) {
      p.log.config = logConfig;
      p.settings = settings;
    }
  }

  /** The topic's config overrides (what AlterConfigs replaces). Throws UNKNOWN_TOPIC_OR_PARTITION. */
  topicConfigs(name: string): Record<string, string> {
    const t = this.store.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    return { ...t.configs };
  }

  /**
   * Replaces a topic's config overrides with `configs` (AlterConfigs semantics; the incremental
   * API computes the full set first). Invalid names or values: INVALID_CONFIG. Nothing is changed
   * when `validateOnly`.
   */
  alterTopicConfigs(name: string, configs: Record<string, string>, validateOnly: boolean): void {
    this.topicConfigs(name);
    try {
      validateTopicOverrides(configs, this.config);
    } catch (e) {
      if (e instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
    if (!validateOnly) this.setConfigs(name, configs);
  }

  /** Checks a BROKER resource name: '' (cluster default) or this node's id; returns the dynamic level. */
  brokerResourceLevel(resourceName: string): 'dynamic-default' | 'dynamic-broker' {
    if (resourceName === '') return 'dynamic-default';
    if (resourceName === String(this.nodeId)) return 'dynamic-broker';
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.nodeId} or empty string, but received ${resourceName}`);
  }

  /** The dynamic configs stored for a BROKER resource ('' = cluster default, else this node's id). */
  brokerConfigs(resourceName: string): Record<string, string> {
    this.brokerResourceLevel(resourceName);
    return this.store.brokerConfigs(resourceName);
  }

  /**
   * Replaces the dynamic configs of a BROKER resource. Keys that are not dynamically updatable:
   * INVALID_REQUEST; bad values: INVALID_CONFIG. Applied at once to every topic that inherits the
   * changed defaults, to the partitions' settings and to the log cleaner, and persisted.
   */
  alterBrokerConfigs(resourceName: string, configs: Record<string, string>, validateOnly: boolean): void {
    const level = this.brokerResourceLevel(resourceName);
    let parsed;
    try {
      parsed = parseDynamicBrokerConfigs(configs);
    } catch (e) {
      if (e instanceof BrokerConfigUpdateError) {
        throw new KafkaError(e.invalidRequest ? ErrorCode.INVALID_REQUEST : ErrorCode.INVALID_CONFIG, `Invalid config value for resource ConfigResource(type=BROKER, name='${resourceName}'): ${e.message}`);
      }
      throw e;
    }
    if (validateOnly) return;
    this.store.putBrokerConfigs(resourceName, configs);
    this.config.setDynamic(level, parsed);
    this.refreshAll();
  }

  /** Recomputes every topic's effective configs (after a broker default changed). */
  private refreshAll(): void {
    for (const t of this.store.allTopics()) this.applyTopicConfigs(t.name, t.configs);
    this.logs?.configureCleaner(this.cleanerOptions());
  }

  private openPartitions(meta: TopicMetadata, from: number): void {
    const partitions = this.preparePartitions(meta, from);
    this.logs.syncNewLogDirs();
    this.registerPartitions(meta, partitions);
  }

  /**
   * Loads or creates the logs of partitions [from, end) and their Partition objects, not yet
   * registered. On failure, the logs this call created are removed again and the error rethrown.
   */
  private preparePartitions(meta: TopicMetadata, from: number): Partition[] {
    const logConfig = this.logConfigFor(meta.configs);
    const settings = this.settingsFor(meta.configs);
    const out: Partition[] = [];
    const createdHere: number[] = [];
    try {
      for (const pm of meta.partitions.slice(from)) {
        let log = this.logs.getLog(meta.name, pm.partition);
        if (log === undefined) {
          log = this.logs.createLog(meta.name, pm.partition, logConfig, false);
          createdHere.push(pm.partition);
        }
        log.config = logConfig;
        const partition = new Partition(meta.name, pm.partition, meta.topicId, log, pm.leaderEpoch, settings);
        // The cleaner stays below the last stable offset and drops data of aborted transactions.
        log.cleanerHooks = {
          stableOffset: () => partition.lastStableOffset,
          abortedTxns: (lo, hi) => partition.producers.collectAbortedTxns(lo, hi),
        };
        out.push(partition);
      }
    } catch (e) {
      for (const p of createdHere) this.logs.abandonNewLog(meta.name, p);
      throw e;
    }
    return out;
  }

  private registerPartitions(meta: TopicMetadata, partitions: readonly Partition[]): void {
    this.producePolicies.set(meta.name, this.producePolicyFor(meta.configs));
    for (const p of partitions) this.replicas.add(p);
  }
}

function listConfig(m: ReadonlyMap<string, ResolvedTopicConfig>, key: string): string[] {
  const v = m.get(key)?.value;
  return Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').map((x) => x.trim()) : [];
}
