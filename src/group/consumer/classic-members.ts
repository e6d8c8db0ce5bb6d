/**
 * Classic-protocol members of a consumer group (KIP-848 online migration: Kafka's
 * classicGroupJoinToConsumerGroup, classicGroupSyncToConsumerGroup,
 * classicGroupHeartbeatToConsumerGroup and classicGroupLeaveToConsumerGroup). A member that
 * speaks JoinGroup/SyncGroup/Heartbeat/LeaveGroup to a group that became a consumer group (or
 * joins one that has members) is a consumer group member carrying ClassicMemberMetadata:
 * - JoinGroup updates its subscription (decoded from its first protocol's metadata) and runs the
 *   same heartbeat logic as ConsumerGroupHeartbeat (target assignment, reconciliation), the
 *   partitions it still owns being the subscription's owned_partitions (none for an eager member,
 *   which revoked everything before rejoining). It answers at once: generation = member epoch,
 *   protocol name = the member's first protocol, and the member is never the leader (no members).
 * - SyncGroup answers the member's current assignment, encoded in the consumer protocol.
 * - Heartbeat answers REBALANCE_IN_PROGRESS when the member's assignment must change (a new
 *   target epoch, partitions to revoke, or released partitions it may now take): it rejoins.
 * - LeaveGroup removes the member (its partitions go to the others).
 * Session timeouts are the member's classic session timeout (consumer-groups.ts scheduleTimers).
 *
 * A JoinGroup with an unknown member id is a new member (as Kafka: from v4 after the
 * MEMBER_ID_REQUIRED round trip); a member using the consumer protocol gets UNKNOWN_MEMBER_ID on
 * the classic APIs. SyncGroup answers REBALANCE_IN_PROGRESS while the member is behind the group
 * epoch.
 * Deviations: a static member rejoining takes over the member id holding its instance id (Kafka
 * replaces the member); Kafka's join and sync timeouts (a classic member that does not rejoin or
 * sync in time is removed) are not armed: the session timeout removes it.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription, encodeAssignment } from '../../protocol/consumer-protocol.js';
import { GroupType } from '../groups.js';
import type { JoinResult, MemberProtocol, SyncResult } from '../member.js';
import type { ConsumerGroup } from './consumer-group.js';
import { scheduleTimers, type ConsumerGroupHost } from './consumer-groups.js';
import { consumerHeartbeat, removeMember } from './consumer-heartbeat.js';
import { MemberState, samePartitions } from './consumer-model.js';
import { reconcile } from './reconciliation.js';

export interface ClassicJoinRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly MemberProtocol[];
  readonly clientId: string;
  readonly clientHost: string;
  readonly apiVersion: number;
}

function joinAnswer(memberId: string, errorCode: number, generationId = -1, protocolName: string | null = null): JoinResult {
  return { errorCode, generationId, protocolType: errorCode === ErrorCode.NONE ? CONSUMER_PROTOCOL_TYPE : null, protocolName, leader: '', skipAssignment: false, memberId, members: [] };
}

function consumerGroupOf(c: ConsumerGroupHost, groupId: string): ConsumerGroup {
  const g = c.anyGroup(groupId);
  if (g?.type !== GroupType.Consumer) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${groupId} is no longer a consumer group`);
  return g;
}

/** JoinGroup of a classic member to the consumer group `groupId`. */
export async function classicJoinToConsumerGroup(c: ConsumerGroupHost, req: ClassicJoinRequest): Promise<JoinResult> {
  if (req.protocolType !== CONSUMER_PROTOCOL_TYPE || req.protocols.length === 0) return joinAnswer(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const first = req.protocols[0] as MemberProtocol;
  const sub = decodeSubscription(first.metadata);
  if (sub === null) return joinAnswer(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  if (req.memberId === '' && req.groupInstanceId === null && req.apiVersion >= 4) return joinAnswer(randomUUID(), ErrorCode.MEMBER_ID_REQUIRED);
  try {
    const answer = await c.runAsync(req.groupId, () => {
      const group = consumerGroupOf(c, req.groupId);
      let memberId = req.memberId === '' ? randomUUID() : req.memberId;
      if (req.groupInstanceId !== null) memberId = group.staticMemberId(req.groupInstanceId) ?? memberId;
      const known = group.hasMember(memberId);
      if (known && !group.subscriptions.get(memberId)?.classic) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} does not use the classic protocol`);
      const owned = new Map<string, Set<number>>();
      if (known) {
        for (const tp of sub.ownedPartitions) {
          const id = c.topicCatalog.idOf(tp.topic);
          if (id === undefined) continue;
          let s = owned.get(id);
          if (!s) owned.set(id, (s = new Set()));
          for (const p of tp.partitions) s.add(p);
        }
      }
      const result = consumerHeartbeat(
        group,
        {
          groupId: req.groupId,
          memberId,
          memberEpoch: known ? group.assignment(memberId).memberEpoch : 0,
          instanceId: req.groupInstanceId,
          rackId: sub.rackId ?? null,
          rebalanceTimeoutMs: req.rebalanceTimeoutMs,
          subscribedTopicNames: [...sub.topics].sort(),
          subscribedTopicRegex: null,
          serverAssignor: null,
          owned,
          clientId: req.clientId,
          clientHost: req.clientHost,
          classic: { sessionTimeoutMs: req.sessionTimeoutMs, supportedProtocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
        },
        { topics: c.topicCatalog, settings: c.consumerSettingsFor(req.groupId), newMemberId: () => memberId },
      );
      if (!known) c.logger.info(`Classic member ${memberId} joins consumer group ${req.groupId}`);
      return { records: result.records, response: result.response };
    });
    scheduleTimers(c, req.groupId, answer.memberId);
    return joinAnswer(answer.memberId, ErrorCode.NONE, answer.memberEpoch, first.name);
  } catch (e) {
    if (e instanceof KafkaError) return joinAnswer(req.memberId, e.code === ErrorCode.FENCED_MEMBER_EPOCH ? ErrorCode.UNKNOWN_MEMBER_ID : e.code);
    throw e;
  }
}

/** The error of a classic request naming `memberId` at `generationId`, NONE when it is current. */
function validateClassicMember(group: ConsumerGroup, memberId: string, instanceId: string | null, generationId: number): number {
  if (!group.hasMember(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  const s = group.subscriptions.get(memberId);
  if (instanceId !== null && s?.instanceId !== instanceId) return ErrorCode.FENCED_INSTANCE_ID;
  // A consumer-protocol member has no business on the classic path.
  if (!s?.classic) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (generationId !== group.assignment(memberId).memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
  return ErrorCode.NONE;
}

/** SyncGroup of a classic member: its current assignment, in the consumer protocol. */
export function classicSyncToConsumerGroup(
  c: ConsumerGroupHost,
  group: ConsumerGroup,
  req: { memberId: string; groupInstanceId: string | null; generationId: number; protocolType: string | null; protocolName: string | null },
): SyncResult {
  const none = { protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  const code = validateClassicMember(group, req.memberId, req.groupInstanceId, req.generationId);
  if (code !== ErrorCode.NONE) return { errorCode: code, ...none };
  if (req.protocolType !== null && req.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ...none };
  const chosen = group.subscriptions.get(req.memberId)?.classic?.supportedProtocols[0]?.name ?? null;
  if (req.protocolName !== null && req.protocolName !== chosen) return { errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ...none };
  if (group.assignment(req.memberId).memberEpoch < group.groupEpoch) return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS, ...none };
  const names = new Map(group.subscribedTopics.map((t) => [t.topicId, t.name]));
  const assigned: { topic: string; partitions: number[] }[] = [];
  for (const [topicId, s] of group.assignment(req.memberId).assigned) {
    const topic = names.get(topicId);
    if (topic !== undefined && s.size > 0) assigned.push({ topic, partitions: [...s].sort((a, b) => a - b) });
  }
  scheduleTimers(c, group.groupId, req.memberId);
  return { errorCode: ErrorCode.NONE, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: chosen, assignment: encodeAssignment({ assignedPartitions: assigned, userData: null }) };
}

/** Whether the member must rejoin (Kafka): the group epoch moved past it, it must revoke, or partitions it waits for were released. */
function mustRejoin(group: ConsumerGroup, memberId: string): boolean {
  const a = group.assignment(memberId);
  if (a.memberEpoch < group.groupEpoch) return true;
  if (a.state === MemberState.UnrevokedPartitions) return true;
  if (a.state !== MemberState.UnreleasedPartitions) return false;
  const self = (t: string, p: number): number => (group.partitionOwner(t, p) === memberId ? -1 : group.currentPartitionEpoch(t, p));
  const next = reconcile({ member: a, targetEpoch: group.assignmentEpoch, target: group.target(memberId), partitionEpoch: self, owned: a.assigned });
  return !samePartitions(next.assigned, a.assigned);
}

/** Heartbeat of a classic member: NONE, or REBALANCE_IN_PROGRESS when it must rejoin. */
export function classicHeartbeatToConsumerGroup(c: ConsumerGroupHost, group: ConsumerGroup, req: { memberId: string; groupInstanceId: string | null; generationId: number }): number {
  const code = validateClassicMember(group, req.memberId, req.groupInstanceId, req.generationId);
  if (code !== ErrorCode.NONE) return code;
  scheduleTimers(c, group.groupId, req.memberId);
  return mustRejoin(group, req.memberId) ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
}

export interface ClassicLeaveOutcome {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

/** LeaveGroup of classic members: each is removed (UNKNOWN_MEMBER_ID for those the group lacks). */
export async function classicLeaveToConsumerGroup(c: ConsumerGroupHost, groupId: string, leaving: readonly { memberId: string; groupInstanceId: string | null }[]): Promise<ClassicLeaveOutcome[]> {
  return c.runAsync(groupId, () => {
    const group = consumerGroupOf(c, groupId);
    const records: CoordinatorRecord[] = [];
    const removed = new Set<string>();
    const outcomes = leaving.map((m): ClassicLeaveOutcome => {
      const id = m.memberId !== '' ? m.memberId : m.groupInstanceId !== null ? (group.staticMemberId(m.groupInstanceId) ?? '') : '';
      if (!group.hasMember(id) || removed.has(id) || !group.subscriptions.get(id)?.classic) return { ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      if (m.groupInstanceId !== null && group.subscriptions.get(id)?.instanceId !== m.groupInstanceId) return { ...m, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      removed.add(id);
      records.push(...removeMember(group, id, c.topicCatalog));
      c.logger.info(`Classic member ${id} left consumer group ${groupId}`);
      return { ...m, errorCode: ErrorCode.NONE };
    });
    return { records, response: outcomes };
  });
}
