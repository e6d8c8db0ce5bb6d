/**
 * The streams partition assignor ("samsa-streams"), run by the group leader: it turns the
 * sub-topologies into tasks (one per partition of the sub-topology's widest source topic),
 * spreads the tasks evenly over the members, keeping a task with the member that owned it (or
 * holds its state locally), and gives each member all source partitions of its tasks, so the
 * co-partitioned topics of one task are read by one member.
 *
 * Kafka's rules kept (StreamsPartitionAssignor, sticky task assignment): a member's subscription
 * user data names the tasks it owns and the tasks it has state for; the members' task counts
 * differ by at most one; owned tasks stay put when that keeps the balance, then tasks with local
 * state, then the rest go to the least loaded members. Samsa's deviations: the user data is JSON
 * (Kafka's SubscriptionInfo is a binary format with process ids and offset sums); no standby
 * tasks yet; members of one process are not grouped (each member is one stream thread).
 */
import type { GroupAssignor } from '../client/group-consumer.js';
import { decodeSubscription, encodeAssignment } from '../protocol/consumer-protocol.js';
import { taskId } from './task.js';

export const STREAMS_ASSIGNOR = 'samsa-streams';

export interface SubTopologyTopics {
  id: number;
  /** Run-time topic names. */
  topics: string[];
}

interface MemberInfo {
  owned: string[];
  local: string[];
}

export function encodeMemberInfo(info: MemberInfo): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, ...info }), 'utf8');
}

function decodeMemberInfo(userData: Buffer | null | undefined): MemberInfo {
  if (!userData || userData.length === 0) return { owned: [], local: [] };
  try {
    const v = JSON.parse(userData.toString('utf8')) as { owned?: unknown; local?: unknown };
    const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
    return { owned: strings(v.owned), local: strings(v.local) };
  } catch {
    return { owned: [], local: [] };
  }
}

/** Tasks per member: balanced, sticky to owners, then to local state. */
export function assignTasks(tasks: readonly string[], members: ReadonlyMap<string, MemberInfo>): Map<string, string[]> {
  const ids = [...members.keys()].sort();
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const capacity = Math.ceil(tasks.length / ids.length);
  const left = new Set(tasks);
  for (const pass of ['owned', 'local'] as const) {
    for (const t of tasks) {
      if (!left.has(t)) continue;
      const holder = ids.find((id) => members.get(id)?.[pass].includes(t) && (out.get(id)?.length ?? 0) < capacity);
      if (holder !== undefined) {
        out.get(holder)?.push(t);
        left.delete(t);
      }
    }
  }
  for (const t of left) {
    const least = ids.reduce((a, b) => ((out.get(b)?.length ?? 0) < (out.get(a)?.length ?? 0) ? b : a));
    out.get(least)?.push(t);
  }
  return out;
}

export function streamsAssignor(subs: () => readonly SubTopologyTopics[], info: () => MemberInfo): GroupAssignor {
  return {
    name: STREAMS_ASSIGNOR,
    userData: () => encodeMemberInfo(info()),
    assign(members, topics) {
      const partitionsOf = (t: string): number => topics.get(t)?.partitions.length ?? 0;
      const tasks: string[] = [];
      const inputs = new Map<string, { topic: string; partition: number }[]>();
      for (const s of subs()) {
        const n = Math.max(0, ...s.topics.map(partitionsOf));
        for (let p = 0; p < n; p++) {
          const id = taskId(s.id, p);
          tasks.push(id);
          inputs.set(id, s.topics.filter((t) => p < partitionsOf(t)).map((topic) => ({ topic, partition: p })));
        }
      }
      const infos = new Map(members.map((m) => [m.memberId, decodeMemberInfo(decodeSubscription(m.metadata)?.userData)]));
      const byMember = assignTasks(tasks, infos);
      return members.map((m) => {
        const byTopic = new Map<string, number[]>();
        for (const t of byMember.get(m.memberId) ?? []) for (const tp of inputs.get(t) ?? []) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
        return { memberId: m.memberId, assignment: encodeAssignment({ assignedPartitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })), userData: null }, 1) };
      });
    },
  };
}
