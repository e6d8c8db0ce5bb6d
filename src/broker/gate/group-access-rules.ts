/**
 * The authorization of the group APIs, as Kafka's KafkaApis does it:
 * - OffsetCommit: READ on the group (else GROUP_AUTHORIZATION_FAILED for every partition), then
 *   READ on each topic (denied: TOPIC_AUTHORIZATION_FAILED per partition);
 * - OffsetFetch: DESCRIBE on the group (v8+: each group; denied: that group's
 *   GROUP_AUTHORIZATION_FAILED), then DESCRIBE on each named topic (denied:
 *   TOPIC_AUTHORIZATION_FAILED per partition); asked for all topics, the ones not described are
 *   left out;
 * - FindCoordinator: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or on the transactional
 *   id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), per key from v4;
 * - DescribeGroups: DESCRIBE on each group; DeleteGroups: DELETE on each group (denied groups
 *   answered GROUP_AUTHORIZATION_FAILED); ListGroups: every group with DESCRIBE on the cluster,
 *   else only the groups the principal may describe;
 * - OffsetDelete: DELETE on the group (GROUP_AUTHORIZATION_FAILED), then READ on each topic.
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup (READ on the group) are in access-rules.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { DeleteGroupsRequest, DeleteGroupsResponseInit } from '../../protocol/generated/messages/delete-groups.js';
import type { DescribeGroupsRequest, DescribeGroupsResponseInit } from '../../protocol/generated/messages/describe-groups.js';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInit } from '../../protocol/generated/messages/consumer-group-describe.js';
import type { FindCoordinatorRequest, FindCoordinatorResponseInit } from '../../protocol/generated/messages/find-coordinator.js';
import type { ListGroupsResponseInit } from '../../protocol/generated/messages/list-groups.js';
import type { OffsetCommitRequest, OffsetCommitResponseInit } from '../../protocol/generated/messages/offset-commit.js';
import type { OffsetDeleteRequest, OffsetDeleteResponseInit } from '../../protocol/generated/messages/offset-delete.js';
import type { OffsetFetchRequest, OffsetFetchResponseInit } from '../../protocol/generated/messages/offset-fetch.js';
import { AclOperation, AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import { allowed, filterAfter, perOffsetTopic, perResource, thenRule, wholeRequest, type AccessRule, type Check } from './access-rule.js';
import { describeGroupsOperations } from './authorized-operations-rule.js';
import { CLUSTER_RESOURCE, ResourceType, topicResource, type Action } from './authorizer.js';

const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const GROUP_DENIED = ErrorCode.GROUP_AUTHORIZATION_FAILED;

export function groupAction(operation: Action['operation'], groupId: string): Action {
  return { operation, resource: { type: ResourceType.GROUP, name: groupId } };
}

const offsetCommit = thenRule<OffsetCommitRequest, OffsetCommitResponseInit>(
  wholeRequest(8, GROUP_DENIED, (req) => groupAction(AclOperation.READ, req.groupId)),
  perOffsetTopic(8, AclOperation.READ),
);

type FetchTopic = { name: string; partitionIndexes: number[] };
type FetchedTopic = { name: string; partitions: readonly { partitionIndex: number; committedOffset?: bigint; committedLeaderEpoch?: number; metadata?: string | null; errorCode?: number }[] };

function deniedTopicRows(topics: readonly FetchTopic[]): FetchedTopic[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: TOPIC_DENIED })) }));
}

/** The named topics split into described and denied. */
function splitTopics<T extends FetchTopic>(topics: readonly T[], authorize: Check): { ok: T[]; denied: T[] } {
  const answers = authorize(topics.map((t) => ({ operation: AclOperation.DESCRIBE, resource: topicResource(t.name) })));
  return { ok: topics.filter((_t, i) => answers[i] === true), denied: topics.filter((_t, i) => answers[i] !== true) };
}

function describedTopics<T extends { name?: string | undefined }>(topics: readonly T[], authorize: Check): T[] {
  const answers = authorize(topics.map((t) => ({ operation: AclOperation.DESCRIBE, resource: topicResource(t.name ?? '') })));
  return topics.filter((_t, i) => answers[i] === true);
}

