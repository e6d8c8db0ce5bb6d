/**
 * SyncGroup (key 14), v0-5.
 * Version notes: v3+ static membership (group.instance.id); v5+ carries the protocol type and
 * name, checked against the group's (INCONSISTENT_GROUP_PROTOCOL) and returned. The leader's
 * assignment is written to `__consumer_offsets` before any member receives its share; followers
 * wait for it. A classic member of a migrated consumer group gets its assignment from
 * group/consumer/classic-members.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeSyncGroupRequest,
  encodeSyncGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponseInit,
} from '../../protocol/generated/messages/sync-group.js';
import type { SyncResult } from '../../group/member.js';
import { classicSyncToConsumerGroup } from '../../group/consumer/classic-members.js';
import { syncGroup } from '../../group/membership.js';
import { syncError } from '../../group/rebalance.js';
import { checkGroupRequest, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function toResponse(r: SyncResult): SyncGroupResponseInit {
  return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
}

export function syncGroupHandler(deps: GroupDeps): ApiHandler<SyncGroupRequest, SyncGroupResponseInit> {
  return defineHandler<SyncGroupRequest, SyncGroupResponseInit>({
    apiKey: 14,
    name: 'SyncGroup',
    minVersion: 0,
    maxVersion: 5,
    decode: decodeSyncGroupRequest,
    encode: encodeSyncGroupResponse,
    handle(ctx, req) {
      const c = deps.groups;
      checkGroupRequest(c, req.groupId);
      c.throwIfShareGroup(req.groupId, 'classic');
      const v = ctx.apiVersion;
      const migrated = c.consumerGroup(req.groupId);
      if (migrated !== undefined && migrated.size > 0) {
        return toResponse(
          classicSyncToConsumerGroup(c, migrated, {
            memberId: req.memberId,
            groupInstanceId: v >= 3 ? req.groupInstanceId : null,
            generationId: req.generationId,
            protocolType: v >= 5 ? req.protocolType : null,
            protocolName: v >= 5 ? req.protocolName : null,
          }),
        );
      }
      const group = c.group(req.groupId);
      if (!group) return toResponse(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      return new Promise<SyncGroupResponseInit>((resolve) => {
        syncGroup(
          c,
          group,
          {
            memberId: req.memberId,
            groupInstanceId: v >= 3 ? req.groupInstanceId : null,
            generationId: req.generationId,
            protocolType: v >= 5 ? req.protocolType : null,
            protocolName: v >= 5 ? req.protocolName : null,
            assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
          },
          (r) => resolve(toResponse(r)),
        );
      });
    },
    errorResponse(_req, errorCode) {
      return toResponse(syncError(errorCode));
    },
  });
}
