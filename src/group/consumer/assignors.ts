/**
 * Server-side assignors of KIP-848 (`group.consumer.assignors`; a member may ask for one with
 * ServerAssignor): `uniform` (Kafka's UniformAssignor: partitions spread evenly over the members
 * subscribed to their topics, sticky — a member keeps what it had as far as balance allows) and
 * `range` (Kafka's RangeAssignor: per topic, contiguous ranges over the subscribed members in
 * member id order, so co-partitioned topics line up).
 *
 * Deviation: Kafka's uniform assignor balances heterogeneous subscriptions with a different
 * heuristic and both are rack-aware when partitions have racks; here balance is reached by moving
 * partitions from the most to the least loaded eligible member, and racks are not used.
 */
import type { TopicPartitions } from './consumer-model.js';

export interface AssignmentMember {
  readonly memberId: string;
  /** Topic ids the member subscribes to (those that exist). */
  readonly topicIds: ReadonlySet<string>;
}

export interface AssignmentSpec {
  readonly members: readonly AssignmentMember[];
  /** topic id → partition count. */
  readonly topics: ReadonlyMap<string, number>;
  /** The current target assignment (stickiness). */
  readonly previous: ReadonlyMap<string, TopicPartitions>;
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
  const eligible = (topicId: string): AssignmentMember[] => members.filter((m) => m.topicIds.has(topicId));
  const least = (cands: readonly AssignmentMember[]): AssignmentMember | undefined => {
    let best: AssignmentMember | undefined;
    for (const c of cands) if (best === undefined || (loads.get(c.memberId) as number) < (loads.get(best.memberId) as number)) best = c;
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
      const m = least(cands) as AssignmentMember;
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
        const p = Math.max(...parts);
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
  return out;
};

export const rangeAssignor: Assignor = (spec) => {
  const out = emptyResult(spec);
  for (const [topicId, n] of spec.topics) {
    const subs = spec.members.filter((m) => m.topicIds.has(topicId)).sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    if (subs.length === 0) continue;
    const per = Math.floor(n / subs.length);
    const extra = n % subs.length;
    let next = 0;
    subs.forEach((m, i) => {
      const k = per + (i < extra ? 1 : 0);
      for (let j = 0; j < k; j++) add(out.get(m.memberId) as Map<string, Set<number>>, topicId, next++);
    });
  }
  return out;
};

export function assignorNamed(name: string): Assignor | undefined {
  return name === 'uniform' ? uniformAssignor : name === 'range' ? rangeAssignor : undefined;
}
