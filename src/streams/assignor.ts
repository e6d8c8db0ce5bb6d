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
 * state, then the rest go to the least loaded members; with num.standby.replicas = n each task
 * also gets up to n standby tasks on members other than its active one and each other (fewer when
 * there are not enough members), preferring the members that had that standby, then those with the
 * task's state on disk, then the least loaded; a task whose owner is gone goes first to a member
 * that had it as a standby (its state is nearly up to date). The assignment's user data names the
 * member's standby tasks. Samsa's deviations: the user data is JSON (Kafka's SubscriptionInfo and
 * AssignmentInfo are binary formats with process ids and offset sums, and Kafka weighs task lags);
 * no warm-up replicas or probing rebalances; members of one process are not grouped (each member
 * is one stream thread).
 */
import type { GroupAssignor } from '../client/group-consumer.js';
import { decodeSubscription, encodeAssignment } from '../protocol/consumer-protocol.js';
import { decodeConsumerProtocolAssignment } from '../protocol/generated/messages/consumer-protocol-assignment.js';
import { Reader } from '../protocol/primitives/reader.js';
import { taskId } from './task.js';

export const STREAMS_ASSIGNOR = 'samsa-streams';

export interface SubTopologyTopics {
  id: number;
  /** Run-time topic names. */
  topics: string[];
}

export interface MemberInfo {
  /** Active tasks the member runs. */
  owned: string[];
  /** Standby tasks the member runs. */
  standby?: string[];
  /** Tasks with a state directory on the member's machine. */
  local: string[];
}

export function encodeMemberInfo(info: MemberInfo): Buffer {
  return Buffer.from(JSON.stringify({ version: 2, ...info }), 'utf8');
}

const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);

function decodeMemberInfo(userData: Buffer | null | undefined): MemberInfo {
  if (!userData || userData.length === 0) return { owned: [], standby: [], local: [] };
  try {
    const v = JSON.parse(userData.toString('utf8')) as { owned?: unknown; standby?: unknown; local?: unknown };
    return { owned: strings(v.owned), standby: strings(v.standby), local: strings(v.local) };
  } catch {
    return { owned: [], standby: [], local: [] };
  }
}

/** The standby tasks named in an assignment's user data ([] when there are none or the bytes are not ours). */
export function decodeStandbyTasks(assignment: Buffer): string[] {
  if (assignment.length < 2) return [];
  try {
    const r = new Reader(assignment);
    const version = r.readInt16();
    if (version < 0) return [];
    const userData = decodeConsumerProtocolAssignment(r, Math.min(version, 3)).userData;
    if (!userData || userData.length === 0) return [];
    return strings((JSON.parse(Buffer.from(userData).toString('utf8')) as { standby?: unknown }).standby);
  } catch {
    return [];
  }
}

/** Active tasks per member: balanced, sticky to owners, then to standbys, then to local state. */
export function assignTasks(tasks: readonly string[], members: ReadonlyMap<string, MemberInfo>): Map<string, string[]> {
  const ids = [...members.keys()].sort();
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const capacity = Math.ceil(tasks.length / ids.length);
  const left = new Set(tasks);
  for (const pass of ['owned', 'standby', 'local'] as const) {
    for (const t of tasks) {
      if (!left.has(t)) continue;
      const holder = ids.find((id) => members.get(id)?.[pass]?.includes(t) && (out.get(id)?.length ?? 0) < capacity);
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

/**
 * Standby tasks per member: `numStandbys` replicas of each task on members other than its active
 * one and each other (fewer when members run out), preferring the member that had that standby,
 * then its former owner, then one with its state on disk, then the least loaded.
 */
export function assignStandbys(tasks: readonly string[], active: ReadonlyMap<string, readonly string[]>, members: ReadonlyMap<string, MemberInfo>, numStandbys: number): Map<string, string[]> {
  const ids = [...members.keys()].sort();
  const standby = new Map<string, string[]>(ids.map((id) => [id, []]));
  const activeOf = new Map<string, string>();
  for (const [id, ts] of active) for (const t of ts) activeOf.set(t, id);
  const replicas = Math.min(numStandbys, ids.length - 1);
  const cap = Math.ceil((tasks.length * Math.max(0, replicas)) / ids.length);
  const count = (id: string): number => standby.get(id)?.length ?? 0;
  const load = (id: string): number => count(id) + (active.get(id)?.length ?? 0);
  for (let replica = 0; replica < replicas; replica++) {
    for (const t of tasks) {
      const free = ids.filter((id) => id !== activeOf.get(t) && !standby.get(id)?.includes(t));
      if (free.length === 0) continue;
      const room = free.filter((id) => count(id) < cap);
      const pick =
        room.find((id) => members.get(id)?.standby?.includes(t)) ??
        room.find((id) => members.get(id)?.owned.includes(t)) ??
        room.find((id) => members.get(id)?.local.includes(t)) ??
        free.reduce((a, b) => (count(b) < count(a) || (count(b) === count(a) && load(b) < load(a)) ? b : a));
      standby.get(pick)?.push(t);
    }
  }
  // Even out: move standbys from the fullest member to the emptiest one that may hold them.
  for (let moves = 0; moves < tasks.length * Math.max(1, replicas); moves++) {
    const byCount = [...ids].sort((a, b) => count(a) - count(b));
    const under = byCount[0] as string;
    const over = byCount[byCount.length - 1] as string;
    if (count(over) - count(under) <= 1) break;
    const from = standby.get(over) as string[];
    const i = from.findIndex((t) => activeOf.get(t) !== under && !standby.get(under)?.includes(t));
    if (i < 0) break;
    standby.get(under)?.push(...from.splice(i, 1));
  }
  return standby;
}

export function streamsAssignor(subs: () => readonly SubTopologyTopics[], info: () => MemberInfo, numStandbys = 0, onStandbys: (tasks: string[]) => void = () => undefined): GroupAssignor {
  return {
    name: STREAMS_ASSIGNOR,
    userData: () => encodeMemberInfo(info()),
    onAssignment: (assignment) => onStandbys(decodeStandbyTasks(assignment)),
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
      const active = assignTasks(tasks, infos);
      const standby = numStandbys > 0 ? assignStandbys(tasks, active, infos, numStandbys) : new Map<string, string[]>();
      return members.map((m) => {
        const byTopic = new Map<string, number[]>();
        for (const t of active.get(m.memberId) ?? []) for (const tp of inputs.get(t) ?? []) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
        const standbys = standby.get(m.memberId) ?? [];
        const userData = standbys.length > 0 ? Buffer.from(JSON.stringify({ version: 1, standby: standbys }), 'utf8') : null;
        return { memberId: m.memberId, assignment: encodeAssignment({ assignedPartitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })), userData }, 1) };
      });
    },
  };
}
