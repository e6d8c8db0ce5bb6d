/**
 * Rack awareness of the KIP-848 server assignors (assignors.ts), with KIP-881's semantics: a
 * member that tells its rack (ConsumerGroupHeartbeat RackId, a consumer's `client.rack`) is
 * preferably given partitions that have a replica on that rack (so it can fetch from a
 * follower in its own rack), as long as the assignment stays as balanced as it would be
 * without racks. Racks are used only when they can matter, as Kafka's client assignors decide:
 * some member has a rack, some partition has a replica on one of those racks, and some partition
 * is not on every member's rack (otherwise every choice is as good).
 *
 * A partition's racks are those of the brokers holding its replicas (the metadata image: broker
 * registrations with `broker.rack`).
 */

/** topic id → for each partition, the racks of its replicas. */
export type PartitionRacks = ReadonlyMap<string, readonly (readonly string[])[]>;

export interface RackView {
  /** Whether `topicId`-`partition` has a replica on `memberId`'s rack. */
  local(memberId: string, topicId: string, partition: number): boolean;
}

/** The racks to honour, or null when rack awareness cannot change anything. */
export function rackView(members: readonly { readonly memberId: string; readonly rack?: string | null }[], racks: PartitionRacks | undefined): RackView | null {
  if (racks === undefined) return null;
  const memberRack = new Map<string, string>();
  for (const m of members) if (m.rack != null) memberRack.set(m.memberId, m.rack);
  if (memberRack.size === 0) return null;
  const memberRacks = new Set(memberRack.values());
  let anyShared = false;
  let anyMissing = false;
  for (const perPartition of racks.values()) {
    for (const rs of perPartition) {
      if (rs.some((r) => memberRacks.has(r))) anyShared = true;
      for (const r of memberRacks) if (!rs.includes(r)) anyMissing = true;
    }
  }
  if (!anyShared || !anyMissing) return null;
  return {
    local(memberId, topicId, partition) {
      const r = memberRack.get(memberId);
      return r !== undefined && (racks.get(topicId)?.[partition]?.includes(r) ?? false);
    },
  };
}

/** Upper bound of partition comparisons spent by one `improveLocality` (keeps a huge group's assignment bounded in time). */
const SWAP_BUDGET = 2_000_000;

/**
 * Swaps partitions between members when the swap gives more of them a replica on their member's
 * rack; every member keeps its count, so balance is unchanged. `eligible(member, topicId)` says
 * whether a member subscribes to a topic.
 */
export function improveLocality(
  out: Map<string, Map<string, Set<number>>>,
  view: RackView,
  eligible: (memberId: string, topicId: string) => boolean,
): void {
  const memberIds = [...out.keys()].sort();
  let budget = SWAP_BUDGET;
  const remote = (m: string, t: string, p: number): number => (view.local(m, t, p) ? 0 : 1);
  for (let improved = true; improved && budget > 0; ) {
    improved = false;
    for (const a of memberIds) {
      const mineA = out.get(a) as Map<string, Set<number>>;
      for (const [tx, px] of mineA) {
        for (const x of [...px]) {
          if (view.local(a, tx, x)) continue;
          // x is remote at a: look for a member b where x is local and a partition y to give a in return.
          const swap = findSwap(out, memberIds, view, eligible, a, tx, x, remote, () => --budget > 0);
          if (swap === null) continue;
          const { b, ty, y } = swap;
          const mineB = out.get(b) as Map<string, Set<number>>;
          px.delete(x);
          (mineB.get(ty) as Set<number>).delete(y);
          addTo(mineB, tx, x);
          addTo(mineA, ty, y);
          improved = true;
          if (budget <= 0) return;
        }
      }
    }
  }
  for (const m of out.values()) for (const [t, s] of m) if (s.size === 0) m.delete(t);
}

function findSwap(
  out: Map<string, Map<string, Set<number>>>,
  memberIds: readonly string[],
  view: RackView,
  eligible: (memberId: string, topicId: string) => boolean,
  a: string,
  tx: string,
  x: number,
  remote: (m: string, t: string, p: number) => number,
  spend: () => boolean,
): { b: string; ty: string; y: number } | null {
  for (const b of memberIds) {
    if (b === a || !view.local(b, tx, x) || !eligible(b, tx)) continue;
    for (const [ty, py] of out.get(b) as Map<string, Set<number>>) {
      if (!eligible(a, ty)) continue;
      for (const y of py) {
        if (!spend()) return null;
        // Remote count before (x at a: 1, y at b) and after (x at b: 0, y at a).
        if (remote(a, ty, y) < 1 + remote(b, ty, y)) return { b, ty, y };
      }
    }
  }
  return null;
}

function addTo(a: Map<string, Set<number>>, topicId: string, p: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(p);
}
