/**
 * Builds the coordinators' narrow dependencies (coordinator/deps.ts) from the broker's replica
 * manager, metadata store, topic controller and config. The coordinators never see the Broker.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { systemScheduler, type Scheduler } from '../common/scheduler.js';
import { commitPromise } from '../replication/delayed-commit.js';
import type { CoordinatorAppend, InternalPartition, InternalTopics, MetadataView, PartitionWriter } from '../coordinator/deps.js';
import type { GroupCoordinatorSettings } from '../group/runtime.js';
import type { TxnCoordinatorSettings } from '../txn/coordinator.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';
import type { MetadataStore } from '../metadata/store.js';
import type { TopicController } from './topic-controller.js';

export interface PartitionWriterOptions {
  /** Times the commit waits out (default: the system scheduler). */
  scheduler?: Pick<Scheduler, 'schedule'>;
  /** How long a write on a replicated leader may wait for the high watermark (default: offsets.commit.timeout.ms's 5000). */
  commitTimeoutMs?: number;
}

/** Kafka's offsets.commit.timeout.ms default: its group coordinator's bound on a write's commit. */
const DEFAULT_COMMIT_TIMEOUT_MS = 5000;

/**
 * Coordinator writes, with Kafka's acks=all rules (its coordinators append with acks=-1):
 * - sole leader (single node): committed once in the local log, `committed` is null;
 * - replicated leader: NOT_ENOUGH_REPLICAS (thrown, nothing written) when the ISR is below
 *   min.insync.replicas; otherwise `committed` settles when the high watermark passes the append,
 *   rejecting with KafkaError NOT_ENOUGH_REPLICAS_AFTER_APPEND (ISR below the minimum by then),
 *   NOT_LEADER_OR_FOLLOWER (leadership lost first) or REQUEST_TIMED_OUT (after `commitTimeoutMs`).
 */
export function partitionWriter(replicas: ReplicaManager, opts: PartitionWriterOptions = {}): PartitionWriter {
  const scheduler = opts.scheduler ?? systemScheduler;
  const timeoutMs = opts.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS;
  return {
    append(topic, partition, batch): CoordinatorAppend {
      const p = replicas.partition(topic, partition);
      if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No partition ${topic}-${partition} on this broker`);
      const replicated = p.role === 'leader';
      if (replicated && p.isrSize < p.settings.minInsyncReplicas) {
        throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR (${p.isrSize}) is insufficient to satisfy the min.isr requirement of ${p.settings.minInsyncReplicas} for partition ${topic}-${partition}`);
      }
      const r = p.appendAsLeader(batch, { origin: 'coordinator' });
      const committed = replicated ? commitPromise(p, r.lastOffset + 1, scheduler, timeoutMs, (code) => new KafkaError(code, `Write to ${topic}-${partition} at ${r.firstOffset}..${r.lastOffset} not committed`)) : null;
      return { firstOffset: r.firstOffset, lastOffset: r.lastOffset, committed };
    },
  };
}

function internalPartition(p: Partition): InternalPartition {
  return {
    index: p.index,
    get logStartOffset() {
      return p.logStartOffset;
    },
    get logEndOffset() {
      return p.logEndOffset;
    },
    get leaderEpoch() {
      return p.leaderEpoch;
    },
    read: (offset, maxBytes, maxOffset) => p.log.read(offset, maxBytes, maxOffset, true).records,
    get compacted() {
      return p.log.config.cleanupPolicy?.compact === true;
    },
    deleteRecordsBefore: (offset) => p.log.deleteRecordsBefore(Math.min(offset, p.highWatermark)),
  };
}

/**
 * Replication of the internal topics: on a single node one replica; in a cluster
 * offsets.topic.replication.factor / transaction.state.log.replication.factor (creation fails, and
 * the coordinator answers COORDINATOR_NOT_AVAILABLE, while fewer brokers are registered, as in
 * Kafka), with min.insync.replicas = transaction.state.log.min.isr for __transaction_state.
 */
function internalReplication(config: BrokerConfig, topic: string): { replicationFactor: number; configs: Record<string, string> } {
  if (config.list('etcd.endpoints').length === 0) return { replicationFactor: 1, configs: {} };
  if (topic === '__transaction_state') {
    return { replicationFactor: config.int('transaction.state.log.replication.factor'), configs: { 'min.insync.replicas': String(config.int('transaction.state.log.min.isr')) } };
  }
  if (topic === '__share_group_state') {
    return { replicationFactor: config.int('share.coordinator.state.topic.replication.factor'), configs: { 'min.insync.replicas': String(config.int('share.coordinator.state.topic.min.isr')) } };
  }
  return { replicationFactor: config.int('offsets.topic.replication.factor'), configs: {} };
}

