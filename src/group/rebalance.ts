/**
 * The classic rebalance protocol's moving parts, shared by JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup and the timers: preparing a rebalance (with the delayed initial rebalance),
 * completing the join phase into a new generation, session and pending-sync expiry, and removing
 * members. Follows Kafka 4.0's GroupMetadataManager for classic groups.
 */
import { ErrorCode } from '../common/error-codes.js';
import { ClassicGroup, GroupState } from './group.js';
import { EMPTY_BUFFER, type ClassicMember, type JoinMemberInfo, type JoinResult, type SyncResult } from './member.js';
import { groupMetadataRecord } from './records.js';
import type { GroupRuntime } from './runtime.js';

export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

export function completeJoin(member: ClassicMember, result: JoinResult): void {
  const cb = member.awaitingJoin;
  if (!cb) return;
  member.awaitingJoin = null;
  cb(result);
}

export function completeSync(member: ClassicMember, result: SyncResult): void {
  const cb = member.awaitingSync;
  if (!cb) return;
  member.awaitingSync = null;
  cb(result);
}

/** Member list handed to the leader: every member's metadata for the selected protocol. */
export function currentMembers(group: ClassicGroup): JoinMemberInfo[] {
  const protocol = group.protocolName;
  if (protocol === null) return [];
  return [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
}

/** The answer for a member of the current generation (members only for the leader when `withMembers`). */
export function currentJoinResult(group: ClassicGroup, memberId: string, withMembers: boolean, skipAssignment = false): JoinResult {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment,
    memberId,
    members: withMembers ? currentMembers(group) : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Session timeouts

/** Restarts a member's liveness timer (a heartbeat or any request from it). */
export function rescheduleHeartbeat(rt: GroupRuntime, group: ClassicGroup, member: ClassicMember, timeoutMs = member.sessionTimeoutMs): void {
  member.cancelHeartbeat();
  member.lastHeartbeat = rt.scheduler.now();
  member.heartbeatTimer = rt.scheduler.schedule(timeoutMs, () => {
    member.heartbeatTimer = null;
    if (group.members.get(member.memberId) !== member || group.is(GroupState.Dead)) return;
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) {
      // Members waiting on a rebalance are alive by definition; check again later.
      rescheduleHeartbeat(rt, group, member);
      return;
    }
    rt.logger.info(`Member ${member.memberId} in group ${group.groupId} has failed, removing it from the group (session timeout ${member.sessionTimeoutMs} ms)`);
    removeMemberAndUpdateGroup(rt, group, member, 'removing member on heartbeat expiration');
  });
}

/** A member id handed out with MEMBER_ID_REQUIRED expires if it does not rejoin within its session timeout. */
export function schedulePendingMemberExpiry(rt: GroupRuntime, group: ClassicGroup, memberId: string, timeoutMs: number): void {
  group.pendingMembers.get(memberId)?.cancel();
  group.pendingMembers.set(
    memberId,
    rt.scheduler.schedule(timeoutMs, () => {
      if (!group.pendingMembers.has(memberId)) return;
      removePendingMember(rt, group, memberId);
    }),
  );
}

export function removePendingMember(rt: GroupRuntime, group: ClassicGroup, memberId: string): void {
  group.pendingMembers.get(memberId)?.cancel();
  group.pendingMembers.delete(memberId);
  if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined()) completeGroupJoin(rt, group);
}

/** Removes a member (left, expired or fenced) and moves the group on. */
export function removeMemberAndUpdateGroup(rt: GroupRuntime, group: ClassicGroup, member: ClassicMember, reason: string): void {
  // A new member may time out with a JoinGroup still pending: answer it so the client retries.
  completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
  completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  member.cancelHeartbeat();
  group.remove(member.memberId);
  if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance)) {
    maybePrepareRebalanceOrCompleteJoin(rt, group, reason);
  } else if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined()) {
    completeGroupJoin(rt, group);
  }
}

// ---------------------------------------------------------------------------------------------
// Rebalances

export function canRebalance(group: ClassicGroup): boolean {
  return group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance) || group.is(GroupState.Empty);
}

