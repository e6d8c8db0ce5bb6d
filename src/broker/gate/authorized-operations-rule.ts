/**
 * The authorized-operations bit sets of Metadata (topics, cluster), DescribeCluster,
 * DescribeGroups and DescribeTopicPartitions under an authorizer. Kafka's rule: when the client
 * asks, the broker answers one bit per operation the principal is allowed on the resource
 * (authorizing every operation the resource type supports); not asked, the field stays INT32_MIN.
 * The handlers answer the full supported set (authorized-operations.ts); with an authorizer this
 * step narrows each set to the allowed operations after the handler ran.
 */
import type { DescribeClusterResponseInit } from '../../protocol/generated/messages/describe-cluster.js';
import type { DescribeGroupsResponseInit } from '../../protocol/generated/messages/describe-groups.js';
import type { DescribeTopicPartitionsResponseInit } from '../../protocol/generated/messages/describe-topic-partitions.js';
import type { MetadataResponseInit } from '../../protocol/generated/messages/metadata.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, type AclOperation } from '../authorized-operations.js';
import type { AccessRule, Check } from './access-rule.js';
import { CLUSTER_RESOURCE, ResourceType, topicResource, type Resource } from './authorizer.js';

/** `bits` (a supported set) narrowed to the operations allowed on `resource`. */
export function narrowOperations(bits: number | undefined, resource: Resource, authorize: Check): number | undefined {
  if (bits === undefined || bits === AUTHORIZED_OPERATIONS_NOT_REQUESTED) return bits;
  const ops: number[] = [];
  for (let op = 0; op < 31; op++) if ((bits & (1 << op)) !== 0) ops.push(op);
  const answers = authorize(ops.map((operation) => ({ operation: operation as AclOperation, resource })));
  let out = 0;
  ops.forEach((op, i) => {
    if (answers[i] === true) out |= 1 << op;
  });
  return out;
}

/** `rule` followed by `narrow` on its answer (also when the rule lets the request through unchanged). */
function withOperations<Req, Res>(rule: AccessRule<Req, Res> | undefined, apiKey: number, narrow: (res: Res, authorize: Check) => Res): AccessRule<Req, Res> {
  return {
    apiKey,
    check(ctx, req, authorize, names) {
      const out = rule?.check(ctx, req, authorize, names);
      if (out === undefined) return { kind: 'filtered', request: req, complete: (res) => narrow(res, authorize) };
      if (out.kind === 'filtered') return { kind: 'filtered', request: out.request, complete: (res) => narrow(out.complete(res), authorize) };
      return out;
    },
  };
}

export function metadataOperations<Req>(rule: AccessRule<Req, MetadataResponseInit>): AccessRule<Req, MetadataResponseInit> {
  return withOperations(rule, 3, (res, authorize) => {
    const clusterAuthorizedOperations = narrowOperations(res.clusterAuthorizedOperations, CLUSTER_RESOURCE, authorize);
    return {
      ...res,
      ...(clusterAuthorizedOperations !== undefined ? { clusterAuthorizedOperations } : {}),
      topics: (res.topics ?? []).map((t) => {
        const ops = narrowOperations(t.topicAuthorizedOperations, topicResource(t.name ?? ''), authorize);
        return ops === undefined || t.errorCode === 29 ? t : { ...t, topicAuthorizedOperations: ops };
      }),
    };
  });
}

export function describeTopicPartitionsOperations<Req>(rule: AccessRule<Req, DescribeTopicPartitionsResponseInit>): AccessRule<Req, DescribeTopicPartitionsResponseInit> {
  return withOperations(rule, 75, (res, authorize) => ({
    ...res,
    topics: (res.topics ?? []).map((t) => {
      const ops = narrowOperations(t.topicAuthorizedOperations, topicResource(t.name ?? ''), authorize);
      return ops === undefined ? t : { ...t, topicAuthorizedOperations: ops };
    }),
  }));
}

export function describeClusterOperations<Req>(rule: AccessRule<Req, DescribeClusterResponseInit>): AccessRule<Req, DescribeClusterResponseInit> {
  return withOperations(rule, 60, (res, authorize) => {
    const ops = narrowOperations(res.clusterAuthorizedOperations, CLUSTER_RESOURCE, authorize);
    return ops === undefined ? res : { ...res, clusterAuthorizedOperations: ops };
  });
}

export function describeGroupsOperations<Req>(rule: AccessRule<Req, DescribeGroupsResponseInit>): AccessRule<Req, DescribeGroupsResponseInit> {
  return withOperations(rule, 15, (res, authorize) => ({
    ...res,
    groups: (res.groups ?? []).map((g) => {
      const ops = narrowOperations(g.authorizedOperations, { type: ResourceType.GROUP, name: g.groupId ?? '' }, authorize);
      return ops === undefined ? g : { ...g, authorizedOperations: ops };
    }),
  }));
}
