/**
 * Heartbeat (key 12), v0-4.
 * Version notes: v3+ static membership (group.instance.id). REBALANCE_IN_PROGRESS tells a
 * member to rejoin; heartbeats between JoinGroup and SyncGroup are accepted. A classic member of
 * a migrated consumer group is answered by group/consumer/classic-members.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeHeartbeatRequest,
  encodeHeartbeatResponse,
  type HeartbeatRequest,
  type HeartbeatResponseInit,
} from '../../protocol/generated/messages/heartbeat.js';
import { classicHeartbeatToConsumerGroup } from '../../group/consumer/classic-members.js';
import { heartbeat } from '../../group/membership.js';
import { checkGroupRequest, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function heartbeatHandler(deps: GroupDeps): ApiHandler<HeartbeatRequest, HeartbeatResponseInit> {
  return defineHandler<HeartbeatRequest, HeartbeatResponseInit>({
    apiKey: 12,
    name: 'Heartbeat',
    minVersion: 0,
    maxVersion: 4,
    decode: decodeHeartbeatRequest,
    encode: encodeHeartbeatResponse,
    handle(ctx, req) {
      const c = deps.groups;
      checkGroupRequest(c, req.groupId);
      c.throwIfShareGroup(req.groupId, 'classic');
      const migrated = c.consumerGroup(req.groupId);
      if (migrated !== undefined && migrated.size > 0) {
        const generationId = req.generationId;
        return { throttleTimeMs: 0, errorCode: classicHeartbeatToConsumerGroup(c, migrated, { memberId: req.memberId, groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null, generationId }) };
      }
      const group = c.group(req.groupId);
      if (!group) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      const errorCode = heartbeat(c, group, {
        memberId: req.memberId,
        groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
        generationId: req.generationId,
      });
      return { throttleTimeMs: 0, errorCode };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode };
    },
  });
}
