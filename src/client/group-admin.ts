/**
 * Consumer group administration over the protocol client, as kafka-consumer-groups.sh does it:
 * ListGroups, DescribeGroups + OffsetFetch (+ ListOffsets for lag), DeleteGroups, OffsetDelete,
 * and OffsetCommit as an admin (generation -1, no member id) for resetting offsets.
 *
 * Kafka's rules kept here: a group the coordinator does not know is reported as not existing
 * (DescribeGroups v5 answers state "Dead" for it; v6+ answers GROUP_ID_NOT_FOUND); offsets can be
 * committed by an admin only while the group has no members (the coordinator answers
 * UNKNOWN_MEMBER_ID otherwise). Samsa asks the coordinator found by FindCoordinator, falling
 * back to the bootstrap connection when that address is the one already open.
 */
import { decodeAssignment, type TopicPartitions } from '../protocol/consumer-protocol.js';
import type { DeleteGroupsResponse } from '../protocol/generated/messages/delete-groups.js';
import type { DescribeGroupsResponse } from '../protocol/generated/messages/describe-groups.js';
import type { ConsumerGroupDescribeResponse } from '../protocol/generated/messages/consumer-group-describe.js';
import type { ListGroupsResponse } from '../protocol/generated/messages/list-groups.js';
import type { OffsetCommitResponse } from '../protocol/generated/messages/offset-commit.js';
import type { OffsetDeleteResponse } from '../protocol/generated/messages/offset-delete.js';
import type { OffsetFetchResponse } from '../protocol/generated/messages/offset-fetch.js';
import { AdminError, ApiKey, findGroupCoordinator, listOffsets, OffsetSpec, tpKey } from './admin.js';
import { KafkaConnection } from './connection.js';

export interface ListedGroup {
  group: string;
  state: string;
  protocolType: string;
  /** classic or consumer (KIP-848); "classic" from a broker without ListGroups v5. */
  type: string;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  assignment: TopicPartitions[] | null;
}

export interface GroupInfo {
  group: string;
  /** classic or consumer (KIP-848). */
  type: string;
  exists: boolean;
  state: string;
  protocolType: string;
  protocol: string;
  coordinator: { nodeId: number; host: string; port: number };
  members: GroupMember[];
}

export interface OffsetRow {
  topic: string;
  partition: number;
  committedOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  memberId: string | null;
  host: string | null;
  clientId: string | null;
}

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

/** Log end offsets of partitions (the bootstrap broker's answer by default; a cluster client asks each leader). */
export type OffsetLister = (partitions: readonly { topic: string; partition: number }[]) => Promise<Map<string, bigint>>;

/** Talks to the bootstrap broker and to each group's coordinator (connections cached by address). */
export class GroupAdmin {
  private readonly coordinators = new Map<string, KafkaConnection>();

  constructor(readonly bootstrap: KafkaConnection) {}

  close(): void {
    for (const c of this.coordinators.values()) if (c !== this.bootstrap) c.close();
    this.coordinators.clear();
  }