export function maybePrepareRebalanceOrCompleteJoin(rt: GroupRuntime, group: ClassicGroup, reason: string): void {
  if (canRebalance(group)) prepareRebalance(rt, group, reason);
  else maybeCompleteJoinPhase(rt, group);
}

/** Completes the join phase early when everyone has rejoined, except during the delayed initial rebalance. */
export function maybeCompleteJoinPhase(rt: GroupRuntime, group: ClassicGroup): void {
  if (group.is(GroupState.PreparingRebalance) && group.hasAllMembersJoined() && group.previousState !== GroupState.Empty) {
    completeGroupJoin(rt, group);
  }
}

function cancelJoinTimer(group: ClassicGroup): void {
  group.joinTimer?.cancel();
  group.joinTimer = null;
}

function cancelSyncTimer(group: ClassicGroup): void {
  group.syncTimer?.cancel();
  group.syncTimer = null;
}

export function prepareRebalance(rt: GroupRuntime, group: ClassicGroup, reason: string): void {
  // Anyone waiting for an assignment of the generation being abandoned must rejoin.
  if (group.is(GroupState.CompletingRebalance)) resetAndPropagateAssignmentWithError(rt, group, ErrorCode.REBALANCE_IN_PROGRESS);
  cancelSyncTimer(group);
  group.pendingSyncMembers.clear();
  cancelJoinTimer(group);
  const initial = group.is(GroupState.Empty);
  rt.logger.info(`Preparing to rebalance group ${group.groupId} in state ${group.state} with old generation ${group.generationId} (reason: ${reason})`);
  group.transitionTo(GroupState.PreparingRebalance, rt.scheduler.now());
  if (initial) {
    group.newMemberAdded = false;
    const delay = rt.settings.initialRebalanceDelayMs;
    const remaining = Math.max(group.rebalanceTimeoutMs() - delay, 0);
    scheduleInitialJoin(rt, group, delay, remaining);
  } else if (group.hasAllMembersJoined()) {
    completeGroupJoin(rt, group);
  } else {
    scheduleJoinTimeout(rt, group);
  }
}

function scheduleJoinTimeout(rt: GroupRuntime, group: ClassicGroup): void {
  cancelJoinTimer(group);
  group.joinTimer = rt.scheduler.schedule(group.rebalanceTimeoutMs(), () => {
    group.joinTimer = null;
    if (group.is(GroupState.PreparingRebalance)) completeGroupJoin(rt, group);
  });
}

/** group.initial.rebalance.delay.ms: wait for more members, extending while they keep arriving. */
function scheduleInitialJoin(rt: GroupRuntime, group: ClassicGroup, delayMs: number, remainingMs: number): void {
  cancelJoinTimer(group);
  group.joinTimer = rt.scheduler.schedule(delayMs, () => {
    group.joinTimer = null;
    if (!group.is(GroupState.PreparingRebalance)) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(rt.settings.initialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      scheduleInitialJoin(rt, group, nextDelay, nextRemaining);
    } else {
      completeGroupJoin(rt, group);
    }
  });
}

/** Picks a leader among the members that rejoined; false when none did. */
function maybeElectNewJoinedLeader(group: ClassicGroup): boolean {
  if (group.leaderId === null) return false;
  const leader = group.members.get(group.leaderId);
  if (leader?.isAwaitingJoin) return true;
  for (const m of group.members.values()) {
    if (m.isAwaitingJoin) {
      group.leaderId = m.memberId;
      return true;
    }
  }
  return false;
}

