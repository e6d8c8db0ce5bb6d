/**
 * ConsumerGroupDescribe (key 69), v0: KIP-848 consumer groups with their epochs, assignor and
 * each member's current and target assignment (topic ids with names). A group that does not
 * exist, or is a classic group, is answered GROUP_ID_NOT_FOUND, as Kafka does.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeConsumerGroupDescribeRequest,
  encodeConsumerGroupDescribeResponse,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponseDescribedGroupInit,
  type ConsumerGroupDescribeResponseInit,
} from '../../protocol/generated/messages/consumer-group-describe.js';
import type { GroupCoordinator } from '../../group/coordinator.js';
import type { TopicPartitions } from '../../group/consumer/consumer-model.js';
import { toTopicPartitionList } from '../../group/consumer/consumer-model.js';
import type { GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED as NOT_REQUESTED, GROUP_OPERATIONS } from '../authorized-operations.js';

function described(c: GroupCoordinator, groupId: string, ops: number): ConsumerGroupDescribeResponseDescribedGroupInit {
  const code = groupId === '' ? ErrorCode.INVALID_GROUP_ID : c.availability(groupId);
  const empty = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: ops };
  if (code !== ErrorCode.NONE) return { ...empty, errorCode: code, errorMessage: null };
  const g = c.consumerGroup(groupId);
  if (!g) return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a consumer group` };
  const names = new Map(g.subscribedTopics.map((t) => [t.topicId, t.name]));
  const withNames = (p: TopicPartitions): { topicPartitions: { topicId: string; topicName: string; partitions: number[] }[] } => ({
    topicPartitions: toTopicPartitionList(p).map((t) => ({ ...t, topicName: names.get(t.topicId) ?? '' })),
  });
  let assignor = c.consumerSettings.assignors[0] ?? 'uniform';
  for (const s of g.subscriptions.values()) if (s.serverAssignor !== null) assignor = s.serverAssignor;
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId,
    groupState: g.state,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignorName: assignor,
    members: [...g.subscriptions].map(([memberId, s]) => ({
      memberId,
      instanceId: s.instanceId,
      rackId: s.rackId,
      memberEpoch: g.assignment(memberId).memberEpoch,
      clientId: s.clientId,
      clientHost: s.clientHost,
      subscribedTopicNames: [...s.subscribedTopicNames],
      subscribedTopicRegex: s.subscribedTopicRegex,
      assignment: withNames(g.assignment(memberId).assigned),
      targetAssignment: withNames(g.target(memberId)),
    })),
    authorizedOperations: ops,
  };
}

export function consumerGroupDescribeHandler(deps: GroupDeps): ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInit> {
  return defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInit>({
    apiKey: 69,
    name: 'ConsumerGroupDescribe',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeConsumerGroupDescribeRequest,
    encode: encodeConsumerGroupDescribeResponse,
    handle(_ctx, req) {
      const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
      return { throttleTimeMs: 0, groups: req.groupIds.map((g) => described(deps.groups, g, ops)) };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, groups: req.groupIds.map((groupId) => ({ groupId, errorCode, errorMessage: null, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: NOT_REQUESTED })) };
    },
  });
}
