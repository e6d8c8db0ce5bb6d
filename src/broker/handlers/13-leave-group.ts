/**
 * LeaveGroup (key 13), v0-5.
 * Version notes: v0-2 name one member and report its error at the top level; v3+ batch members
 * (by member id and/or group.instance.id) with an error per member; v5+ carries a reason.
 * Classic members of a migrated consumer group leave through group/consumer/classic-members.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponseInit,
} from '../../protocol/generated/messages/leave-group.js';
import { classicLeaveToConsumerGroup } from '../../group/consumer/classic-members.js';
import { leaveGroup, type LeaveOutcome, type LeavingMember } from '../../group/membership.js';
import { checkGroupRequest, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function leaveGroupHandler(deps: GroupDeps): ApiHandler<LeaveGroupRequest, LeaveGroupResponseInit> {
  return defineHandler<LeaveGroupRequest, LeaveGroupResponseInit>({
    apiKey: 13,
    name: 'LeaveGroup',
    minVersion: 0,
    maxVersion: 5,
    decode: decodeLeaveGroupRequest,
    encode: encodeLeaveGroupResponse,
    handle(ctx, req) {
      const c = deps.groups;
      checkGroupRequest(c, req.groupId);
      c.throwIfShareGroup(req.groupId, 'classic');
      const v = ctx.apiVersion;
      const leaving: LeavingMember[] =
        v >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null })) : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
      const migrated = c.consumerGroup(req.groupId);
      if (migrated !== undefined && migrated.size > 0) {
        return classicLeaveToConsumerGroup(c, req.groupId, leaving).then((outcomes) =>
          v < 3 ? { throttleTimeMs: 0, errorCode: outcomes[0]?.errorCode ?? ErrorCode.NONE, members: [] } : { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members: outcomes },
        );
      }
      const group = c.group(req.groupId);
      const outcomes: LeaveOutcome[] = group
        ? leaveGroup(c, group, leaving)
        : leaving.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }));
      if (v < 3) return { throttleTimeMs: 0, errorCode: outcomes[0]?.errorCode ?? ErrorCode.NONE, members: [] };
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members: outcomes };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, members: [] };
    },
  });
}