/** Ends the join phase: drops members that did not rejoin, starts the next generation and answers every JoinGroup. */
export function completeGroupJoin(rt: GroupRuntime, group: ClassicGroup): void {
  cancelJoinTimer(group);
  if (group.is(GroupState.Dead)) return;
  // Dynamic members that did not rejoin in time are gone (static ones stay until their session expires).
  for (const m of group.notYetRejoined()) {
    if (m.isStatic) continue;
    rt.logger.info(`Member ${m.memberId} of group ${group.groupId} did not rejoin in time; removing it`);
    m.cancelHeartbeat();
    completeSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(m.memberId);
  }
  if (!maybeElectNewJoinedLeader(group) && group.size > 0) {
    // Nobody rejoined: wait another rebalance timeout for session expiry to clear the members.
    rt.logger.warn(`Group ${group.groupId} could not complete rebalance because no members rejoined`);
    scheduleJoinTimeout(rt, group);
    return;
  }
  initNextGeneration(rt, group);
  rt.rebalanceCompleted?.();
  if (group.is(GroupState.Empty)) {
    rt.logger.info(`Group ${group.groupId} with generation ${group.generationId} is now empty`);
    // A failure here is harmless: the previous generation had no live members either way.
    rt.write(group.groupId, [groupMetadataRecord(group.groupId, group.toRecordValue(rt.scheduler.now()))], () => undefined);
    return;
  }
  rt.logger.info(`Stabilized group ${group.groupId} generation ${group.generationId} with ${group.size} members (protocol ${group.protocolName})`);
  for (const m of group.members.values()) {
    completeJoin(m, currentJoinResult(group, m.memberId, group.isLeader(m.memberId)));
    m.isNew = false;
    rescheduleHeartbeat(rt, group, m);
    group.pendingSyncMembers.add(m.memberId);
  }
  schedulePendingSync(rt, group);
}

function initNextGeneration(rt: GroupRuntime, group: ClassicGroup): void {
  group.generationId++;
  const now = rt.scheduler.now();
  if (group.size > 0) {
    group.protocolName = group.selectProtocol();
    group.transitionTo(GroupState.CompletingRebalance, now);
  } else {
    group.protocolName = null;
    group.transitionTo(GroupState.Empty, now);
  }
  group.pendingSyncMembers.clear();
}

/** Members that never send SyncGroup for the new generation are removed after the rebalance timeout. */
function schedulePendingSync(rt: GroupRuntime, group: ClassicGroup): void {
  cancelSyncTimer(group);
  const generation = group.generationId;
  group.syncTimer = rt.scheduler.schedule(group.rebalanceTimeoutMs(), () => {
    group.syncTimer = null;
    if (generation !== group.generationId) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    rt.logger.info(`Members ${missing.join(', ')} of group ${group.groupId} did not send SyncGroup in time; removing them`);
    for (const id of missing) {
      const m = group.members.get(id);
      if (!m) continue;
      m.cancelHeartbeat();
      group.remove(id);
    }
    prepareRebalance(rt, group, `removing members ${missing.join(', ')} on pending sync request expiration`);
  });
}

export function removePendingSyncMember(group: ClassicGroup, memberId: string): void {
  group.pendingSyncMembers.delete(memberId);
  if (group.pendingSyncMembers.size === 0) cancelSyncTimer(group);
}

/** Clears every assignment and answers pending SyncGroups with `errorCode`. */
export function resetAndPropagateAssignmentWithError(rt: GroupRuntime, group: ClassicGroup, errorCode: number): void {
  for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
  propagateAssignment(rt, group, errorCode);
}

/** Answers every pending SyncGroup with its member's assignment (or the error). */
export function propagateAssignment(rt: GroupRuntime, group: ClassicGroup, errorCode: number): void {
  for (const m of group.members.values()) {
    if (!m.isAwaitingSync) continue;
    completeSync(m, {
      errorCode,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: errorCode === ErrorCode.NONE ? m.assignment : EMPTY_BUFFER,
    });
    if (errorCode === ErrorCode.NONE) rescheduleHeartbeat(rt, group, m);
  }
}

/** Ends a group's timers and answers anything pending with `errorCode` (coordinator unloading or shutting down). */
export function shutdownGroup(group: ClassicGroup, errorCode: number): void {
  cancelJoinTimer(group);
  cancelSyncTimer(group);
  for (const t of group.pendingMembers.values()) t.cancel();
  for (const m of group.members.values()) {
    m.cancelHeartbeat();
    completeJoin(m, joinError(m.memberId, errorCode));
    completeSync(m, syncError(errorCode));
  }
}
