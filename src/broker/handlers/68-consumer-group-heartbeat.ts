/**
 * ConsumerGroupHeartbeat (key 68), v0-1: KIP-848's consumer group protocol (group/consumer/).
 * Version notes: v0 members may join with an empty member id (the coordinator makes one); v1
 * (KIP-1082) members generate their own id and may subscribe by regular expression. Errors are
 * answered in the response with a message (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID,
 * UNRELEASED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, GROUP_MAX_SIZE_REACHED, INVALID_REQUEST, ...).
 * Served only when `group.coordinator.rebalance.protocols` includes `consumer` (the default).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeConsumerGroupHeartbeatRequest,
  encodeConsumerGroupHeartbeatResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponseInit,
} from '../../protocol/generated/messages/consumer-group-heartbeat.js';
import { consumerGroupHeartbeat } from '../../group/consumer/consumer-groups.js';
import { fromTopicPartitionList, toTopicPartitionList } from '../../group/consumer/consumer-model.js';
import { checkGroupRequest, clientHostOf, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function failed(errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResponseInit {
  return { throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
}

export function consumerGroupHeartbeatHandler(deps: GroupDeps): ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponseInit> {
  return defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponseInit>({
    apiKey: 68,
    name: 'ConsumerGroupHeartbeat',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeConsumerGroupHeartbeatRequest,
    encode: encodeConsumerGroupHeartbeatResponse,
    async handle(ctx, req) {
      const c = deps.groups;
      try {
        checkGroupRequest(c, req.groupId);
        const answer = await consumerGroupHeartbeat(
          c,
          {
            groupId: req.groupId,
            memberId: req.memberId,
            memberEpoch: req.memberEpoch,
            instanceId: req.instanceId,
            rackId: req.rackId,
            rebalanceTimeoutMs: req.rebalanceTimeoutMs,
            subscribedTopicNames: req.subscribedTopicNames,
            subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
            serverAssignor: req.serverAssignor,
            owned: req.topicPartitions === null ? null : fromTopicPartitionList(req.topicPartitions),
            clientId: ctx.clientId ?? '',
            clientHost: clientHostOf(ctx),
          },
          ctx.apiVersion,
        );
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          memberId: answer.memberId,
          memberEpoch: answer.memberEpoch,
          heartbeatIntervalMs: answer.heartbeatIntervalMs,
          assignment: answer.assignment === null ? null : { topicPartitions: toTopicPartitionList(answer.assignment) },
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
