/**
 * `samsa groups [--bootstrap-server host:port] (--list | --describe --group G) [--json]`
 * Lists consumer groups, or describes one: state, members with their assignments (decoded from
 * the consumer protocol), and per partition the committed offset, log end offset and lag —
 * like Kafka's kafka-consumer-groups.sh.
 */
import { KafkaConnection } from '../client/connection.js';
import { errorInfo } from '../common/error-codes.js';
import { decodeAssignment, type TopicPartitions } from '../group/consumer-protocol.js';
import type { DescribeGroupsResponse } from '../protocol/generated/messages/describe-groups.js';
import type { FindCoordinatorResponse } from '../protocol/generated/messages/find-coordinator.js';
import type { ListGroupsResponse } from '../protocol/generated/messages/list-groups.js';
import type { ListOffsetsResponse } from '../protocol/generated/messages/list-offsets.js';
import type { OffsetFetchResponse } from '../protocol/generated/messages/offset-fetch.js';

export const groupsUsage = `Usage: samsa groups [options] (--list | --describe --group GROUP)

Lists consumer groups, or describes one group: its state, members and their assigned
partitions, and for each partition the committed offset, the log end offset and the lag.

Options:
  --bootstrap-server HOST:PORT   Broker to ask (default localhost:9092)
  --list                         List all groups
  --describe                     Describe the group named by --group
  --group GROUP                  The group to describe
  --json                         Print JSON instead of tables
  -h, --help                     Show this help
`;

const API = { ListOffsets: 2, OffsetFetch: 9, FindCoordinator: 10, DescribeGroups: 15, ListGroups: 16 } as const;

class UsageError extends Error {}

interface Options {
  bootstrap: string;
  mode: 'list' | 'describe';
  group: string | null;
  json: boolean;
}

function parseArgs(args: string[]): Options | 'help' {
  let bootstrap = 'localhost:9092';
  let list = false;
  let describe = false;
  let group: string | null = null;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return 'help';
    else if (a === '--bootstrap-server') bootstrap = value();
    else if (a.startsWith('--bootstrap-server=')) bootstrap = a.slice('--bootstrap-server='.length);
    else if (a === '--list') list = true;
    else if (a === '--describe') describe = true;
    else if (a === '--group') group = value();
    else if (a.startsWith('--group=')) group = a.slice('--group='.length);
    else if (a === '--json') json = true;
    else throw new UsageError(`unknown option '${a}'`);
  }
  if (list === describe) throw new UsageError('give exactly one of --list or --describe');
  if (describe && group === null) throw new UsageError('--describe needs --group GROUP');
  return { bootstrap, mode: list ? 'list' : 'describe', group, json };
}

function errorName(code: number): string {
  return errorInfo(code).name;
}

export interface ListedGroupRow {
  group: string;
  state: string;
  protocolType: string;
}

export interface PartitionRow {
  topic: string;
  partition: number;
  committedOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  metadata: string | null;
  memberId: string | null;
  host: string | null;
  clientId: string | null;
}

export interface GroupDescription {
  group: string;
  state: string;
  protocolType: string;
  protocol: string;
  coordinator: { nodeId: number; host: string; port: number };
  members: { memberId: string; groupInstanceId: string | null; clientId: string; host: string; assignment: TopicPartitions[] | null }[];
  partitions: PartitionRow[];
}

export async function listGroups(conn: KafkaConnection): Promise<ListedGroupRow[]> {
  const res = await conn.request<ListGroupsResponse>(API.ListGroups, 4, { statesFilter: [] });
  if (res.errorCode !== 0) throw new Error(`ListGroups failed: ${errorName(res.errorCode)}`);
  return res.groups.map((g) => ({ group: g.groupId, state: g.groupState, protocolType: g.protocolType })).sort((a, b) => a.group.localeCompare(b.group));
}

