/**
 * Reconciliation of one member towards its target assignment (Kafka's CurrentAssignmentBuilder):
 * - a member that must give partitions up keeps its epoch, keeps only (current ∩ target), and
 *   waits in UNREVOKED_PARTITIONS until its heartbeat no longer reports the revoked ones;
 * - then it moves to the target epoch and gets the target partitions that are free; those still
 *   owned by another member (not yet revoked there) are withheld, the member waiting in
 *   UNRELEASED_PARTITIONS and getting them on a later heartbeat once they are released;
 * - a member with everything is STABLE at the target epoch.
 * A partition is thus never owned by two members at once.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { MemberState, NO_PARTITIONS, type MemberAssignment, type TopicPartitions } from './consumer-model.js';

export interface ReconcileInput {
  readonly member: MemberAssignment;
  readonly targetEpoch: number;
  readonly target: TopicPartitions;
  /** Epoch of the partition's current owner, -1 when free. */
  readonly partitionEpoch: (topicId: string, partition: number) => number;
  /** What the member reported owning in this heartbeat, or null when it did not say. */
  readonly owned: TopicPartitions | null;
}

/** The member's next assignment, or the same object when nothing can change. */
export function reconcile(r: ReconcileInput): MemberAssignment {
  const m = r.member;
  switch (m.state) {
    case MemberState.Stable:
      return m.memberEpoch !== r.targetEpoch ? next(r, m.memberEpoch) : m;
    case MemberState.UnrevokedPartitions:
      return ownsAny(r.owned, m.pendingRevocation) ? m : next(r, m.memberEpoch);
    case MemberState.UnreleasedPartitions:
      return next(r, m.memberEpoch);
    default:
      if (r.owned === null || r.owned.size > 0) throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, 'The member is in an unknown state: it must give up its partitions and rejoin');
      return next(r, r.targetEpoch);
  }
}

/** Whether the reported owned partitions include any of `revoked` (true when the member did not report). */
function ownsAny(owned: TopicPartitions | null, revoked: TopicPartitions): boolean {
  if (owned === null) return true;
  for (const [t, s] of owned) {
    const r = revoked.get(t);
    if (r) for (const p of s) if (r.has(p)) return true;
  }
  return false;
}

function next(r: ReconcileInput, memberEpoch: number): MemberAssignment {
  const m = r.member;
  const assigned = new Map<string, Set<number>>();
  const revoke = new Map<string, Set<number>>();
  const pending = new Map<string, Set<number>>();
  let unreleased = false;
  const topics = new Set<string>([...r.target.keys(), ...m.assigned.keys()]);
  for (const t of topics) {
    const target = r.target.get(t) ?? new Set<number>();
    const current = m.assigned.get(t) ?? new Set<number>();
    const keep = new Set([...current].filter((p) => target.has(p)));
    const gone = new Set([...current].filter((p) => !keep.has(p)));
    const wanted = new Set<number>();
    for (const p of target) {
      if (keep.has(p)) continue;
      const ownedByOther = r.partitionEpoch(t, p) !== -1 && !(m.pendingRevocation.get(t)?.has(p) ?? false);
      if (ownedByOther) unreleased = true;
      else wanted.add(p);
    }
    if (keep.size > 0) assigned.set(t, keep);
    if (gone.size > 0) revoke.set(t, gone);
    if (wanted.size > 0) pending.set(t, wanted);
  }
  if (revoke.size > 0 && ownsAny(r.owned, revoke)) {
    return { memberEpoch, previousMemberEpoch: m.memberEpoch, state: MemberState.UnrevokedPartitions, assigned, pendingRevocation: revoke };
  }
  for (const [t, s] of pending) {
    const a = assigned.get(t);
    if (a) for (const p of s) a.add(p);
    else assigned.set(t, s);
  }
  return {
    memberEpoch: r.targetEpoch,
    previousMemberEpoch: m.memberEpoch,
    state: unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
    assigned,
    pendingRevocation: NO_PARTITIONS,
  };
}