/**
 * The internal partitions this broker leads (a coordinator serves only those: Kafka's rule); a
 * follower replica is not the coordinator's to read or write.
 */
export function internalTopics(replicas: ReplicaManager, topics: TopicController, config: BrokerConfig): InternalTopics {
  return {
    partition(topic, index) {
      const p = replicas.partition(topic, index);
      return p?.isLeader === true ? internalPartition(p) : undefined;
    },
    partitions(topic) {
      return (replicas.partitions(topic) ?? []).filter((p): p is Partition => p !== undefined && p.isLeader).map(internalPartition);
    },
    async create(spec) {
      try {
        const r = internalReplication(config, spec.name);
        await topics.createValidated([{ ...spec, configs: { ...spec.configs, ...r.configs }, replicationFactor: r.replicationFactor, internal: true }]);
      } catch (e) {
        // Created by another request meanwhile: what the caller wanted.
        if (!(e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
      }
    },
  };
}

/** `hasPartition` asks the metadata (in a cluster a group's coordinator need not host the partitions it commits offsets for). */
export function metadataView(metadata: MetadataStore, replicas: ReplicaManager, topics: TopicController): MetadataView {
  return {
    partitionCount: (topic) => metadata.image().topic(topic)?.partitions.length,
    hasPartition: (topic, partition) => replicas.partition(topic, partition) !== undefined || (partition >= 0 && partition < (metadata.image().topic(topic)?.partitions.length ?? 0)),
    onTopicDeleted: (listener) => void topics.deleteListeners.push((t) => listener(t.name)),
    topicId: (topic) => metadata.image().topic(topic)?.topicId,
    topicNames: () => [...metadata.image().topics()].map((t) => t.name),
    groupConfigs: (groupId) => metadata.image().groupConfigs(groupId),
    partitionRacks: (topic) => {
      const image = metadata.image();
      return image.topic(topic)?.partitions.map((p) => p.replicas.flatMap((id) => image.broker(id)?.rack ?? []));
    },
  };
}

/** Group coordinator settings; the ones Kafka reads at each use are getters (dynamic broker configs). */
export function groupCoordinatorSettings(config: BrokerConfig): GroupCoordinatorSettings {
  return {
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxGroupSize: config.int('group.max.size'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    newMemberJoinTimeoutMs: 5 * 60 * 1000,
    get offsetsTopicNumPartitions() {
      return config.int('offsets.topic.num.partitions');
    },
    get offsetsTopicSegmentBytes() {
      return config.int('offsets.topic.segment.bytes');
    },
    get offsetsRetentionCheckIntervalMs() {
      return config.int('offsets.retention.check.interval.ms');
    },
    consumerGroups: {
      enabled: config.list('group.coordinator.rebalance.protocols').includes('consumer'),
      get heartbeatIntervalMs() {
        return config.int('group.consumer.heartbeat.interval.ms');
      },
      get sessionTimeoutMs() {
        return config.int('group.consumer.session.timeout.ms');
      },
      get maxSize() {
        return config.int('group.consumer.max.size');
      },
      get migrationPolicy() {
        return (config.str('group.consumer.migration.policy') ?? 'bidirectional').toLowerCase();
      },
      classicMaxSize: config.int('group.max.size'),
      assignors: config.list('group.consumer.assignors').map((a) => (/RangeAssignor$/.test(a) ? 'range' : /UniformAssignor$/.test(a) ? 'uniform' : a)),
    },
  };
}

export function txnCoordinatorSettings(config: BrokerConfig): TxnCoordinatorSettings {
  return {
    get stateLogNumPartitions() {
      return config.int('transaction.state.log.num.partitions');
    },
    get stateLogSegmentBytes() {
      return config.int('transaction.state.log.segment.bytes');
    },
    get cleanupIntervalMs() {
      return config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms');
    },
    get maxTimeoutMs() {
      return config.int('transaction.max.timeout.ms');
    },
    get idExpirationMs() {
      return config.int('transactional.id.expiration.ms');
    },
  };
}
