/**
 * JoinGroup for classic groups (Kafka 4.0's classicGroupJoin): new dynamic members (with the
 * MEMBER_ID_REQUIRED round trip from v4), new and returning static members (fencing the
 * previous holder of a group.instance.id), and rejoining members in every group state.
 * The answer may come later (when the join phase completes), so it is delivered through `respond`.
 *
 * Join-phase timing as in Kafka: a group leaving Empty (new, or every member gone, at any
 * generation) waits group.initial.rebalance.delay.ms, extended while new members keep arriving,
 * up to the largest rebalance timeout; any other join phase ends as soon as every known member
 * (static members included) and every pending member id has rejoined, or at the rebalance timeout.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { ClassicGroup, GroupState } from './group.js';
import { ClassicMember, type JoinResult, type MemberProtocol } from './member.js';
import {
  completeJoin,
  completeSync,
  currentJoinResult,
  joinError,
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  prepareRebalance,
  rescheduleHeartbeat,
  schedulePendingMemberExpiry,
  syncError,
} from './rebalance.js';
import { groupMetadataRecord } from './records.js';
import type { GroupRuntime } from './runtime.js';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  clientId: string;
  clientHost: string;
  apiVersion: number;
  reason: string | null;
}

export type Respond = (r: JoinResult) => void;

/** JoinGroup v4+ makes a new dynamic member come back with the id it is given. */
function requiresKnownMemberId(version: number): boolean {
  return version >= 4;
}

/** JoinGroup v9+ lets a static leader that rejoins skip the assignment. */
function supportsSkippingAssignment(version: number): boolean {
  return version >= 9;
}

function acceptJoiningMember(group: ClassicGroup, memberId: string, maxSize: number): boolean {
  switch (group.state) {
    case GroupState.Empty:
    case GroupState.Dead:
      return true;
    case GroupState.PreparingRebalance:
      return (group.members.get(memberId)?.isAwaitingJoin ?? false) || group.numAwaitingJoin() < maxSize;
    default:
      return group.hasMember(memberId) || group.size < maxSize;
  }
}

