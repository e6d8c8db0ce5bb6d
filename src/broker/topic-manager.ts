/**
 * Creates, deletes and grows topics: validates like Kafka, records the change in the metadata
 * store, and creates or removes the partition logs.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../common/errors.js';
import { resolveTopicConfigs, validateTopicOverrides, numberConfig, stringConfig } from '../config/topic-config-resolver.js';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { LocalMetadataStore, TopicMetadata } from '../cluster/metadata-store.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import type { LogConfig } from '../storage/log-config.js';
import type { LogManager } from '../storage/log-manager.js';
import { Partition, type TopicSettings } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

const LEGAL_TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;
export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: Record<string, string>;
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
  constructor(
    private readonly config: BrokerConfig,
    private readonly store: LocalMetadataStore,
    private readonly logs: LogManager,
    private readonly replicas: ReplicaManager,
    private readonly nodeId: number,
  ) {}

  /** Opens a Partition object for every partition in the metadata (logs already loaded or created empty). */
  loadPartitions(): void {
    for (const t of this.store.allTopics()) {
      this.openPartitions(t, 0);
    }
  }

  logConfigFor(overrides: Readonly<Record<string, string>>): LogConfig {
    const c = resolveTopicConfigs(this.config, overrides);
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
    };
  }

  settingsFor(overrides: Readonly<Record<string, string>>): TopicSettings {
    const c = resolveTopicConfigs(this.config, overrides);
    return { maxMessageBytes: numberConfig(c, 'max.message.bytes') };
  }

  /** Validates a creation request; returns the resolved partition count and replication factor. Throws KafkaError. */
  validateCreate(spec: CreateTopicSpec): { numPartitions: number; replicationFactor: number } {
    validateTopicName(spec.name);
    if (this.store.topic(spec.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    const normalized = spec.name.replace(/\./g, '_');
    for (const t of this.store.allTopics()) {
      if (t.name.replace(/\./g, '_') === normalized) {
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${t.name}`);
      }
    }
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
      validateTopicOverrides(spec.configs);
    } catch (e) {
      if (e instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
    return { numPartitions, replicationFactor };
  }

  /** Creates topics that already passed validateCreate, persisting all of them with one metadata write. */
  createValidated(specs: { name: string; numPartitions: number; configs: Record<string, string>; internal?: boolean }[]): TopicMetadata[] {
    const created: TopicMetadata[] = [];
    for (const s of specs) {
      const meta: TopicMetadata = {
        name: s.name,
        topicId: randomUuid(),
        partitions: Array.from({ length: s.numPartitions }, (_, i) => ({ partition: i, leader: this.nodeId, leaderEpoch: 0, replicas: [this.nodeId], isr: [this.nodeId] })),
        configs: s.configs,
        internal: s.internal ?? INTERNAL_TOPICS.has(s.name),
      };
      created.push(meta);
    }
    this.store.putTopics(created);
    for (const meta of created) this.openPartitions(meta, 0);
    return created;
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
    for (const p of this.replicas.removeTopic(name)) {
      p.notify();
      this.logs.deleteLog(name, p.index);
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
    this.store.putTopic(grown);
    this.openPartitions(grown, current);
  }

  /** Applies new config overrides (already validated) to a topic and its open logs. */
  setConfigs(name: string, configs: Record<string, string>): void {
    const t = this.store.topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    this.store.putTopic({ ...t, configs });
    const logConfig = this.logConfigFor(configs);
    const settings = this.settingsFor(configs);
    for (const p of this.replicas.partitions(name) ?? []) {
      p.log.config = logConfig;
      p.settings = settings;
    }
  }

  private openPartitions(meta: TopicMetadata, from: number): void {
    const logConfig = this.logConfigFor(meta.configs);
    const settings = this.settingsFor(meta.configs);
    for (const pm of meta.partitions.slice(from)) {
      const log = this.logs.getLog(meta.name, pm.partition) ?? this.logs.createLog(meta.name, pm.partition, logConfig);
      this.replicas.add(new Partition(meta.name, pm.partition, meta.topicId, log, pm.leaderEpoch, settings));
    }
  }
}
