/**
 * What the transaction coordinator (coordinator.ts) is given and answers with: its settings (read
 * from the broker config through getters, since some are dynamic), its dependencies on top of
 * every coordinator's (coordinator/deps.ts), and the producer id/epoch pairs and partition
 * references of its API.
 */
import type { CoordinatorDeps } from '../coordinator/deps.js';
import type { MarkerRouting } from './markers.js';
import type { ProducerIdBlockSource } from './producer-id-manager.js';

export interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** Everything the transaction coordinator reads from the broker config (getters: some are dynamic). */
export interface TxnCoordinatorSettings {
  readonly stateLogNumPartitions: number;
  readonly stateLogSegmentBytes: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly cleanupIntervalMs: number;
  /** transaction.max.timeout.ms */
  readonly maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  readonly idExpirationMs: number;
}

export type TxnCoordinatorDeps = CoordinatorDeps<TxnCoordinatorSettings> & {
  /** Producer-id blocks (committed to the cluster metadata by the broker). */
  producerIdBlocks: ProducerIdBlockSource;
  /** In a cluster: where the partitions' leaders are (markers for other leaders are sent to them). */
  markerRouting?: MarkerRouting | null;
};