/** Handles one JoinGroup against `group` (already created for unknown members). */
export function joinGroup(rt: GroupRuntime, group: ClassicGroup, req: JoinRequest, respond: Respond): void {
  const unknown = req.memberId === '';
  if (!acceptJoiningMember(group, req.memberId, rt.settings.maxGroupSize)) {
    const existing = group.members.get(req.memberId);
    if (existing) {
      existing.cancelHeartbeat();
      completeSync(existing, syncError(ErrorCode.GROUP_MAX_SIZE_REACHED));
      group.remove(req.memberId);
    }
    respond(joinError(req.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
  } else if (unknown) {
    joinNewMember(rt, group, req, respond);
  } else {
    joinExistingMember(rt, group, req, respond);
  }
  // Each path above already completed the join phase if it could (maybeCompleteJoinPhase). The
  // initial rebalance of a group that was Empty is never cut short, whatever its generation: a
  // group whose members all expired or left waits group.initial.rebalance.delay.ms again, so
  // members starting together (e.g. static members restarted after their sessions expired) land
  // in one generation, as in Kafka.
}

function joinNewMember(rt: GroupRuntime, group: ClassicGroup, req: JoinRequest, respond: Respond): void {
  if (group.is(GroupState.Dead)) {
    respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!group.supportsProtocols(req.protocolType, req.protocols)) {
    respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
  if (req.groupInstanceId !== null) {
    const existing = group.staticMemberId(req.groupInstanceId);
    if (existing === undefined) addMemberAndRebalance(rt, group, req, newMemberId, respond);
    else updateStaticMemberAndRebalance(rt, group, req, existing, newMemberId, respond);
    return;
  }
  if (requiresKnownMemberId(req.apiVersion)) {
    schedulePendingMemberExpiry(rt, group, newMemberId, req.sessionTimeoutMs);
    respond({ ...joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED) });
    return;
  }
  addMemberAndRebalance(rt, group, req, newMemberId, respond);
}

function joinExistingMember(rt: GroupRuntime, group: ClassicGroup, req: JoinRequest, respond: Respond): void {
  const memberId = req.memberId;
  if (group.is(GroupState.Dead)) {
    respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!group.supportsProtocols(req.protocolType, req.protocols)) {
    respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  if (group.pendingMembers.has(memberId)) {
    // A member coming back with the id it was given by MEMBER_ID_REQUIRED.
    group.pendingMembers.get(memberId)?.cancel();
    group.pendingMembers.delete(memberId);
    addMemberAndRebalance(rt, group, req, memberId, respond);
    return;
  }
  const code = validateMember(group, memberId, req.groupInstanceId);
  if (code !== ErrorCode.NONE) {
    respond(joinError(memberId, code));
    return;
  }
  const member = group.member(memberId);
  switch (group.state) {
    case GroupState.PreparingRebalance:
      updateMemberAndRebalance(rt, group, member, req, respond, `member ${memberId} is joining group during ${group.state}`);
      return;
    case GroupState.CompletingRebalance:
      if (member.matches(req.protocols)) {
        // Same metadata (it probably missed the JoinGroup answer): repeat the current generation.
        respond(currentJoinResult(group, memberId, group.isLeader(memberId)));
      } else {
        updateMemberAndRebalance(rt, group, member, req, respond, `updating metadata for member ${memberId} during ${group.state}`);
      }
      return;
    case GroupState.Stable:
      if (group.isLeader(memberId)) {
        // The leader may rejoin to force a rebalance (e.g. its topics' metadata changed).
        updateMemberAndRebalance(rt, group, member, req, respond, `leader ${memberId} re-joining group during Stable`);
      } else if (!member.matches(req.protocols)) {
        updateMemberAndRebalance(rt, group, member, req, respond, `updating metadata for member ${memberId} during Stable`);
      } else {
        rescheduleHeartbeat(rt, group, member);
        respond(currentJoinResult(group, memberId, false));
      }
      return;
    default:
      rt.logger.warn(`Attempt to add rejoining member ${memberId} of group ${group.groupId} in unexpected group state ${group.state}`);
      respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

/** Kafka's validateMember: static members are checked by instance id (FENCED_INSTANCE_ID when another member holds it). */
export function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const existing = group.staticMemberId(groupInstanceId);
    if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    return ErrorCode.NONE;
  }
  return group.hasMember(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

export function validateMemberOrThrow(group: ClassicGroup, memberId: string, groupInstanceId: string | null): void {
  const code = validateMember(group, memberId, groupInstanceId);
  if (code !== ErrorCode.NONE) throw new KafkaError(code);
}

function setAwaitingJoin(member: ClassicMember, respond: Respond): void {
  // A client that retried its JoinGroup (e.g. after a timeout) gets the old request answered.
  completeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  member.awaitingJoin = respond;
}

function addMemberAndRebalance(rt: GroupRuntime, group: ClassicGroup, req: JoinRequest, memberId: string, respond: Respond): void {
  const member = new ClassicMember(
    memberId,
    req.groupInstanceId,
    req.clientId,
    req.clientHost,
    req.rebalanceTimeoutMs,
    req.sessionTimeoutMs,
    req.protocolType,
    req.protocols,
    rt.scheduler.now(),
  );
  member.isNew = true;
  // A member arriving during an initial rebalance (the group was Empty, at any generation) extends its delay.
  if (group.is(GroupState.PreparingRebalance) && group.previousState === GroupState.Empty) group.newMemberAdded = true;
  group.add(member);
  setAwaitingJoin(member, respond);
  // New members cannot heartbeat until they have their answer, so they get a longer timeout.
  rescheduleHeartbeat(rt, group, member, rt.settings.newMemberJoinTimeoutMs);
  maybePrepareRebalanceOrCompleteJoin(rt, group, `adding new member ${memberId} with group instance id ${req.groupInstanceId ?? 'null'}${req.reason ? `; client reason: ${req.reason}` : ''}`);
}

function updateMemberAndRebalance(rt: GroupRuntime, group: ClassicGroup, member: ClassicMember, req: JoinRequest, respond: Respond, reason: string): void {
  group.updateProtocols(member, req.protocols);
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  setAwaitingJoin(member, respond);
  rescheduleHeartbeat(rt, group, member);
  maybePrepareRebalanceOrCompleteJoin(rt, group, `${reason}${req.reason ? `; client reason: ${req.reason}` : ''}`);
}

/** A static member rejoined without its member id: it takes the slot over and fences the old id. */
function updateStaticMemberAndRebalance(rt: GroupRuntime, group: ClassicGroup, req: JoinRequest, oldMemberId: string, newMemberId: string, respond: Respond): void {
  const instanceId = req.groupInstanceId as string;
  const currentLeader = group.leaderId ?? '';
  const old = group.member(oldMemberId);
  completeJoin(old, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
  completeSync(old, syncError(ErrorCode.FENCED_INSTANCE_ID));
  const reason = `static member ${instanceId} rejoined with new member id ${newMemberId}`;
  const replace = (): ClassicMember => {
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, rt.scheduler.now());
    group.updateProtocols(member, req.protocols);
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.awaitingJoin = respond;
    rescheduleHeartbeat(rt, group, member);
    return member;
  };
  if (group.is(GroupState.Stable) && group.selectProtocolIf(oldMemberId, req.protocols) === group.protocolName) {
    // Same protocol: persist the new member id first, then hand back the current generation without a rebalance.
    const protocol = group.protocolName as string;
    const value = group.toRecordValue(rt.scheduler.now());
    const members = value.members.map((m) =>
      m.memberId !== oldMemberId
        ? m
        : { ...m, memberId: newMemberId, rebalanceTimeout: req.rebalanceTimeoutMs, sessionTimeout: req.sessionTimeoutMs, subscription: req.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0) },
    );
    rt.write(group.groupId, [groupMetadataRecord(group.groupId, { ...value, leader: value.leader === oldMemberId ? newMemberId : value.leader, members })], (code) => {
      if (code !== ErrorCode.NONE || group.members.get(oldMemberId) !== old) {
        // Not written: the old member id stays (its session restarts), the new one is refused.
        if (group.members.get(oldMemberId) === old) rescheduleHeartbeat(rt, group, old);
        respond({ ...currentJoinResult(group, '', false), leader: currentLeader, errorCode: code !== ErrorCode.NONE ? code : ErrorCode.UNKNOWN_MEMBER_ID });
        return;
      }
      const member = replace();
      const isLeader = group.isLeader(newMemberId);
      if (supportsSkippingAssignment(req.apiVersion)) {
        completeJoin(member, currentJoinResult(group, newMemberId, isLeader, isLeader));
      } else {
        // Older clients: report the old leader id so the rejoined member does not run an assignment
        // a Stable group would ignore anyway.
        completeJoin(member, { ...currentJoinResult(group, newMemberId, false), leader: currentLeader });
      }
    });
    return;
  }
  replace();
  switch (group.state) {
    case GroupState.Stable:
      maybePrepareRebalanceOrCompleteJoin(rt, group, `${reason} and a change of protocol`);
      return;
    case GroupState.CompletingRebalance:
      // The leader may already be assigning for the old member id: start over.
      prepareRebalance(rt, group, reason);
      return;
    case GroupState.PreparingRebalance:
      maybeCompleteJoinPhase(rt, group);
      return;
    default:
      throw new Error(`group ${group.groupId} was not supposed to be ${group.state} when static member ${instanceId} rejoined`);
  }
}
