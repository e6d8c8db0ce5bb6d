/**
 * ShareGroupHeartbeat (key 76), v0: KIP-932 share group membership (group/share/share-groups.ts).
 * Version notes: v0 is Kafka 4's (marked unstable there until share groups were finalised).
 * Errors are answered in the response with a message (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
 * GROUP_MAX_SIZE_REACHED, GROUP_ID_NOT_FOUND for a group of another type, INVALID_REQUEST).
 * The answer is sent once the heartbeat's ShareGroup* records are committed to
 * `__consumer_offsets` (write errors are answered as the other group APIs answer them).
 * Served only when `group.coordinator.rebalance.protocols` includes `share`.
 */
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeShareGroupHeartbeatRequest,
  encodeShareGroupHeartbeatResponse,
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponseInit,
} from '../../protocol/generated/messages/share-group-heartbeat.js';
import { ErrorCode } from '../../common/error-codes.js';
import { checkGroupRequest, clientHostOf, type GroupDeps } from './group-context.js';
import type { ShareDeps } from './share-deps.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function failed(errorCode: number, errorMessage: string | null): ShareGroupHeartbeatResponseInit {
  return { throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
}

export function shareGroupHeartbeatHandler(deps: GroupDeps & ShareDeps): ApiHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponseInit> {
  return defineHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponseInit>({
    apiKey: 76,
    name: 'ShareGroupHeartbeat',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeShareGroupHeartbeatRequest,
    encode: encodeShareGroupHeartbeatResponse,
    async handle(ctx, req) {
      try {
        checkGroupRequest(deps.groups, req.groupId);
        const a = await deps.shareGroups.heartbeat({
          groupId: req.groupId,
          memberId: req.memberId,
          memberEpoch: req.memberEpoch,
          rackId: req.rackId,
          subscribedTopicNames: req.subscribedTopicNames,
          clientId: ctx.clientId ?? '',
          clientHost: clientHostOf(ctx),
        });
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          memberId: a.memberId,
          memberEpoch: a.memberEpoch,
          heartbeatIntervalMs: a.heartbeatIntervalMs,
          assignment: a.assignment === null ? null : { topicPartitions: [...a.assignment].map(([topicId, partitions]) => ({ topicId, partitions })) },
        };
      } catch (e) {
        if (e instanceof KafkaError) return failed(e.code, e.message || null);
        throw e;
      }
    },
    errorResponse(_req, errorCode) {
      return failed(errorCode, null);
    },
  });
}
