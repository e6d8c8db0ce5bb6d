/**
 * The leader's side of fetch from follower (KIP-392, Kafka's ReplicaManager.findPreferredReadReplica):
 * for a consumer's Fetch (v11+) of a partition this broker leads, the replica the configured
 * selector (replica-selector.ts) prefers, among the leader and the registered ISR followers whose
 * log end offset reached the fetch offset. Answers -1 when the leader itself is preferred, when no
 * selector is configured, for a follower's fetch, and for a partition this broker does not lead
 * with followers (a sole leader has nobody to redirect to). Kafka answers such a fetch with the
 * preferred replica and no records, at once (no long poll).
 * Counters (`FollowerReadStats`) show what was redirected and what a follower served.
 */
import type { Clock } from '../common/clock.js';
import type { MetadataImage } from '../metadata/image.js';
import type { ReplicaSelector, ReplicaView } from '../replication/replica-selector.js';
import type { Partition } from './partition.js';

export function preferredReadReplica(
  partition: Partition,
  selector: ReplicaSelector | null,
  clientRack: string,
  fetchOffset: number,
  image: MetadataImage,
  localId: number,
  clock: Clock,
): number {
  const state = partition.leader;
  if (selector === null || state === null) return -1;
  const now = clock.now();
  const leader: ReplicaView = { id: localId, rack: image.broker(localId)?.rack ?? null, logEndOffset: partition.logEndOffset, timeSinceLastCaughtUpMs: 0 };
  const replicas: ReplicaView[] = [leader];
  for (const id of state.isr) {
    if (id === localId) continue;
    const f = state.follower(id);
    const broker = image.broker(id);
    // A broker that is not registered has no endpoint to send the consumer to (Kafka: Node.noNode, never chosen).
    if (f === undefined || broker === undefined || f.logEndOffset < fetchOffset) continue;
    replicas.push({ id, rack: broker.rack, logEndOffset: f.logEndOffset, timeSinceLastCaughtUpMs: now - f.lastCaughtUpMs });
  }
  const chosen = selector(clientRack, { leader, replicas });
  return chosen.id === localId ? -1 : chosen.id;
}

/** Fetch-from-follower counters of one broker. */
export class FollowerReadStats {
  /** Consumer partition fetches this leader answered with a preferred read replica instead of records. */
  redirects = 0;
  /** Consumer partition reads this broker served as a follower, and the bytes in them. */
  followerReads = 0;
  followerBytes = 0;

  recordFollowerRead(bytes: number): void {
    this.followerReads++;
    this.followerBytes += bytes;
  }
}
