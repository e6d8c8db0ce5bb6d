/**
 * SyncGroup, Heartbeat and LeaveGroup for classic groups (Kafka 4.0's classicGroupSync,
 * classicGroupHeartbeat and classicGroupLeave). The leader's SyncGroup writes the new assignment
 * as a GroupMetadata record; it becomes the members' assignment when the record is replayed
 * (after its commit), and only then is anyone answered. Member liveness (heartbeats, pending
 * JoinGroup/SyncGroup answers) is in-memory bookkeeping that is never persisted.
 */
import { ErrorCode } from '../common/error-codes.js';
import { ClassicGroup, GroupState } from './group.js';
import { validateMember } from './join.js';
import { EMPTY_BUFFER, type SyncResult } from './member.js';
import {
  maybePrepareRebalanceOrCompleteJoin,
  propagateAssignment,
  removeMemberAndUpdateGroup,
  removePendingMember,
  removePendingSyncMember,
  rescheduleHeartbeat,
  resetAndPropagateAssignmentWithError,
  syncError,
} from './rebalance.js';
import { groupMetadataRecord } from './records.js';
import type { GroupRuntime } from './runtime.js';

export interface SyncRequest {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

function inconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

export function syncGroup(rt: GroupRuntime, group: ClassicGroup, req: SyncRequest, respond: (r: SyncResult) => void): void {
  if (group.is(GroupState.Dead)) return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  const code = validateMember(group, req.memberId, req.groupInstanceId);
  if (code !== ErrorCode.NONE) return respond(syncError(code));
  if (req.generationId !== group.generationId) return respond(syncError(ErrorCode.ILLEGAL_GENERATION));
  if (inconsistent(req.protocolType, group.protocolType) || inconsistent(req.protocolName, group.protocolName)) {
    return respond(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  const member = group.member(req.memberId);
  switch (group.state) {
    case GroupState.PreparingRebalance:
      return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    case GroupState.CompletingRebalance: {
      member.awaitingSync = respond;
      removePendingSyncMember(group, req.memberId);
      rescheduleHeartbeat(rt, group, member);
      if (!group.isLeader(req.memberId)) return;
      // The leader's assignment (members it left out get an empty one) is written first; the
      // members receive it once its GroupMetadata record is committed and replayed.
      const given = new Map<string, Buffer>();
      for (const a of req.assignments) given.set(a.memberId, a.assignment);
      const value = group.toRecordValue(rt.scheduler.now());
      const record = groupMetadataRecord(group.groupId, { ...value, members: value.members.map((m) => ({ ...m, assignment: given.get(m.memberId) ?? EMPTY_BUFFER })) });
      const generation = group.generationId;
      rt.write(group.groupId, [record], (appended) => {
        // Stale by the time it is committed (the group moved on): the new generation answers instead.
        if (group.generationId !== generation || !group.is(GroupState.CompletingRebalance)) return;
        if (appended !== ErrorCode.NONE) {
          resetAndPropagateAssignmentWithError(rt, group, appended);
          maybePrepareRebalanceOrCompleteJoin(rt, group, `error ${appended} when storing group assignment during SyncGroup (member ${req.memberId})`);
          return;
        }
        propagateAssignment(rt, group, ErrorCode.NONE);
        group.transitionTo(GroupState.Stable, rt.scheduler.now());
      });
      return;
    }
    case GroupState.Stable:
      removePendingSyncMember(group, req.memberId);
      rescheduleHeartbeat(rt, group, member);
      return respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
    default:
      return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

export interface HeartbeatRequest {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
}

export function heartbeat(rt: GroupRuntime, group: ClassicGroup, req: HeartbeatRequest): number {
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const code = validateMember(group, req.memberId, req.groupInstanceId);
  if (code !== ErrorCode.NONE) return code;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const member = group.member(req.memberId);
  switch (group.state) {
    case GroupState.Empty:
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case GroupState.PreparingRebalance:
      rescheduleHeartbeat(rt, group, member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      // CompletingRebalance too: members may heartbeat between JoinGroup and SyncGroup.
      rescheduleHeartbeat(rt, group, member);
      return ErrorCode.NONE;
  }
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveOutcome {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export function leaveGroup(rt: GroupRuntime, group: ClassicGroup, leaving: readonly LeavingMember[]): LeaveOutcome[] {
  const out: LeaveOutcome[] = [];
  for (const l of leaving) {
    const reason = `member ${l.memberId || l.groupInstanceId} left the group${l.reason ? `: ${l.reason}` : ''}`;
    const outcome: LeaveOutcome = { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.NONE };
    out.push(outcome);
    if (l.groupInstanceId === null) {
      if (group.pendingMembers.has(l.memberId)) {
        removePendingMember(rt, group, l.memberId);
      } else {
        const m = group.members.get(l.memberId);
        if (!m) outcome.errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else removeMemberAndUpdateGroup(rt, group, m, reason);
      }
      continue;
    }
    const existing = group.staticMemberId(l.groupInstanceId);
    if (existing === undefined) {
      outcome.errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
    } else if (l.memberId !== '' && l.memberId !== existing) {
      outcome.errorCode = ErrorCode.FENCED_INSTANCE_ID;
    } else {
      const m = group.members.get(existing);
      if (m) removeMemberAndUpdateGroup(rt, group, m, reason);
    }
  }
  return out;
}
