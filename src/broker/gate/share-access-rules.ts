/**
 * The authorization of the KIP-932 share group APIs, at Kafka's granularity:
 * - ShareGroupHeartbeat: READ on the group (else GROUP_AUTHORIZATION_FAILED) and DESCRIBE on every
 *   subscribed topic (else TOPIC_AUTHORIZATION_FAILED);
 * - ShareGroupDescribe: DESCRIBE on each group (a denied one answers GROUP_AUTHORIZATION_FAILED);
 * - ShareFetch, ShareAcknowledge: READ on the group (else GROUP_AUTHORIZATION_FAILED) and READ on
 *   each topic.
 * - Initialize/Read/Write/DeleteShareGroupState, ReadShareGroupStateSummary (inter-broker): CLUSTER_ACTION on the cluster (else
 *   CLUSTER_AUTHORIZATION_FAILED).
 * Samsa's deviation: a ShareFetch/ShareAcknowledge naming a topic the principal may not read is
 * refused as a whole with TOPIC_AUTHORIZATION_FAILED (Kafka answers those partitions only).
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { ShareGroupDescribeRequest, ShareGroupDescribeResponseInit } from '../../protocol/generated/messages/share-group-describe.js';
import type { ShareGroupHeartbeatRequest } from '../../protocol/generated/messages/share-group-heartbeat.js';
import { AclOperation, AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import { perResource, type AccessRule } from './access-rule.js';
import { CLUSTER_RESOURCE, topicResource, type Action } from './authorizer.js';
import { groupAction } from './group-access-rules.js';

/** READ (or `op`) on the group, then `topicOp` on each topic: the first refusal wins. */
function groupAndTopics<Req>(apiKey: number, groupOf: (req: Req) => string, topicOp: Action['operation'], topicsOf: (req: Req, nameOfId: (id: string) => string | undefined) => readonly string[]): AccessRule<Req, unknown> {
  return {
    apiKey,
    check(_ctx, req, authorize, names) {
      const topics = [...new Set(topicsOf(req, (id) => names.nameOfId(id)))];
      const answers = authorize([groupAction(AclOperation.READ, groupOf(req)), ...topics.map((t) => ({ operation: topicOp, resource: topicResource(t) }))]);
      if (answers[0] !== true) return { kind: 'deny', errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      if (answers.some((a) => a !== true)) return { kind: 'deny', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      return undefined;
    },
  };
}

type ById = { groupId: string | null; topics: readonly { topicId: string }[] };
const byIds = (req: ById, nameOfId: (id: string) => string | undefined): string[] => req.topics.map((t) => nameOfId(t.topicId)).filter((n): n is string => n !== undefined);

const shareGroupHeartbeat = groupAndTopics<ShareGroupHeartbeatRequest>(76, (req) => req.groupId, AclOperation.DESCRIBE, (req) => req.subscribedTopicNames ?? []);
const shareFetch = groupAndTopics<ById>(78, (req) => req.groupId ?? '', AclOperation.READ, byIds);
const shareAcknowledge = groupAndTopics<ById>(79, (req) => req.groupId ?? '', AclOperation.READ, byIds);

const shareGroupDescribe = perResource<ShareGroupDescribeRequest, ShareGroupDescribeResponseInit, string>(77, {
  items: (req) => req.groupIds,
  actionOf: (g) => groupAction(AclOperation.DESCRIBE, g),
  withItems: (req, groupIds) => ({ ...req, groupIds }),
  addDenied: (res, denied) => ({
    ...res,
    groups: [
      ...(res.groups ?? []),
      ...denied.map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED })),
    ],
  }),
});

/** An inter-broker API: CLUSTER_ACTION on the cluster. */
function clusterAction(apiKey: number): AccessRule<unknown, unknown> {
  return {
    apiKey,
    check(_ctx, _req, authorize) {
      return authorize([{ operation: AclOperation.CLUSTER_ACTION, resource: CLUSTER_RESOURCE }])[0] === true ? undefined : { kind: 'deny', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    },
  };
}

export const shareAccessRules: readonly AccessRule<unknown, unknown>[] = [shareGroupHeartbeat, shareGroupDescribe, shareFetch, shareAcknowledge, clusterAction(83), clusterAction(84), clusterAction(85), clusterAction(86), clusterAction(87)] as AccessRule<unknown, unknown>[];
