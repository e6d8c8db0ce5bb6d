/**
 * Kafka's RangeAssignor ("range"), the group consumer's (group-consumer.ts) assignment when it
 * leads its group: for each topic, the members subscribed to it sorted by member id, each given a
 * contiguous range of partitions, the first (partitions mod members) ones one more.
 */
import { decodeSubscription, encodeAssignment } from '../protocol/consumer-protocol.js';

/** Kafka's RangeAssignor: per topic, members sorted by id, each a contiguous range (the first ones one more). */
export function rangeAssign(members: readonly { memberId: string; metadata: Buffer }[], topics: ReadonlyMap<string, { partitions: readonly unknown[] }>): { memberId: string; assignment: Buffer }[] {
  const byMember = new Map<string, Map<string, number[]>>();
  const subscribers = new Map<string, string[]>();
  for (const m of members) {
    byMember.set(m.memberId, new Map());
    for (const t of decodeSubscription(m.metadata)?.topics ?? []) subscribers.set(t, [...(subscribers.get(t) ?? []), m.memberId]);
  }
  for (const [topic, ids] of subscribers) {
    const count = topics.get(topic)?.partitions.length ?? 0;
    const sorted = [...ids].sort();
    const each = Math.floor(count / sorted.length);
    const extra = count % sorted.length;
    let next = 0;
    sorted.forEach((id, i) => {
      const n = each + (i < extra ? 1 : 0);
      if (n > 0) byMember.get(id)?.set(topic, Array.from({ length: n }, (_, k) => next + k));
      next += n;
    });
  }
  return [...byMember].map(([memberId, ts]) => ({ memberId, assignment: encodeAssignment({ assignedPartitions: [...ts].map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 1) }));
}