  async list(): Promise<ListedGroup[]> {
    // v5 reports each group's type (KIP-848); a broker without it answers v4.
    const res = await this.bootstrap
      .request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] })
      .catch(() => this.bootstrap.request<ListGroupsResponse>(ApiKey.ListGroups, 4, { statesFilter: [] }));
    if (res.errorCode !== 0) throw new AdminError('ListGroups', res.errorCode);
    return res.groups.map((g) => ({ group: g.groupId, state: g.groupState, protocolType: g.protocolType, type: g.groupType || 'classic' })).sort((a, b) => a.group.localeCompare(b.group));
  }

  /** A KIP-848 consumer group through ConsumerGroupDescribe; null when the group is not one (or the broker lacks the API). */
  private async describeConsumerGroup(conn: KafkaConnection, group: string, coordinator: GroupInfo['coordinator']): Promise<GroupInfo | null> {
    const res = await conn.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [group], includeAuthorizedOperations: false }).catch(() => null);
    const g = res?.groups[0];
    if (!g || g.errorCode !== 0) return null;
    return {
      group,
      type: 'consumer',
      exists: true,
      state: g.groupState,
      protocolType: 'consumer',
      protocol: g.assignorName,
      coordinator,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: m.assignment.topicPartitions.map((t) => ({ topic: t.topicName, partitions: [...t.partitions].sort((x, y) => x - y) })),
      })),
    };
  }

  private async coordinator(group: string): Promise<{ conn: KafkaConnection; info: { nodeId: number; host: string; port: number } }> {
    const info = await findGroupCoordinator(this.bootstrap, group);
    const address = `${info.host.includes(':') ? `[${info.host}]` : info.host}:${info.port}`;
    let conn = this.coordinators.get(address);
    if (!conn || conn.client.closed) {
      conn = await KafkaConnection.open(address, { clientId: this.bootstrap.clientId, security: this.bootstrap.security }).catch(() => this.bootstrap);
      this.coordinators.set(address, conn);
    }
    return { conn, info };
  }

  async describe(group: string): Promise<GroupInfo> {
    const { conn, info } = await this.coordinator(group);
    const modern = await this.describeConsumerGroup(conn, group, info);
    if (modern) return modern;
    const res = await retry(() => conn.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false }), (r) => r.groups[0]?.errorCode ?? -1, `DescribeGroups for '${group}'`);
    const g = res.groups[0];
    if (!g) throw new AdminError(`DescribeGroups for '${group}'`, -1);
    return {
      group,
      type: 'classic',
      exists: g.groupState !== 'Dead',
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      coordinator: info,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : null,
      })),
    };
  }

  /** Committed offsets of a group, keyed by topic and partition (partitions without a commit are left out). */
  async committed(group: string): Promise<Map<string, Map<number, bigint>>> {
    const { conn } = await this.coordinator(group);
    const res = await retry(() => conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: null }], requireStable: false }), (r) => r.groups[0]?.errorCode ?? -1, `OffsetFetch for '${group}'`);
    const out = new Map<string, Map<number, bigint>>();
    for (const t of res.groups[0]?.topics ?? []) {
      for (const p of t.partitions) {
        if (p.committedOffset < 0n) continue;
        let m = out.get(t.name);
        if (!m) out.set(t.name, (m = new Map()));
        m.set(p.partitionIndex, p.committedOffset);
      }
    }
    return out;
  }

  /** kafka-consumer-groups.sh --describe --offsets rows: committed offset, log end and lag per partition. */
  async offsets(info: GroupInfo, endOffsets: OffsetLister = (ps) => listOffsets(this.bootstrap, ps, OffsetSpec.LATEST)): Promise<OffsetRow[]> {
    const committed = await this.committed(info.group);
    const rows = new Map<string, OffsetRow>();
    const row = (topic: string, partition: number): OffsetRow => {
      const key = tpKey(topic, partition);
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { topic, partition, committedOffset: null, logEndOffset: null, lag: null, memberId: null, host: null, clientId: null }));
      return r;
    };
    for (const [topic, ps] of committed) for (const [p, off] of ps) row(topic, p).committedOffset = Number(off);
    for (const m of info.members) {
      for (const tp of m.assignment ?? []) {
        for (const p of tp.partitions) Object.assign(row(tp.topic, p), { memberId: m.memberId, host: m.host, clientId: m.clientId });
      }
    }
    const list = [...rows.values()];
    const ends = await endOffsets(list).catch(() => new Map<string, bigint>());
    for (const r of list) {
      const end = ends.get(tpKey(r.topic, r.partition));
      if (end !== undefined) r.logEndOffset = Number(end);
      if (r.committedOffset !== null && r.logEndOffset !== null) r.lag = Math.max(0, r.logEndOffset - r.committedOffset);
    }
    return list.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Commits offsets as an admin (the group must have no members). */
  async commit(group: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<PartitionResult[]> {
    const { conn } = await this.coordinator(group);
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' }]);
    const res = await conn.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  }

  async deleteGroups(groups: readonly string[]): Promise<{ group: string; errorCode: number }[]> {
    const out: { group: string; errorCode: number }[] = [];
    for (const group of groups) {
      const { conn } = await this.coordinator(group);
      const res = await conn.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: [group] });
      out.push({ group, errorCode: res.results[0]?.errorCode ?? -1 });
    }
    return out;
  }

  /** OffsetDelete: a top-level error code (e.g. GROUP_ID_NOT_FOUND) and one code per partition. */
  async deleteOffsets(group: string, partitions: readonly { topic: string; partition: number }[]): Promise<{ errorCode: number; partitions: PartitionResult[] }> {
    const { conn } = await this.coordinator(group);
    const byTopic = new Map<string, { partitionIndex: number }[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition }]);
    const res = await conn.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, { groupId: group, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) });
    return { errorCode: res.errorCode, partitions: res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode }))) };
  }
}

/** Retries while the coordinator answers a retriable error (still loading, moving). */
async function retry<T>(send: () => Promise<T>, code: (r: T) => number, what: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = await send();
    const c = code(r);
    if (c === 0) return r;
    const err = new AdminError(what, c);
    if (attempt >= 20 || !isRetriableGroupError(c)) throw err;
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR. */
function isRetriableGroupError(code: number): boolean {
  return code === 14 || code === 15 || code === 16;
}
