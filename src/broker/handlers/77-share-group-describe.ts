/**
 * ShareGroupDescribe (key 77), v0: KIP-932 share groups with their epochs, the assignor
 * ("simple") and each member's assignment (topic ids with names). A group that does not exist,
 * or is not a share group, is answered GROUP_ID_NOT_FOUND, as Kafka does.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeShareGroupDescribeRequest,
  encodeShareGroupDescribeResponse,
  type ShareGroupDescribeRequest,
  type ShareGroupDescribeResponseDescribedGroupInit,
  type ShareGroupDescribeResponseInit,
} from '../../protocol/generated/messages/share-group-describe.js';
import type { GroupDeps } from './group-context.js';
import type { ShareDeps } from './share-deps.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED as NOT_REQUESTED, GROUP_OPERATIONS } from '../authorized-operations.js';

function described(deps: GroupDeps & ShareDeps, groupId: string, ops: number, topicName: (id: string) => string): ShareGroupDescribeResponseDescribedGroupInit {
  const code = groupId === '' ? ErrorCode.INVALID_GROUP_ID : deps.groups.availability(groupId);
  const empty = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: ops };
  if (code !== ErrorCode.NONE) return { ...empty, errorCode: code, errorMessage: null };
  const g = deps.groups.anyGroup(groupId) === undefined ? deps.shareGroups.group(groupId) : undefined;
  if (!g) return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group` };
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId,
    groupState: g.state,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignorName: 'simple',
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      assignment: { topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, topicName: topicName(topicId), partitions })) },
    })),
    authorizedOperations: ops,
  };
}

export function shareGroupDescribeHandler(deps: GroupDeps & ShareDeps & { metadata: { image(): { topicById(id: string): { name: string } | undefined } } }): ApiHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponseInit> {
  return defineHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponseInit>({
    apiKey: 77,
    name: 'ShareGroupDescribe',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeShareGroupDescribeRequest,
    encode: encodeShareGroupDescribeResponse,
    handle(_ctx, req) {
      const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
      const name = (id: string): string => deps.metadata.image().topicById(id)?.name ?? '';
      return { throttleTimeMs: 0, groups: req.groupIds.map((g) => described(deps, g, ops, name)) };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, groups: req.groupIds.map((groupId) => ({ groupId, errorCode, errorMessage: null, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: NOT_REQUESTED })) };
    },
  });
}
