/**
 * JoinGroup (key 11), v0-9 (advertised from v2, Kafka 4.0's minimum).
 * Version notes: v0 has no rebalance timeout (the session timeout is used); v4+ makes new
 * dynamic members rejoin with the id they are given (MEMBER_ID_REQUIRED); v5+ static
 * membership (group.instance.id); v7+ returns the protocol type; v8+ carries a reason; v9+ lets
 * a rejoining static leader skip the assignment. The answer is held until the join phase ends.
 * A JoinGroup to a consumer group with members is a classic member of a migrated group
 * (group/consumer/classic-members.ts), answered at once; an empty consumer group is removed
 * and replaced by a classic group. A share group's id is INCONSISTENT_GROUP_PROTOCOL, as Kafka.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeJoinGroupRequest,
  encodeJoinGroupResponse,
  type JoinGroupRequest,
  type JoinGroupResponseInit,
} from '../../protocol/generated/messages/join-group.js';
import { removeEmptyConsumerGroup } from '../../group/consumer/classic-migration.js';
import { classicJoinToConsumerGroup } from '../../group/consumer/classic-members.js';
import { joinGroup } from '../../group/join.js';
import type { JoinResult } from '../../group/member.js';
import { joinError } from '../../group/rebalance.js';
import { checkGroupRequest, clientHostOf, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function toResponse(r: JoinResult, version: number): JoinGroupResponseInit {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  };
}

export function joinGroupHandler(deps: GroupDeps): ApiHandler<JoinGroupRequest, JoinGroupResponseInit> {
  return defineHandler<JoinGroupRequest, JoinGroupResponseInit>({
    apiKey: 11,
    name: 'JoinGroup',
    minVersion: 2,
    maxVersion: 9,
    decode: decodeJoinGroupRequest,
    encode: encodeJoinGroupResponse,
    handle(ctx, req) {
      const c = deps.groups;
      checkGroupRequest(c, req.groupId);
      const v = ctx.apiVersion;
      if (req.sessionTimeoutMs < c.settings.minSessionTimeoutMs || req.sessionTimeoutMs > c.settings.maxSessionTimeoutMs) {
        return toResponse(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT), v);
      }
      const join = {
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: v >= 5 ? req.groupInstanceId : null,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: v >= 1 && req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        clientId: ctx.clientId ?? '',
        clientHost: clientHostOf(ctx),
        apiVersion: v,
      };
      // A share group's id: Kafka answers INCONSISTENT_GROUP_PROTOCOL (no member id).
      if (c.isShareGroup(req.groupId)) return toResponse(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL), v);
      const migrated = c.consumerGroup(req.groupId);
      if (migrated !== undefined && migrated.size > 0) {
        // A classic member of a consumer group (KIP-848 online migration).
        return classicJoinToConsumerGroup(c, join).then((r) => toResponse(r, v));
      }
      const classicJoin = (): JoinGroupResponseInit | Promise<JoinGroupResponseInit> => {
        const group = req.memberId === '' ? c.getOrCreateGroup(req.groupId) : c.group(req.groupId);
        if (!group) return toResponse(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID), v);
        return new Promise<JoinGroupResponseInit>((resolve) => {
          joinGroup(
            c,
            group,
            { ...join, reason: req.reason },
            (r) => resolve(toResponse(r, v)),
          );
        });
      };
      // An empty consumer group is removed first: the classic member then creates a classic group.
      if (migrated !== undefined) return removeEmptyConsumerGroup(c, req.groupId).then(() => classicJoin());
      return classicJoin();
    },
    errorResponse(req, errorCode, ctx) {
      return toResponse(joinError(req.memberId, errorCode), ctx.apiVersion);
    },
  });
}
