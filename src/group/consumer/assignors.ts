/**
 * Server-side assignors of KIP-848 (`group.consumer.assignors`; a member may ask for one with
 * ServerAssignor): `uniform` (Kafka's UniformAssignor: partitions spread evenly over the members
 * subscribed to their topics, sticky — a member keeps what it had as far as balance allows) and
 * `range` (Kafka's RangeAssignor: per topic, contiguous ranges over the subscribed members in
 * member id order, so co-partitioned topics line up).
 *
 * Both are rack-aware (rack-aware.ts, KIP-881's semantics) when members send a rack and
 * partitions have replicas on racks: `range` first gives each member, within its share, the
 * partitions with a replica on its rack, then fills the shares in order (co-partitioned topics
 * still line up when their replicas are placed alike); `uniform` gives a new or orphaned
 * partition to a member on its rack among the least loaded, prefers such partitions when it
 * moves some for balance, and then swaps partitions between members where that puts more of them
 * on their member's rack (counts unchanged, so balance is as without racks).
 *
 * Deviation: Kafka's uniform assignor balances heterogeneous subscriptions with a different
 * heuristic; here balance is reached by moving partitions from the most to the least loaded
 * eligible member.
 */
import type { TopicPartitions } from './consumer-model.js';
import { improveLocality, rackView, type PartitionRacks, type RackView } from './rack-aware.js';

export interface AssignmentMember {
  readonly memberId: string;
  /** Topic ids the member subscribes to (those that exist). */
  readonly topicIds: ReadonlySet<string>;
  /** The member's rack (ConsumerGroupHeartbeat RackId), if it sent one. */
  readonly rack?: string | null;
}

export interface AssignmentSpec {
  readonly members: readonly AssignmentMember[];
  /** topic id → partition count. */
  readonly topics: ReadonlyMap<string, number>;
  /** The current target assignment (stickiness). */
  readonly previous: ReadonlyMap<string, TopicPartitions>;
  /** The racks of each partition's replicas (absent: rack awareness off). */
  readonly partitionRacks?: PartitionRacks;
}

export type Assignor = (spec: AssignmentSpec) => Map<string, Map<string, Set<number>>>;

export const ASSIGNOR_NAMES = ['uniform', 'range'] as const;

function emptyResult(spec: AssignmentSpec): Map<string, Map<string, Set<number>>> {
  const out = new Map<string, Map<string, Set<number>>>();
  for (const m of spec.members) out.set(m.memberId, new Map());
  return out;
}

function add(a: Map<string, Set<number>>, topicId: string, p: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(p);
}

function count(a: Map<string, Set<number>>): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

