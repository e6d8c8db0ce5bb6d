/**
 * The per-partition fields Metadata (key 3) and DescribeTopicPartitions (key 75) both answer
 * (a handler never imports another handler). Kafka's rule (MetadataCache): leader, leader epoch,
 * replicas and ISR come from the partition's registration; `offline_replicas` are the replicas
 * whose broker is not alive (not registered, or fenced) or whose log dir failed on its broker
 * (reported offline in its registration); a partition whose leader is none (-1), not alive or
 * offline is answered with LEADER_NOT_AVAILABLE and leader -1 (clients refresh and retry),
 * keeping its leader epoch, replicas and ISR. Otherwise the partition's error is NONE.
 * Samsa's deviations: alive means registered (a lease in etcd, or the single node itself; there is
 * no fencing apart from the lease); Metadata v0's REPLICA_NOT_AVAILABLE with the replica and ISR
 * lists filtered to live brokers is not done (every version gets the full lists).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { replicaOffline, type MetadataImage, type PartitionImage } from '../../metadata/image.js';

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
export function partitionEntry(p: PartitionImage, image: Pick<MetadataImage, 'broker'>, topicId: string): PartitionEntry {
  let offline: number[] | null = null;
  let leaderAlive = false;
  for (const id of p.replicas) {
    const b = image.broker(id);
    if (b !== undefined && !replicaOffline(b, topicId, p.partition)) {
      if (id === p.leader) leaderAlive = true;
      continue;
    }
    (offline ??= []).push(id);
  }
  if (p.leader >= 0 && !p.replicas.includes(p.leader)) {
    const b = image.broker(p.leader);
    leaderAlive = b !== undefined && !replicaOffline(b, topicId, p.partition);
  }
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
