/**
 * Turns each metadata image into the role of every partition this broker hosts (Kafka's
 * ReplicaManager.applyDelta / becomeLeaderOrFollower):
 * - leader in the image → becomes (or stays) leader at the image's leader epoch with its replicas
 *   and ISR, and stops fetching the partition;
 * - another live leader → becomes follower at that epoch and fetches from it (after truncating);
 * - no leader (offline) → follower of nobody: refuses produce, fetches nothing;
 * - no longer a replica (reassigned away) → `stopReplica`, before the applier removes the log;
 * - its log dir failed (`takeOffline`) → neither leads nor fetches again until restart.
 * A partition whose only replica is this broker stays a sole leader (a single node, RF 1): no
 * follower bookkeeping at all. Listeners hear of leadership gained or lost (the coordinators load
 * and unload the state of their internal partitions there).
 */
import { ErrorCode } from '../common/error-codes.js';
import type { Clock } from '../common/clock.js';
import type { MetadataImage, PartitionImage } from '../metadata/image.js';
import type { ReplicaFetcherManager } from '../replication/fetcher-manager.js';
import type { FollowerPartition } from '../replication/replica-fetcher.js';
import type { LeaderStatsSink } from '../replication/replication-stats.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export interface RoleListener {
  becameLeader(p: Partition): void;
  becameFollower(p: Partition): void;
}

export interface PartitionRolesDeps {
  localId: number;
  replicas: Pick<ReplicaManager, 'all'>;
  /** Null on a single node (nothing to fetch from). */
  fetchers: ReplicaFetcherManager | null;
  clock: Clock;
  /** The broker's replication counters (leaders count their high-watermark moves); absent: not counted. */
  stats?: Pick<LeaderStatsSink, 'highWatermarkMoved'>;
}

/** A Partition as the replica fetcher sees it. */
export function followerView(p: Partition): FollowerPartition {
  return {
    topic: p.topic,
    partition: p.index,
    get logStartOffset() {
      return p.logStartOffset;
    },
    get logEndOffset() {
      return p.logEndOffset;
    },
    get highWatermark() {
      return p.highWatermark;
    },
    get leaderEpoch() {
      return p.leaderEpoch;
    },
    latestLocalEpoch: () => p.latestLocalEpoch(),
    endOffsetForEpoch: (epoch) => p.endOffsetForEpoch(epoch),
    appendFromLeader: (records) => p.appendFromLeader(records),
    truncateTo: (offset) => p.truncateTo(offset),
    truncateFullyAndStartAt: (offset) => p.truncateFullyAndStartAt(offset),
    leaderProgress: (hw, logStart) => p.leaderProgress(hw, logStart),
  };
}

export class PartitionRoles {
  private readonly listeners: RoleListener[] = [];

  constructor(private readonly deps: PartitionRolesDeps) {}

  onRoleChange(l: RoleListener): void {
    this.listeners.push(l);
  }

  /** Applies `image` to every hosted partition. */
  apply(image: MetadataImage): void {
    for (const p of this.deps.replicas.all()) {
      const meta = image.topic(p.topic)?.partitions[p.index];
      if (meta !== undefined) this.applyTo(p, meta);
    }
  }

  /**
   * This broker is no longer a replica (a reassignment removed it): no more fetching, no more
   * leading (waiting appends fail with NOT_LEADER_OR_FOLLOWER, coordinators unload).
   */
  stopReplica(p: Partition): void {
    this.deps.fetchers?.unfollow(p.topic, p.index);
    const wasLeader = p.isLeader;
    p.becomeFollower(p.leaderEpoch, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (wasLeader) for (const l of this.listeners) l.becameFollower(p);
  }

  /** Its log dir failed: no more fetching or leading; coordinators unload it. */
  takeOffline(p: Partition): void {
    this.deps.fetchers?.unfollow(p.topic, p.index);
    const wasLeader = p.isLeader;
    p.goOffline();
    if (wasLeader) for (const l of this.listeners) l.becameFollower(p);
  }

  /** Applies one partition's metadata. */
  applyTo(p: Partition, meta: PartitionImage): void {
    const { localId, fetchers } = this.deps;
    if (p.offline) return;
    const wasLeader = p.isLeader;
    p.partitionEpoch = meta.partitionEpoch ?? 0;
    if (meta.leader === localId) {
      fetchers?.unfollow(p.topic, p.index);
      if (meta.replicas.length <= 1 && p.role === 'sole-leader') {
        p.leaderEpoch = Math.max(p.leaderEpoch, meta.leaderEpoch);
      } else {
        p.becomeLeader(meta.leaderEpoch, localId, meta.replicas, meta.isr, this.deps.clock, this.deps.stats ?? null);
      }
      if (!wasLeader) for (const l of this.listeners) l.becameLeader(p);
      return;
    }
    const changed = p.role !== 'follower' || p.leaderEpoch !== meta.leaderEpoch;
    if (changed) p.becomeFollower(meta.leaderEpoch, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (meta.leader >= 0 && meta.replicas.includes(localId)) {
      if (changed || fetchers?.source(p.topic, p.index) !== meta.leader) fetchers?.follow(followerView(p), meta.leader);
    } else {
      fetchers?.unfollow(p.topic, p.index);
    }
    if (wasLeader) for (const l of this.listeners) l.becameFollower(p);
  }
}
