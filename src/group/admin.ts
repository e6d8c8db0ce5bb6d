/**
 * Group administration: ListGroups (with state and type filters), DescribeGroups and
 * DeleteGroups, as Kafka answers them for classic and KIP-848 consumer groups (groups.ts). A group
 * id with committed offsets but no members is an Empty group.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { GroupCoordinator } from './coordinator.js';
import { GroupState } from './group.js';
import { GroupType } from './groups.js';
import { EMPTY_BUFFER } from './member.js';
import { allOffsetTombstones } from './offsets.js';
import { groupTombstone } from './records.js';
import { groupTombstones as consumerGroupTombstones } from './consumer/consumer-records.js';

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** ListGroups: every group not Dead, filtered by state and type (case-insensitive, as Kafka). */
export function listGroups(c: GroupCoordinator, statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(typesFilter.map((s) => s.toLowerCase()));
  const groups: ListedGroup[] = [];
  for (const g of c.allGroups()) {
    if (types.size > 0 && !types.has(g.type)) continue;
    if (c.availability(g.groupId) !== ErrorCode.NONE) continue;
    if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
    groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: g.type });
  }
  return { errorCode: c.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

/** DescribeGroups for one group: metadata and assignments only while Stable; unknown groups are Dead. */
export function describeGroup(c: GroupCoordinator, groupId: string): DescribedGroup {
  const code = c.availability(groupId);
  if (code !== ErrorCode.NONE) return { errorCode: code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
  const consumer = c.consumerGroup(groupId);
  if (consumer) {
    // A KIP-848 group described through the classic API: its state and members, no protocol data.
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: consumer.state,
      protocolType: consumer.protocolType,
      protocolData: '',
      members: [...consumer.subscriptions].map(([memberId, s]) => ({ memberId, groupInstanceId: s.instanceId, clientId: s.clientId, clientHost: s.clientHost, memberMetadata: EMPTY_BUFFER, memberAssignment: EMPTY_BUFFER })),
    };
  }
  const g = c.group(groupId);
  if (!g) return { errorCode: ErrorCode.NONE, groupId, groupState: GroupState.Dead, protocolType: '', protocolData: '', members: [] };
  const stable = g.is(GroupState.Stable);
  const protocol = g.protocolName;
  return {
    errorCode: ErrorCode.NONE,
    groupId,
    groupState: g.state,
    protocolType: g.protocolType ?? '',
    protocolData: stable ? (protocol ?? '') : '',
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable && protocol !== null && m.protocols.some((p) => p.name === protocol) ? m.metadataFor(protocol) : EMPTY_BUFFER,
      memberAssignment: stable ? m.assignment : EMPTY_BUFFER,
    })),
  };
}

/** DeleteGroups for one group: only Empty groups; tombstones its offsets and metadata (replaying them removes it). */
export function deleteGroup(c: GroupCoordinator, groupId: string): Promise<number> {
  const code = c.availability(groupId);
  if (code !== ErrorCode.NONE) return Promise.resolve(code);
  if (!c.anyGroup(groupId)) return Promise.resolve(ErrorCode.GROUP_ID_NOT_FOUND);
  return new Promise((resolve) =>
    c.run(
      groupId,
      () => {
        const g = c.anyGroup(groupId);
        if (!g) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND);
        if (!g.is(GroupState.Empty)) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP);
        const groupRecords = g.type === GroupType.Classic ? [groupTombstone(groupId)] : consumerGroupTombstones(groupId);
        return { records: [...allOffsetTombstones(c.offsets, groupId), ...groupRecords], response: ErrorCode.NONE as number };
      },
      (o) => resolve(o.ok ? o.response : o.error instanceof KafkaError ? o.error.code : ErrorCode.COORDINATOR_NOT_AVAILABLE),
    ),
  );
}