const offsetFetch: AccessRule<OffsetFetchRequest, OffsetFetchResponseInit> = {
  apiKey: 9,
  check(ctx, req, authorize) {
    if (ctx.apiVersion < 8) {
      if (!allowed(authorize, groupAction(AclOperation.DESCRIBE, req.groupId))) return { kind: 'deny', errorCode: GROUP_DENIED };
      if (req.topics === null) return { kind: 'filtered', request: req, complete: (res) => ({ ...res, topics: describedTopics(res.topics ?? [], authorize) }) };
      const { ok, denied } = splitTopics(req.topics, authorize);
      if (denied.length === 0) return undefined;
      return { kind: 'filtered', request: { ...req, topics: ok }, complete: (res) => ({ ...res, topics: [...(res.topics ?? []), ...deniedTopicRows(denied)] }) };
    }
    const groupAnswers = authorize(req.groups.map((g) => groupAction(AclOperation.DESCRIBE, g.groupId)));
    const deniedGroups = req.groups.filter((_g, i) => groupAnswers[i] !== true);
    const kept = req.groups.filter((_g, i) => groupAnswers[i] === true);
    const deniedTopics = new Map<string, FetchTopic[]>();
    const allTopics = new Set<string>();
    const groups = kept.map((g) => {
      if (g.topics === null) {
        allTopics.add(g.groupId);
        return g;
      }
      const { ok, denied } = splitTopics(g.topics, authorize);
      if (denied.length > 0) deniedTopics.set(g.groupId, denied);
      return { ...g, topics: ok };
    });
    if (deniedGroups.length === 0 && deniedTopics.size === 0 && allTopics.size === 0) return undefined;
    return {
      kind: 'filtered',
      request: { ...req, groups },
      complete: (res) => ({
        ...res,
        groups: [
          ...(res.groups ?? []).map((g) => {
            if (allTopics.has(g.groupId ?? '')) return { ...g, topics: describedTopics(g.topics ?? [], authorize) };
            const d = deniedTopics.get(g.groupId ?? '');
            return d === undefined ? g : { ...g, topics: [...(g.topics ?? []), ...deniedTopicRows(d)] };
          }),
          ...deniedGroups.map((g) => ({ groupId: g.groupId, errorCode: GROUP_DENIED, topics: [] })),
        ],
      }),
    };
  },
};

/** FindCoordinator's key types (0 group, 1 transaction). */
function coordinatorAction(keyType: number, key: string): Action | undefined {
  if (keyType === 0) return groupAction(AclOperation.DESCRIBE, key);
  if (keyType === 1) return { operation: AclOperation.DESCRIBE, resource: { type: ResourceType.TRANSACTIONAL_ID, name: key } };
  return undefined;
}

const coordinatorDenied = (keyType: number): number => (keyType === 1 ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : GROUP_DENIED);

function findCoordinatorKeys(keyType: number): AccessRule<FindCoordinatorRequest, FindCoordinatorResponseInit> {
  return perResource<FindCoordinatorRequest, FindCoordinatorResponseInit, string>(10, {
    items: (req) => req.coordinatorKeys,
    actionOf: (key) => coordinatorAction(keyType, key),
    withItems: (req, coordinatorKeys) => ({ ...req, coordinatorKeys }),
    addDenied: (res, denied) => ({
      ...res,
      coordinators: [...(res.coordinators ?? []), ...denied.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: coordinatorDenied(keyType), errorMessage: null }))],
    }),
  });
}

const findCoordinator: AccessRule<FindCoordinatorRequest, FindCoordinatorResponseInit> = {
  apiKey: 10,
  check(ctx, req, authorize, names) {
    if (ctx.apiVersion >= 4) return findCoordinatorKeys(req.keyType).check(ctx, req, authorize, names);
    const action = coordinatorAction(ctx.apiVersion === 0 ? 0 : req.keyType, req.key);
    if (action === undefined || allowed(authorize, action)) return undefined;
    return { kind: 'deny', errorCode: coordinatorDenied(ctx.apiVersion === 0 ? 0 : req.keyType) };
  },
};

const describeGroups = perResource<DescribeGroupsRequest, DescribeGroupsResponseInit, string>(15, {
  items: (req) => req.groups,
  actionOf: (g) => groupAction(AclOperation.DESCRIBE, g),
  withItems: (req, groups) => ({ ...req, groups }),
  addDenied: (res, denied) => ({
    ...res,
    groups: [
      ...(res.groups ?? []),
      ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED })),
    ],
  }),
});

const consumerGroupDescribe = perResource<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInit, string>(69, {
  items: (req) => req.groupIds,
  actionOf: (g) => groupAction(AclOperation.DESCRIBE, g),
  withItems: (req, groupIds) => ({ ...req, groupIds }),
  addDenied: (res, denied) => ({
    ...res,
    groups: [
      ...(res.groups ?? []),
      ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED, errorMessage: null, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED })),
    ],
  }),
});

const listGroups = filterAfter<unknown, ListGroupsResponseInit>(16, (res, authorize) => {
  if (allowed(authorize, { operation: AclOperation.DESCRIBE, resource: CLUSTER_RESOURCE })) return res;
  const groups = res.groups ?? [];
  const answers = authorize(groups.map((g) => groupAction(AclOperation.DESCRIBE, g.groupId ?? '')));
  return { ...res, groups: groups.filter((_g, i) => answers[i] === true) };
});

const deleteGroups = perResource<DeleteGroupsRequest, DeleteGroupsResponseInit, string>(42, {
  items: (req) => req.groupsNames,
  actionOf: (g) => groupAction(AclOperation.DELETE, g),
  withItems: (req, groupsNames) => ({ ...req, groupsNames }),
  addDenied: (res, denied) => ({ ...res, results: [...(res.results ?? []), ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED }))] }),
});

const offsetDelete = thenRule<OffsetDeleteRequest, OffsetDeleteResponseInit>(
  wholeRequest(47, GROUP_DENIED, (req) => groupAction(AclOperation.DELETE, req.groupId)),
  perOffsetTopic(47, AclOperation.READ),
);

export const groupAccessRules: readonly AccessRule<unknown, unknown>[] = [offsetCommit, offsetFetch, findCoordinator, describeGroupsOperations(describeGroups), listGroups, deleteGroups, offsetDelete, consumerGroupDescribe] as AccessRule<unknown, unknown>[];
