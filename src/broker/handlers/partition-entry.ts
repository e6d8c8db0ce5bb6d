/**
 * The per-partition fields Metadata (key 3) and DescribeTopicPartitions (key 75) both answer
 * (a handler never imports another handler). Kafka's rule (MetadataCache): leader, leader epoch,
 * replicas and ISR come from the partition's registration; `offline_replicas` are the replicas
 * whose broker is not alive (not registered, or fenced); a partition whose leader is none (-1) or
 * not alive is answered with LEADER_NOT_AVAILABLE and leader -1 (clients refresh and retry),
 * keeping its leader epoch, replicas and ISR. Otherwise the partition's error is NONE.
 * Samsa's deviations: alive means registered (a lease in etcd, or the single node itself; there is
 * no fencing apart from the lease); Metadata v0's REPLICA_NOT_AVAILABLE with the replica and ISR
 * lists filtered to live brokers is not done (every version gets the full lists).
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { MetadataImage, PartitionImage } from '../../metadata/image.js';

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

const NONE: readonly number[] = Object.freeze([]);

/** `p` as a partition of a Metadata or DescribeTopicPartitions response, given who is alive in `image`. */
export function partitionEntry(p: PartitionImage, image: Pick<MetadataImage, 'broker'>): PartitionEntry {
  let offline: number[] | null = null;
  for (const id of p.replicas) {
    if (image.broker(id) !== undefined) continue;
    (offline ??= []).push(id);
  }
  const leaderAlive = p.leader >= 0 && image.broker(p.leader) !== undefined;
  return {
    errorCode: leaderAlive ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
    partitionIndex: p.partition,
    leaderId: leaderAlive ? p.leader : -1,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas,
    isrNodes: p.isr,
    offlineReplicas: offline ?? NONE,
  };
}
