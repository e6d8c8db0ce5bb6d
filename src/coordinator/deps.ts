/**
 * What a coordinator (group, transaction) needs from the broker, and nothing more: a writer for
 * its internal topic's partitions, read access to them for loading, a narrow view of topic
 * metadata, a scheduler (time and timers) and its settings. `broker/` builds these from its
 * replicas, metadata store and config (broker/coordinator-deps.ts); tests build them in memory.
 *
 * Kafka's rule: a coordinator's state is its internal topic; the response to a write is sent
 * once the records are committed (the high watermark passed them). On a sole leader (single
 * node) a record is committed as soon as it is appended, so `committed` is null; on a replicated
 * leader it is a promise that settles when the high watermark passes the append (rejected with a
 * KafkaError when it will not: broker/coordinator-deps.ts).
 */
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';

/** Where an append landed. */
export interface CoordinatorAppend {
  firstOffset: number;
  lastOffset: number;
  /**
   * Settles once the records are committed; null when they already are (single node). Rejects
   * with KafkaError NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS_AFTER_APPEND or REQUEST_TIMED_OUT.
   */
  committed: Promise<void> | null;
}

/** Appends record batches as the partition leader, with coordinator-origin producer checks (epochs only). */
export interface PartitionWriter {
  /**
   * Appends one record batch to `topic`-`partition`. Throws KafkaError: UNKNOWN_TOPIC_OR_PARTITION
   * when this broker has no such partition, or what the log rejects (INVALID_PRODUCER_EPOCH,
   * MESSAGE_TOO_LARGE, ...). Nothing is written when it throws.
   */
  append(topic: string, partition: number, batch: Buffer): CoordinatorAppend;
}

/** Read access to one partition of an internal topic, for loading (replaying) it. */
export interface InternalPartition {
  readonly index: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** The partition's leader epoch (the coordinator epoch written into transaction markers). */
  readonly leaderEpoch: number;
  /** Whole stored record batches from the one holding `offset`, about `maxBytes` (at least one batch), below `maxOffset`. */
  read(offset: number, maxBytes: number, maxOffset: number): Buffer;
  /** Raises the log start offset to `offset` (at most the high watermark): the records below are no longer needed (Kafka's deleteRecords). */
  deleteRecordsBefore?(offset: number): void;
  /** Whether the log is compacted (cleanup.policy includes compact). */
  readonly compacted?: boolean;
}

export interface InternalTopicSpec {
  name: string;
  numPartitions: number;
  configs: Record<string, string>;
}

/** The coordinator's internal topics on this broker. */
export interface InternalTopics {
  partition(topic: string, index: number): InternalPartition | undefined;
  /** The partitions of `topic` this broker leads (empty when the topic does not exist). */
  partitions(topic: string): readonly InternalPartition[];
  /**
   * Creates an internal topic; resolves once its creation is committed (an asynchronous metadata
   * commit: callers answer COORDINATOR_NOT_AVAILABLE meanwhile, as Kafka does). Resolves too when
   * the topic exists already; rejects with KafkaError when it cannot be created.
   */
  create(spec: InternalTopicSpec): Promise<void>;
}

/**
 * The few metadata questions coordinators ask. Today's LocalMetadataStore (with the replica
 * manager) answers them; a MetadataImage can too.
 */
export interface MetadataView {
  /** Number of partitions of `topic`, or undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Whether this broker hosts `topic`-`partition` (it exists and is open here). */
  hasPartition(topic: string, partition: number): boolean;
  /** Registers a listener called after a topic was deleted. */
  onTopicDeleted(listener: (topic: string) => void): void;
  /** The topic's id (KIP-848 consumer groups address partitions by topic id). */
  topicId?(topic: string): string | undefined;
  /** Every topic's name (regular expression subscriptions). */
  topicNames?(): Iterable<string>;
  /** A group's dynamic configs (IncrementalAlterConfigs resource type GROUP; config/group-config.ts). */
  groupConfigs?(groupId: string): Readonly<Record<string, string>>;
  /** For each partition of `topic`, the racks of the brokers holding its replicas (rack-aware assignment). */
  partitionRacks?(topic: string): readonly (readonly string[])[] | undefined;
}

export interface CoordinatorDeps<Settings> {
  writer: PartitionWriter;
  internal: InternalTopics;
  metadata: MetadataView;
  scheduler: Scheduler;
  /** The broker's logger (lines tagged with its node id). */
  logger: Logger;
  settings: Settings;
}