export const uniformAssignor: Assignor = (spec) => {
  const out = emptyResult(spec);
  const members = [...spec.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const loads = new Map<string, number>(members.map((m) => [m.memberId, 0]));
  const taken = new Set<string>();
  // Sticky: keep what each member had, for topics it still subscribes to.
  for (const m of members) {
    const had = spec.previous.get(m.memberId);
    if (!had) continue;
    const mine = out.get(m.memberId) as Map<string, Set<number>>;
    for (const [topicId, parts] of had) {
      const n = spec.topics.get(topicId);
      if (n === undefined || !m.topicIds.has(topicId)) continue;
      for (const p of parts) {
        const key = `${topicId}:${p}`;
        if (p >= n || taken.has(key)) continue;
        taken.add(key);
        add(mine, topicId, p);
      }
    }
    loads.set(m.memberId, count(mine));
  }
  const racks = rackView(members, spec.partitionRacks);
  const eligible = (topicId: string): AssignmentMember[] => members.filter((m) => m.topicIds.has(topicId));
  /** The least loaded candidate; among equals, one on a rack of `topicId`-`p` when given. */
  const least = (cands: readonly AssignmentMember[], topicId?: string, p?: number): AssignmentMember | undefined => {
    let best: AssignmentMember | undefined;
    let bestLocal = false;
    for (const c of cands) {
      const load = loads.get(c.memberId) as number;
      const local = racks !== null && topicId !== undefined && p !== undefined && racks.local(c.memberId, topicId, p);
      if (best === undefined || load < (loads.get(best.memberId) as number) || (load === loads.get(best.memberId) && local && !bestLocal)) {
        best = c;
        bestLocal = local;
      }
    }
    return best;
  };
  // New and orphaned partitions go to the least loaded eligible member.
  const topicIds = [...spec.topics.keys()].sort();
  for (const topicId of topicIds) {
    const cands = eligible(topicId);
    if (cands.length === 0) continue;
    const n = spec.topics.get(topicId) as number;
    for (let p = 0; p < n; p++) {
      if (taken.has(`${topicId}:${p}`)) continue;
      const m = least(cands, topicId, p) as AssignmentMember;
      add(out.get(m.memberId) as Map<string, Set<number>>, topicId, p);
      loads.set(m.memberId, (loads.get(m.memberId) as number) + 1);
      taken.add(`${topicId}:${p}`);
    }
  }
  // Balance: move a partition from a member to an eligible one with at least two fewer.
  for (let moved = true, rounds = 0; moved && rounds < 100_000; rounds++) {
    moved = false;
    const byLoad = [...members].sort((a, b) => (loads.get(b.memberId) as number) - (loads.get(a.memberId) as number));
    for (const from of byLoad) {
      const mine = out.get(from.memberId) as Map<string, Set<number>>;
      for (const [topicId, parts] of mine) {
        const to = least(eligible(topicId));
        if (to === undefined || (loads.get(to.memberId) as number) + 1 >= (loads.get(from.memberId) as number)) continue;
        const p = pickToMove(parts, topicId, from.memberId, to.memberId, racks);
        parts.delete(p);
        if (parts.size === 0) mine.delete(topicId);
        add(out.get(to.memberId) as Map<string, Set<number>>, topicId, p);
        loads.set(from.memberId, (loads.get(from.memberId) as number) - 1);
        loads.set(to.memberId, (loads.get(to.memberId) as number) + 1);
        moved = true;
        break;
      }
      if (moved) break;
    }
  }
  if (racks !== null) {
    const subscribed = new Map(members.map((m) => [m.memberId, m.topicIds]));
    improveLocality(out, racks, (memberId, topicId) => subscribed.get(memberId)?.has(topicId) ?? false);
  }
  return out;
};

/** The partition a balance step moves: one on the receiver's rack, else one off the giver's rack, else the highest. */
function pickToMove(parts: ReadonlySet<number>, topicId: string, from: string, to: string, racks: RackView | null): number {
  if (racks !== null) {
    let offGiver: number | undefined;
    for (const p of parts) {
      if (racks.local(to, topicId, p)) return p;
      if (offGiver === undefined && !racks.local(from, topicId, p)) offGiver = p;
    }
    if (offGiver !== undefined) return offGiver;
  }
  return Math.max(...parts);
}

export const rangeAssignor: Assignor = (spec) => {
  const out = emptyResult(spec);
  const racks = rackView(spec.members, spec.partitionRacks);
  for (const [topicId, n] of spec.topics) {
    const subs = spec.members.filter((m) => m.topicIds.has(topicId)).sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    if (subs.length === 0) continue;
    const per = Math.floor(n / subs.length);
    const extra = n % subs.length;
    const quota = (i: number): number => per + (i < extra ? 1 : 0);
    if (racks === null) {
      let next = 0;
      subs.forEach((m, i) => {
        for (let j = 0; j < quota(i); j++) add(out.get(m.memberId) as Map<string, Set<number>>, topicId, next++);
      });
      continue;
    }
    // Rack-aware (KIP-881): first the partitions on each member's rack within its share, in
    // partition order; then the rest in order. Without any rack match this is the plain ranges.
    const taken = new Array<boolean>(n).fill(false);
    const counts = subs.map(() => 0);
    subs.forEach((m, i) => {
      for (let p = 0; p < n && counts[i]! < quota(i); p++) {
        if (taken[p] === true || !racks.local(m.memberId, topicId, p)) continue;
        taken[p] = true;
        counts[i]!++;
        add(out.get(m.memberId) as Map<string, Set<number>>, topicId, p);
      }
    });
    let next = 0;
    subs.forEach((m, i) => {
      for (; counts[i]! < quota(i); counts[i]!++) {
        while (taken[next] === true) next++;
        taken[next] = true;
        add(out.get(m.memberId) as Map<string, Set<number>>, topicId, next++);
      }
    });
  }
  return out;
};

export function assignorNamed(name: string): Assignor | undefined {
  return name === 'uniform' ? uniformAssignor : name === 'range' ? rangeAssignor : undefined;
}
