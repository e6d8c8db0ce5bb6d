/**
 * The follower side of Fetch at the leader (replica_id >= 0; Kafka's ReplicaManager handling of a
 * follower's fetch): before the read, the partition must be led here with the follower in its
 * replica set (else NOT_LEADER_OR_FOLLOWER); a follower whose last fetched epoch this leader does
 * not end where it expects gets the diverging epoch instead of records (KIP-320); otherwise its
 * fetch offset is its log end offset, which may move the ISR's high watermark. During a long poll
 * a follower waits for records past its fetch offset only (followerHasNews).
 * The reads themselves (up to the log end for a follower, replication throttling) are
 * fetch-read.ts's; what a follower's fetch answers beyond that is the same as a consumer's.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { Target } from './fetch-targets.js';

/**
 * The replica side of a follower's Fetch (replica_id ≥ 0), before reading: the partition must be
 * led here at the follower's epoch; a follower whose last fetched epoch this leader does not end
 * where it expects gets the diverging epoch (and no records); otherwise the fetch offset is the
 * follower's log end offset, which may move the ISR's high watermark.
 */
export function acceptReplicaFetch(targets: Target[], replicaId: number): void {
  for (const t of targets) {
    const p = t.partition;
    if (p === undefined || t.error !== ErrorCode.NONE) continue;
    if (!p.isLeader || p.leader === null || !p.leader.isFollower(replicaId)) {
      t.error = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      continue;
    }
    const { sp } = t;
    if (sp.currentLeaderEpoch >= 0 && sp.currentLeaderEpoch !== p.leaderEpoch) continue; // answered by readAll's epoch check
    const fetchOffset = Number(sp.fetchOffset);
    if (sp.lastFetchedEpoch >= 0) {
      const end = p.log.leaderEpochs.endOffsetFor(sp.lastFetchedEpoch);
      if (end.epoch < sp.lastFetchedEpoch || end.endOffset < fetchOffset) {
        t.diverging = end;
        continue;
      }
    }
    p.recordFollowerFetch(replicaId, fetchOffset);
  }
}

/**
 * Whether an append woke a follower's long poll for something to read: records past its fetch
 * offset on some partition, or a partition no longer led here or closed.
 */
export function followerHasNews(targets: readonly Target[]): boolean {
  return targets.some((t) => t.partition !== undefined && (t.partition.logEndOffset > Number(t.sp.fetchOffset) || !t.partition.isLeader || t.partition.log.isClosed));
}
