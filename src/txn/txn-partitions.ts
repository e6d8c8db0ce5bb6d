/**
 * Which `__transaction_state` partitions this broker has loaded, and the topic's creation (Kafka's
 * TransactionStateManager: partitionFor, loadTransactionsForTxnTopicPartition,
 * removeTransactionsForTxnTopicPartition). A transactional id belongs to partition
 * `abs(hash(id)) % partitions`; this broker coordinates the ids of the partitions it leads,
 * loaded by replaying their log into the shard. The topic is created on demand (the first
 * FindCoordinator) with `transaction.state.log.num.partitions` partitions, compacted
 * (coordinator/internal-topic.ts, shared with `__consumer_offsets`).
 *
 * Deviation: none known; the coordinator (coordinator.ts) decides what to do with the loaded ids
 * (complete interrupted Prepare* transactions).
 */
import type { Logger } from '../common/logger.js';
import type { InternalTopics, MetadataView } from '../coordinator/deps.js';
import { InternalTopic } from '../coordinator/internal-topic.js';
import { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from './txn-log.js';
import type { TxnMetadata } from './txn-metadata.js';
import type { TxnStateShard } from './txn-state.js';

export interface TxnPartitionsDeps {
  readonly metadata: MetadataView;
  readonly internal: InternalTopics;
  readonly logger: Logger;
  readonly settings: { readonly stateLogNumPartitions: number; readonly stateLogSegmentBytes: number };
}

export class TxnPartitions {
  private numPartitions = 0;
  private readonly loaded = new Set<number>();
  /** `__transaction_state` and its creation on demand. */
  private readonly topic: InternalTopic;

  /** `onLoaded` gets the transactional ids of each partition loaded. */
  constructor(
    private readonly deps: TxnPartitionsDeps,
    private readonly txns: TxnStateShard,
    private readonly onLoaded: (ids: readonly TxnMetadata[]) => void,
  ) {
    this.topic = new InternalTopic(deps, TRANSACTION_STATE_TOPIC, () => ({ numPartitions: deps.settings.stateLogNumPartitions, segmentBytes: deps.settings.stateLogSegmentBytes }));
  }

  /** The topic's partition count once loaded (0 before). */
  get count(): number {
    return this.numPartitions;
  }

  topicExists(): boolean {
    return this.topic.exists();
  }

  partitionFor(transactionalId: string): number {
    const n = this.numPartitions > 0 ? this.numPartitions : this.deps.settings.stateLogNumPartitions;
    return partitionForTransactionalId(transactionalId, n);
  }

  isLoaded(index: number): boolean {
    return this.loaded.has(index);
  }

  /** Whether the id's partition (by the topic's current partition count) exists and is not loaded here. */
  loadedElsewhere(transactionalId: string): boolean {
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    return count !== undefined && !this.loaded.has(partitionForTransactionalId(transactionalId, count));
  }

  /**
   * Loads the topic when it exists and is not loaded yet; else starts its creation (an
   * asynchronous metadata commit) and throws COORDINATOR_NOT_AVAILABLE until it exists, as Kafka
   * answers while the topic is being created.
   */
  ensure(): void {
    if (this.numPartitions > 0 && this.topicExists()) return;
    this.topic.ensure();
    this.loadLed();
  }

  /** Creates `__transaction_state` (one creation at a time); rejects with the creation's error. */
  create(): Promise<void> {
    return this.topic.create();
  }

  /** Loads every partition this broker leads and has not loaded yet. */
  loadLed(): void {
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    if (count === undefined) return;
    this.numPartitions = count;
    for (const p of this.deps.internal.partitions(TRANSACTION_STATE_TOPIC)) if (!this.loaded.has(p.index)) this.load(p.index);
  }

  /** This broker became leader of partition `index`: (re)loads its transactional ids (Kafka's onElection). */
  becameLeader(index: number): void {
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    if (count === undefined) return;
    this.numPartitions = count;
    this.unload(index);
    this.load(index);
  }

  /** This broker no longer leads partition `index`: forgets its transactional ids (Kafka's onResignation). */
  becameFollower(index: number): void {
    if (!this.loaded.has(index)) return;
    this.unload(index);
    this.deps.logger.info(`Unloaded ${TRANSACTION_STATE_TOPIC}-${index}: another broker coordinates its transactional ids`);
  }

  private unload(index: number): void {
    this.loaded.delete(index);
    for (const m of this.txns.values()) if (this.partitionFor(m.transactionalId) === index) this.txns.delete(m.transactionalId);
  }

  private load(index: number): void {
    const p = this.deps.internal.partition(TRANSACTION_STATE_TOPIC, index);
    if (!p) return;
    const started = performance.now();
    const records = this.txns.load(p);
    this.loaded.add(index);
    const ids = this.txns.values().filter((m) => this.partitionFor(m.transactionalId) === index);
    if (records > 0) this.deps.logger.info(`Loaded ${ids.length} transactional ids from ${records} records of ${TRANSACTION_STATE_TOPIC}-${index} in ${(performance.now() - started).toFixed(0)} ms`);
    this.onLoaded(ids);
  }
}