async function coordinatorFor(conn: KafkaConnection, group: string): Promise<{ nodeId: number; host: string; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const res = await conn.request<FindCoordinatorResponse>(API.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] });
    const c = res.coordinators[0];
    if (c && c.errorCode === 0) return { nodeId: c.nodeId, host: c.host, port: c.port };
    const code = c?.errorCode ?? -1;
    if (attempt >= 20 || !errorInfo(code).retriable) throw new Error(`FindCoordinator for group ${group} failed: ${errorName(code)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function withRetry<T>(what: string, fn: () => Promise<{ code: number; value: T }>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const { code, value } = await fn();
    if (code === 0) return value;
    if (attempt >= 20 || !errorInfo(code).retriable) throw new Error(`${what} failed: ${errorName(code)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function describeGroup(bootstrap: KafkaConnection, group: string): Promise<GroupDescription> {
  const coordinator = await coordinatorFor(bootstrap, group);
  // A single-broker cluster: the coordinator is the broker we are talking to. Otherwise connect to it.
  let conn = bootstrap;
  let own: KafkaConnection | null = null;
  try {
    const described = await withRetry('DescribeGroups', async () => {
      const res = await conn.request<DescribeGroupsResponse>(API.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false }).catch(async (e: unknown) => {
        if (own !== null) throw e;
        own = await KafkaConnection.open(`${coordinator.host}:${coordinator.port}`);
        conn = own;
        return conn.request<DescribeGroupsResponse>(API.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
      });
      const g = res.groups[0];
      return { code: g?.errorCode ?? -1, value: g };
    });
    if (!described) throw new Error(`DescribeGroups returned no group ${group}`);
    const fetched = await withRetry('OffsetFetch', async () => {
      const res = await conn.request<OffsetFetchResponse>(API.OffsetFetch, 8, { groups: [{ groupId: group, topics: null }], requireStable: false });
      const g = res.groups[0];
      return { code: g?.errorCode ?? -1, value: g?.topics ?? [] };
    });
    const members = described.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: described.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : null,
    }));
    const rows = new Map<string, PartitionRow>();
    const rowFor = (topic: string, partition: number): PartitionRow => {
      const key = `${topic}\u0000${partition}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { topic, partition, committedOffset: null, logEndOffset: null, lag: null, metadata: null, memberId: null, host: null, clientId: null }));
      return r;
    };
    for (const t of fetched) {
      for (const p of t.partitions) {
        if (p.committedOffset < 0n) continue;
        const r = rowFor(t.name, p.partitionIndex);
        r.committedOffset = Number(p.committedOffset);
        r.metadata = p.metadata;
      }
    }
    for (const m of members) {
      for (const tp of m.assignment ?? []) {
        for (const p of tp.partitions) {
          const r = rowFor(tp.topic, p);
          r.memberId = m.memberId;
          r.host = m.host;
          r.clientId = m.clientId;
        }
      }
    }
    await fillLogEndOffsets(bootstrap, [...rows.values()]);
    for (const r of rows.values()) if (r.committedOffset !== null && r.logEndOffset !== null) r.lag = Math.max(0, r.logEndOffset - r.committedOffset);
    return {
      group,
      state: described.groupState,
      protocolType: described.protocolType,
      protocol: described.protocolData,
      coordinator,
      members,
      partitions: [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    };
  } finally {
    (own as KafkaConnection | null)?.close();
  }
}

async function fillLogEndOffsets(conn: KafkaConnection, rows: PartitionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const byTopic = new Map<string, number[]>();
  for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.partition]);
  const res = await conn.request<ListOffsetsResponse>(API.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) })),
  });
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) continue;
      const r = rows.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
      if (r) r.logEndOffset = Number(p.offset);
    }
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const dash = (v: number | string | null): string => (v === null ? '-' : String(v));

export function formatDescription(d: GroupDescription): string {
  let out = `Group '${d.group}': state ${d.state}, protocol type ${d.protocolType || '-'}, protocol ${d.protocol || '-'}, ${d.members.length} member(s), coordinator ${d.coordinator.nodeId} (${d.coordinator.host}:${d.coordinator.port})\n\n`;
  out += table(
    ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
    d.partitions.map((r) => [d.group, r.topic, String(r.partition), dash(r.committedOffset), dash(r.logEndOffset), dash(r.lag), dash(r.memberId), dash(r.host), dash(r.clientId)]),
  );
  if (d.members.length > 0) {
    out += '\n';
    out += table(
      ['CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'],
      d.members.map((m) => [
        m.memberId,
        dash(m.groupInstanceId),
        m.host,
        m.clientId,
        m.assignment === null ? '-' : String(m.assignment.reduce((n, tp) => n + tp.partitions.length, 0)),
        m.assignment === null ? '(not a consumer assignment)' : m.assignment.map((tp) => `${tp.topic}(${[...tp.partitions].sort((a, b) => a - b).join(',')})`).join(' '),
      ]),
    );
  }
  return out;
}

export async function runGroups(args: string[]): Promise<number> {
  let opts: Options | 'help';
  try {
    opts = parseArgs(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`samsa groups: ${e.message}\n\n${groupsUsage}`);
      return 2;
    }
    throw e;
  }
  if (opts === 'help') {
    process.stdout.write(groupsUsage);
    return 0;
  }
  const conn = await KafkaConnection.open(opts.bootstrap, { clientId: 'samsa-groups' });
  try {
    if (opts.mode === 'list') {
      const groups = await listGroups(conn);
      process.stdout.write(opts.json ? `${JSON.stringify(groups, null, 2)}\n` : table(['GROUP', 'STATE', 'PROTOCOL-TYPE'], groups.map((g) => [g.group, g.state, g.protocolType || '-'])));
      return 0;
    }
    const d = await describeGroup(conn, opts.group as string);
    process.stdout.write(opts.json ? `${JSON.stringify(d, null, 2)}\n` : formatDescription(d));
    return d.state === 'Dead' ? 1 : 0;
  } finally {
    conn.close();
  }
}
