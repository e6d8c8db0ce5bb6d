/**
 * Partition reassignment as pure steps over one partition's state (Kafka's KRaft
 * PartitionReassignmentReplicas / PartitionReassignmentRevert, applied by the controller's
 * PartitionChangeBuilder). The handler of AlterPartitionReassignments writes `startReassignment`
 * or `cancelReassignment`; the controller writes `completeReassignment` when ISR changes make it
 * possible (controller.ts).
 *
 * Kafka's rules:
 * - Start: a reassignment already in progress is first reverted (below). From the original
 *   replicas O to the target T: replicas = T followed by the members of O not in T, adding = T − O,
 *   removing = O − T. The ISR and the leader do not change (the new replicas join the ISR as the
 *   leader sees them catch up). A target equal to O cancels what is in progress, or is a no-op.
 * - Complete, as soon as every target replica (replicas − removing) is in the ISR: replicas = the
 *   target, ISR minus the removing replicas (never empty: otherwise it waits), adding and removing
 *   cleared. A leader outside the target (or not alive) is replaced by the first target replica,
 *   in target order, that is alive and in the new ISR (leader epoch + 1). A start that can
 *   complete at once (a pure reorder, or only removals of replicas the ISR can spare) does.
 * - Revert (cancel with a null target, or a new target): replicas = replicas − adding, ISR minus
 *   the adding replicas; a leader among the adding replicas gives way to the first original
 *   replica alive and in the ISR. If no original replica is left in the ISR, the first live
 *   original replica leads alone (Kafka's revert then elects uncleanly too).
 * Any change: partition epoch + 1 (written with a compare-and-swap on it).
 * Samsa deviation: liveness is the etcd registration, so "alive" is "registered".
 */
import type { PartitionImage } from '../metadata/image.js';
import type { PartitionAssignmentChange } from './etcd/metadata-store.js';
import { NO_LEADER } from './partition-elections.js';

const without = (xs: readonly number[], drop: readonly number[]): number[] => xs.filter((x) => !drop.includes(x));
const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => b[i] === x);

function stateOf(p: PartitionImage): PartitionAssignmentChange {
  return { replicas: p.replicas, addingReplicas: p.addingReplicas ?? [], removingReplicas: p.removingReplicas ?? [], leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr };
}

function withLeader(s: PartitionAssignmentChange, leader: number, from: PartitionImage): PartitionAssignmentChange {
  return { ...s, leader, leaderEpoch: leader === from.leader ? from.leaderEpoch : from.leaderEpoch + 1 };
}

/** Whether `s` differs from the partition's current state. */
function differs(p: PartitionImage, s: PartitionAssignmentChange): boolean {
  const now = stateOf(p);
  return (
    now.leader !== s.leader ||
    !sameList(now.replicas, s.replicas) ||
    !sameList(now.isr, s.isr) ||
    !sameList(now.addingReplicas, s.addingReplicas) ||
    !sameList(now.removingReplicas, s.removingReplicas)
  );
}

/** The state with the reassignment in progress undone (the state itself when there is none). */
function reverted(p: PartitionImage, alive: ReadonlySet<number>): PartitionAssignmentChange {
  const s = stateOf(p);
  if (s.addingReplicas.length === 0 && s.removingReplicas.length === 0) return s;
  const replicas = without(s.replicas, s.addingReplicas);
  let isr = without(s.isr, s.addingReplicas);
  if (isr.length === 0) {
    const any = replicas.find((id) => alive.has(id));
    isr = any !== undefined ? [any] : replicas.slice(0, 1);
  }
  const base: PartitionAssignmentChange = { ...s, replicas, isr, addingReplicas: [], removingReplicas: [] };
  if (replicas.includes(s.leader) && isr.includes(s.leader) && alive.has(s.leader)) return base;
  const leader = replicas.find((id) => alive.has(id) && isr.includes(id)) ?? NO_LEADER;
  return withLeader(base, leader, p);
}

/** Completes `s` (a state of partition `p`) when every target replica is in the ISR; null when it must wait. */
function completed(s: PartitionAssignmentChange, p: PartitionImage, alive: ReadonlySet<number>): PartitionAssignmentChange | null {
  if (s.addingReplicas.length === 0 && s.removingReplicas.length === 0) return null;
  const target = without(s.replicas, s.removingReplicas);
  const isr = without(s.isr, s.removingReplicas);
  if (isr.length === 0 || !target.every((id) => s.isr.includes(id))) return null;
  const base: PartitionAssignmentChange = { ...s, replicas: target, isr, addingReplicas: [], removingReplicas: [] };
  if (target.includes(s.leader) && alive.has(s.leader)) return withLeader(base, s.leader, p);
  const leader = target.find((id) => alive.has(id) && isr.includes(id));
  return leader === undefined ? null : withLeader(base, leader, p);
}

/**
 * The state after AlterPartitionReassignments asked for `target` (validated by the caller), or
 * null when nothing changes.
 */
export function startReassignment(p: PartitionImage, target: readonly number[], alive: ReadonlySet<number>): PartitionAssignmentChange | null {
  const original = reverted(p, alive);
  let next: PartitionAssignmentChange;
  if (sameList(original.replicas, target)) {
    next = original;
  } else {
    const adding = without(target, original.replicas);
    const removing = without(original.replicas, target);
    const replicas = [...target, ...removing];
    next = { ...original, replicas, addingReplicas: adding, removingReplicas: removing };
    if (adding.length === 0 && removing.length === 0) next = { ...next, replicas: [...target] };
    else next = completed(next, p, alive) ?? next;
  }
  return differs(p, next) ? next : null;
}

/** The state after a cancel (null target), or null when no reassignment is in progress. */
export function cancelReassignment(p: PartitionImage, alive: ReadonlySet<number>): PartitionAssignmentChange | null {
  if ((p.addingReplicas?.length ?? 0) === 0 && (p.removingReplicas?.length ?? 0) === 0) return null;
  return reverted(p, alive);
}

/** The controller's step: the completed reassignment of `p` when its target is in the ISR, else null. */
export function completeReassignment(p: PartitionImage, alive: ReadonlySet<number>): PartitionAssignmentChange | null {
  return completed(stateOf(p), p, alive);
}
