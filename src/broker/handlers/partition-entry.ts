/**
 * The per-partition fields Metadata (key 3) and DescribeTopicPartitions (key 75) both answer
 * (a handler never imports another handler). Kafka's rule: leader, leader epoch, replicas and ISR
 * come from the partition's registration. Samsa's deviation: a single node has no offline
 * replicas, so that list is always empty.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { PartitionImage } from '../../metadata/image.js';

/** The fields both responses carry for a partition. */
export interface PartitionEntry {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  readonly offlineReplicas: readonly number[];
}

/** `p` as a partition of a Metadata or DescribeTopicPartitions response. */
export function partitionEntry(p: PartitionImage): PartitionEntry {
  return {
    errorCode: ErrorCode.NONE,
    partitionIndex: p.partition,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas,
    isrNodes: p.isr,
    offlineReplicas: [],
  };
}
