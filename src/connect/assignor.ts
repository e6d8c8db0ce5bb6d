/**
 * The leader's assignment of connectors and tasks to the workers of a Connect group, incremental
 * and cooperative as Connect's `compatible`/`sessioned` protocols are: a worker keeps running
 * what it owns across rebalances (each member's JoinGroup metadata lists what it runs); a unit
 * whose owner is gone (a worker that left or died) or that no one owns (a new connector or task)
 * goes to the least loaded worker; when the load is uneven, the leader revokes units from the
 * most loaded worker without giving them to anyone in the same round, and that worker rejoins
 * once it stopped them, so a task never runs on two workers at once.
 *
 * Samsa's deviations: metadata and assignments are JSON, not Connect's binary schemas; a lost
 * worker's units are reassigned at once (Kafka waits up to scheduled.rebalance.max.delay.ms,
 * five minutes by default, for the worker to come back).
 */
import type { JoinedMember } from '../client/group-member.js';

export interface WorkerMetadata {
  url: string;
  configOffset: string;
  connectors: string[];
  tasks: { connector: string; task: number }[];
}

export interface AssignmentMessage {
  leader: string;
  leaderUrl: string;
  configOffset: string;
  connectors: string[];
  tasks: { connector: string; task: number }[];
  /** Units this worker must stop; it rejoins afterwards so that they can be assigned. */
  revoked: number;
}

export const PROTOCOL = 'sessioned';

const taskId = (t: { connector: string; task: number }): string => `${t.connector}\u0000${t.task}`;

function parseMetadata(b: Buffer): WorkerMetadata {
  try {
    const m = JSON.parse(b.toString('utf8')) as Partial<WorkerMetadata>;
    return { url: String(m.url ?? ''), configOffset: String(m.configOffset ?? '0'), connectors: Array.isArray(m.connectors) ? m.connectors.map(String) : [], tasks: Array.isArray(m.tasks) ? m.tasks : [] };
  } catch {
    return { url: '', configOffset: '0', connectors: [], tasks: [] };
  }
}

/** Balances one kind of unit: keeps owners up to the fair share, revokes above it, hands out the unowned. */
function balance(ids: readonly string[], units: readonly string[], owned: Map<string, string[]>): { assigned: Map<string, string[]>; revoked: Map<string, number> } {
  const exists = new Set(units);
  const taken = new Set<string>();
  const assigned = new Map<string, string[]>(ids.map((id) => [id, []]));
  const revoked = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of ids) {
    for (const u of owned.get(id) ?? []) {
      if (!exists.has(u) || taken.has(u)) continue;
      taken.add(u);
      assigned.get(id)?.push(u);
    }
  }
  for (const u of units) {
    if (taken.has(u)) continue;
    const target = [...ids].sort((x, y) => (assigned.get(x)?.length ?? 0) - (assigned.get(y)?.length ?? 0) || x.localeCompare(y))[0];
    if (target !== undefined) assigned.get(target)?.push(u);
  }
  // Uneven after that: revoke from the most loaded, counting each revoked unit as the least
  // loaded worker's for the next round (it is not handed over in this one).
  const effective = new Map(ids.map((id) => [id, assigned.get(id)?.length ?? 0]));
  for (;;) {
    const sorted = [...ids].sort((x, y) => (effective.get(x) ?? 0) - (effective.get(y) ?? 0) || x.localeCompare(y));
    const min = sorted[0];
    const max = sorted[sorted.length - 1];
    if (min === undefined || max === undefined || (effective.get(max) ?? 0) - (effective.get(min) ?? 0) <= 1) break;
    assigned.get(max)?.pop();
    revoked.set(max, (revoked.get(max) ?? 0) + 1);
    effective.set(max, (effective.get(max) ?? 0) - 1);
    effective.set(min, (effective.get(min) ?? 0) + 1);
  }
  return { assigned, revoked };
}

/** Every member's assignment (JSON) from the members' metadata and the configs. */
export function assignCooperative(self: string, leaderUrl: string, configOffset: string, members: readonly JoinedMember[], connectors: ReadonlyMap<string, { tasks: unknown[] }>): Map<string, Buffer> {
  const ids = members.map((m) => m.memberId).sort();
  const meta = new Map(members.map((m) => [m.memberId, parseMetadata(m.metadata)]));
  const names = [...connectors.keys()].sort();
  const tasks = names.flatMap((connector) => Array.from({ length: connectors.get(connector)?.tasks.length ?? 0 }, (_, task) => taskId({ connector, task })));
  const c = balance(ids, names, new Map(ids.map((id) => [id, meta.get(id)?.connectors ?? []])));
  const t = balance(ids, tasks, new Map(ids.map((id) => [id, (meta.get(id)?.tasks ?? []).map(taskId)])));
  const out = new Map<string, Buffer>();
  for (const id of ids) {
    const a: AssignmentMessage = {
      leader: self,
      leaderUrl,
      configOffset,
      connectors: c.assigned.get(id) ?? [],
      tasks: (t.assigned.get(id) ?? []).map((k) => {
        const [connector, task] = k.split('\u0000') as [string, string];
        return { connector, task: Number(task) };
      }),
      revoked: (c.revoked.get(id) ?? 0) + (t.revoked.get(id) ?? 0),
    };
    out.set(id, Buffer.from(JSON.stringify(a)));
  }
  return out;
}
