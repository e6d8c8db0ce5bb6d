/**
 * Which replica a consumer should read a partition from (KIP-392, Kafka's `ReplicaSelector`
 * plugins named by `replica.selector.class`). The leader asks the selector on every consumer
 * Fetch (v11+, which carries the client's `rack_id`); an answer other than itself goes back as
 * the partition's `preferred_read_replica` and the consumer fetches from that replica instead.
 *
 * Kafka's rules:
 * - candidates are the leader and the followers in the ISR whose log holds the fetch offset
 *   (log end offset ≥ fetch offset) — a lagging follower would make the consumer fall behind;
 * - `RackAwareReplicaSelector`: a client with no rack reads from the leader; otherwise the leader if
 *   it is in the client's rack, else the most caught-up candidate in that rack (largest log end
 *   offset, then the shortest time since it was last caught up, then the largest broker id), else
 *   the leader;
 * - `LeaderSelector` always answers the leader; no selector (the default) means no redirection.
 * Samsa deviations: the selectors are built in and named by Kafka's class names (no plugins); a
 * follower's log start offset is not checked against the fetch offset (the leader does not track
 * it; a follower missing the offset answers OFFSET_OUT_OF_RANGE and the client returns to the leader).
 */

export const RACK_AWARE_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
export const LEADER_SELECTOR = 'org.apache.kafka.common.replica.LeaderSelector';
export const REPLICA_SELECTORS: readonly string[] = [RACK_AWARE_SELECTOR, LEADER_SELECTOR];

/** One candidate replica as the selector sees it. */
export interface ReplicaView {
  readonly id: number;
  readonly rack: string | null;
  readonly logEndOffset: number;
  readonly timeSinceLastCaughtUpMs: number;
}

/** The candidates of one partition (the leader among them). */
export interface PartitionView {
  readonly leader: ReplicaView;
  readonly replicas: readonly ReplicaView[];
}

export type ReplicaSelector = (clientRack: string, partition: PartitionView) => ReplicaView;

/** Kafka's ReplicaView.comparator: more caught up is larger. */
function compareReplicas(a: ReplicaView, b: ReplicaView): number {
  if (a.logEndOffset !== b.logEndOffset) return a.logEndOffset - b.logEndOffset;
  if (a.timeSinceLastCaughtUpMs !== b.timeSinceLastCaughtUpMs) return b.timeSinceLastCaughtUpMs - a.timeSinceLastCaughtUpMs;
  return a.id - b.id;
}

export const rackAwareSelector: ReplicaSelector = (clientRack, { leader, replicas }) => {
  if (clientRack === '') return leader;
  const sameRack = replicas.filter((r) => r.rack === clientRack);
  if (sameRack.length === 0 || sameRack.some((r) => r.id === leader.id)) return leader;
  return sameRack.reduce((best, r) => (compareReplicas(r, best) > 0 ? r : best));
};

export const leaderSelector: ReplicaSelector = (_clientRack, { leader }) => leader;

/** The selector named by `replica.selector.class` (null: none, consumers read from the leader). */
export function replicaSelectorFor(className: string | null): ReplicaSelector | null {
  if (className === null || className === '') return null;
  if (className === RACK_AWARE_SELECTOR) return rackAwareSelector;
  if (className === LEADER_SELECTOR) return leaderSelector;
  throw new Error(`replica.selector.class ${className} is not one of ${REPLICA_SELECTORS.join(', ')}`);
}
