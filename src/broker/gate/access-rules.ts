/**
 * The authorization each API asks for, at Kafka's granularity (KafkaApis / AuthHelper):
 * - Produce: WRITE on each topic (and WRITE on the transactional id of a transactional produce,
 *   else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the whole request); an idempotent produce needs
 *   nothing more (Kafka 3+: IDEMPOTENT_WRITE is checked by InitProducerId, txn-access-rules.ts);
 * - Fetch: READ on each topic; a follower's fetch (replica id set) CLUSTER_ACTION on the cluster,
 *   else every partition TOPIC_AUTHORIZATION_FAILED; ListOffsets: DESCRIBE on each topic;
 *   OffsetForLeaderEpoch: DESCRIBE on each topic (a follower's: CLUSTER_ACTION, else
 *   CLUSTER_AUTHORIZATION_FAILED);
 * - Metadata, DescribeTopicPartitions: DESCRIBE on each named topic (denied:
 *   TOPIC_AUTHORIZATION_FAILED, never auto-created); for "all topics" the topics not described are
 *   left out of the answer; a named topic that does not exist is auto-created (Metadata, when
 *   asked and auto.create.topics.enable) only with CREATE on the cluster or on the topic, else
 *   TOPIC_AUTHORIZATION_FAILED;
 * - CreateTopics: CREATE on the cluster, else CREATE on each topic (v5+: a created topic's configs
 *   only with DESCRIBE_CONFIGS on it, else topicConfigErrorCode TOPIC_AUTHORIZATION_FAILED); DeleteTopics, DeleteRecords:
 *   DELETE on each topic; CreatePartitions: ALTER on each topic;
 * - JoinGroup, SyncGroup, Heartbeat, LeaveGroup: READ on the group; the other group APIs are in
 *   group-access-rules.ts, the transaction APIs in txn-access-rules.ts, the config APIs in
 *   config-access-rules.ts, the share group APIs in share-access-rules.ts;
 * - EndTxn: WRITE on the transactional id; WriteTxnMarkers: CLUSTER_ACTION on the cluster;
 * - DescribeCluster, DescribeLogDirs, ListPartitionReassignments, DescribeAcls: DESCRIBE on the
 *   cluster; ElectLeaders, AlterPartitionReassignments, AlterReplicaLogDirs, UnregisterBroker,
 *   CreateAcls, DeleteAcls: ALTER on the cluster;
 * - DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster; AlterClientQuotas: ALTER_CONFIGS on the cluster.
 * The topic rule: a topic the principal may not describe (or use) answers TOPIC_AUTHORIZATION_FAILED
 * whether it exists or not (existence is not disclosed); UNKNOWN_TOPIC_OR_PARTITION only reaches a
 * principal allowed on the topic. Internal topics (__consumer_offsets, __transaction_state) are
 * authorized like any topic (their deletion is refused by DeleteTopics itself).
 * The authorized-operations bit sets a client asks for (Metadata, DescribeCluster, DescribeGroups,
 * DescribeTopicPartitions) hold the operations the principal is allowed (authorized-operations-rule.ts).
 * ApiVersions needs nothing.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { CreatePartitionsRequest, CreatePartitionsResponseInit } from '../../protocol/generated/messages/create-partitions.js';
import type { CreateTopicsRequest, CreateTopicsResponseInit } from '../../protocol/generated/messages/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponseInit } from '../../protocol/generated/messages/delete-topics.js';
import type { DeleteRecordsRequest, DeleteRecordsResponseInit } from '../../protocol/generated/messages/delete-records.js';
import type { FetchRequest, FetchResponseInit } from '../../protocol/generated/messages/fetch.js';
import type { ListOffsetsRequest, ListOffsetsResponseInit } from '../../protocol/generated/messages/list-offsets.js';
import type { MetadataRequest, MetadataResponseInit } from '../../protocol/generated/messages/metadata.js';
import type { ProduceRequest, ProduceResponseInit } from '../../protocol/generated/messages/produce.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { AclOperation } from '../authorized-operations.js';
import type { DescribeClusterResponseInit } from '../../protocol/generated/messages/describe-cluster.js';
import type { DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInit } from '../../protocol/generated/messages/describe-topic-partitions.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInit } from '../../protocol/generated/messages/offset-for-leader-epoch.js';
import { allowed, perNamedTopic, perTopic, wholeRequest, type AccessRule, type Check, type GateOutcome, type TopicNames } from './access-rule.js';
import { describeClusterOperations, describeTopicPartitionsOperations, metadataOperations } from './authorized-operations-rule.js';
import { configAccessRules } from './config-access-rules.js';
import { groupAccessRules } from './group-access-rules.js';
import { txnAccessRules } from './txn-access-rules.js';
import { CLUSTER_RESOURCE, ResourceType, topicResource, type Action } from './authorizer.js';
import { shareAccessRules } from './share-access-rules.js';

const DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;

const produceTopics = perTopic<ProduceRequest, ProduceResponseInit, ProduceRequest['topicData'][number]>(0, AclOperation.WRITE, {
  topics: (req) => req.topicData,
  nameOf: (t) => t.name,
  withTopics: (req, topicData) => ({ ...req, topicData }),
  addDenied: (res, denied) => ({
    ...res,
    responses: [
      ...(res.responses ?? []),
      ...denied.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: DENIED, baseOffset: -1n, logStartOffset: -1n })) })),
    ],
  }),
});

const produce: AccessRule<ProduceRequest, ProduceResponseInit> = {
  apiKey: 0,
  check(ctx, req, authorize, names) {
    const txn = req.transactionalId;
    if (txn !== null && authorize([{ operation: AclOperation.WRITE, resource: { type: ResourceType.TRANSACTIONAL_ID, name: txn } }])[0] !== true) {
      return { kind: 'deny', errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    }
    return produceTopics.check(ctx, req, authorize, names);
  },
};

/** A topic named by id (ZERO_UUID: by name) resolved through the metadata image. */
function topicName(names: TopicNames, name: string | null, topicId: string): string | undefined {
  if (topicId !== ZERO_UUID && (name === null || name === '')) return names.nameOfId(topicId);
  return name ?? undefined;
}

const fetchTopics = perTopic<FetchRequest, FetchResponseInit, FetchRequest['topics'][number]>(1, AclOperation.READ, {
  topics: (req) => req.topics,
  nameOf: (t, ctx, names) => topicName(names, ctx.apiVersion >= 13 ? null : t.topic, ctx.apiVersion >= 13 ? t.topicId : ZERO_UUID),
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({
    ...res,
    responses: [
      ...(res.responses ?? []),
      ...denied.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: DENIED, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null })),
      })),
    ],
  }),
});

const listOffsets = perNamedTopic<ListOffsetsRequest, ListOffsetsResponseInit>(2, AclOperation.DESCRIBE, (res, denied) => ({
  ...res,
  topics: [
    ...(res.topics ?? []),
    ...denied.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: DENIED, timestamp: -1n, offset: -1n })),
    })),
  ],
}));

/** Every partition of a follower's fetch answered TOPIC_AUTHORIZATION_FAILED (Kafka's rule without CLUSTER_ACTION). */
const fetch: AccessRule<FetchRequest, FetchResponseInit> = {
  apiKey: 1,
  check(ctx, req, authorize, names) {
    const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
    if (replicaId < 0) return fetchTopics.check(ctx, req, authorize, names);
    if (allowed(authorize, { operation: AclOperation.CLUSTER_ACTION, resource: CLUSTER_RESOURCE })) return undefined;
    return { kind: 'answer', response: deniedFetch({ throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [] }, req) };
  },
};

function deniedFetch(res: FetchResponseInit, req: FetchRequest): FetchResponseInit {
  return {
    ...res,
    responses: req.topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: DENIED, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null })),
    })),
  };
}

type MetadataTopic = NonNullable<MetadataRequest['topics']>[number];
const metadataNamed = perTopic<MetadataRequest, MetadataResponseInit, MetadataTopic>(3, AclOperation.DESCRIBE, {
  topics: (req) => req.topics,
  nameOf: (t, ctx, names) => topicName(names, t.name, t.topicId),
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({
    ...res,
    topics: [...(res.topics ?? []), ...denied.map((t) => ({ errorCode: DENIED, name: t.name, topicId: t.name === null ? t.topicId : ZERO_UUID, isInternal: false, partitions: [] }))],
  }),
});

const metadata: AccessRule<MetadataRequest, MetadataResponseInit> = {
  apiKey: 3,
  check(ctx, req, authorize, names): GateOutcome<MetadataRequest, MetadataResponseInit> | undefined {
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    if (all) return { kind: 'filtered', request: req, complete: (res) => describedOnly(res, authorize) };
    const out = withAutoCreate(ctx.apiVersion, metadataNamed.check(ctx, req, authorize, names), req, authorize, names);
    // v0: an empty list means "all topics"; when every named topic is denied, none is answered.
    if (out?.kind === 'filtered' && ctx.apiVersion === 0 && out.request.topics?.length === 0) {
      return { kind: 'filtered', request: out.request, complete: (res) => out.complete({ ...res, topics: [] }) };
    }
    return out;
  },
};

/**
 * Auto-creation (Kafka's rule): a described topic that does not exist is created by Metadata only
 * with CREATE on the cluster or on the topic; without it the topic answers TOPIC_AUTHORIZATION_FAILED.
 */
function withAutoCreate(
  apiVersion: number,
  out: GateOutcome<MetadataRequest, MetadataResponseInit> | undefined,
  req: MetadataRequest,
  authorize: Check,
  names: TopicNames,
): GateOutcome<MetadataRequest, MetadataResponseInit> | undefined {
  const autoCreate = (apiVersion < 4 || req.allowAutoTopicCreation) && names.autoCreateTopics();
  if (!autoCreate || out?.kind === 'deny' || out?.kind === 'answer') return out;
  const asked = out?.kind === 'filtered' ? out.request : req;
  const missing = (asked.topics ?? []).filter((t) => t.name !== null && t.name !== '' && !names.exists(t.name));
  if (missing.length === 0 || allowed(authorize, { operation: AclOperation.CREATE, resource: CLUSTER_RESOURCE })) return out;
  const answers = authorize(missing.map((t) => ({ operation: AclOperation.CREATE, resource: topicResource(t.name ?? '') })));
  const denied = new Set(missing.filter((_t, i) => answers[i] !== true));
  if (denied.size === 0) return out;
  const request = { ...asked, topics: (asked.topics ?? []).filter((t) => !denied.has(t)) };
  const addDenied = (res: MetadataResponseInit): MetadataResponseInit => ({
    ...res,
    topics: [...(res.topics ?? []), ...[...denied].map((t) => ({ errorCode: DENIED, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [] }))],
  });
  const earlier = out?.kind === 'filtered' ? out.complete : (res: MetadataResponseInit) => res;
  return { kind: 'filtered', request, complete: (res) => earlier(addDenied(res)) };
}

/** "All topics": the ones the principal may not describe are left out (Kafka's rule). */
function describedOnly(res: MetadataResponseInit, authorize: Check): MetadataResponseInit {
  const topics = res.topics ?? [];
  const answers = authorize(topics.map((t) => ({ operation: AclOperation.DESCRIBE, resource: topicResource(t.name ?? '') })));
  return { ...res, topics: topics.filter((_t, i) => answers[i] === true) };
}

const createEachTopic = perNamedTopic<CreateTopicsRequest, CreateTopicsResponseInit>(19, AclOperation.CREATE, (res, denied) => ({ ...res, topics: [...(res.topics ?? []), ...denied.map((t) => ({ name: t.name, errorCode: DENIED, errorMessage: null, numPartitions: -1, replicationFactor: -1 }))] }));

/** CREATE on the cluster allows every topic of the request; else CREATE on each topic. */
const createTopicsAllowed: AccessRule<CreateTopicsRequest, CreateTopicsResponseInit> = {
  apiKey: 19,
  check(ctx, req, authorize, names) {
    if (allowed(authorize, { operation: AclOperation.CREATE, resource: CLUSTER_RESOURCE })) return undefined;
    return createEachTopic.check(ctx, req, authorize, names);
  },
};

/**
 * v5+ answers a created topic's configs, partitions and replication factor only with
 * DESCRIBE_CONFIGS on it; else topicConfigErrorCode TOPIC_AUTHORIZATION_FAILED (Kafka's rule).
 */
function hideUndescribedConfigs(res: CreateTopicsResponseInit, authorize: Check): CreateTopicsResponseInit {
  const topics = res.topics ?? [];
  const created = topics.filter((t) => (t.errorCode ?? 0) === 0);
  const answers = authorize(created.map((t) => ({ operation: AclOperation.DESCRIBE_CONFIGS, resource: topicResource(t.name ?? '') })));
  const hidden = new Set(created.filter((_t, i) => answers[i] !== true));
  if (hidden.size === 0) return res;
  return { ...res, topics: topics.map((t) => (hidden.has(t) ? { ...t, numPartitions: -1, replicationFactor: -1, configs: [], topicConfigErrorCode: DENIED } : t)) };
}

const createTopics: AccessRule<CreateTopicsRequest, CreateTopicsResponseInit> = {
  apiKey: 19,
  check(ctx, req, authorize, names) {
    const out = createTopicsAllowed.check(ctx, req, authorize, names);
    if (ctx.apiVersion < 5 || out?.kind === 'deny' || out?.kind === 'answer') return out;
    if (out === undefined) return { kind: 'filtered', request: req, complete: (res) => hideUndescribedConfigs(res, authorize) };
    return { kind: 'filtered', request: out.request, complete: (res) => hideUndescribedConfigs(out.complete(res), authorize) };
  },
};

const offsetForLeaderEpochTopics = perTopic<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInit, OffsetForLeaderEpochRequest['topics'][number]>(23, AclOperation.DESCRIBE, {
  topics: (req) => req.topics,
  nameOf: (t) => t.topic,
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({
    ...res,
    topics: [...(res.topics ?? []), ...denied.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: DENIED, leaderEpoch: -1, endOffset: -1n })) }))],
  }),
});

const offsetForLeaderEpoch: AccessRule<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInit> = {
  apiKey: 23,
  check(ctx, req, authorize, names) {
    if (ctx.apiVersion >= 3 && req.replicaId >= 0) {
      return allowed(authorize, { operation: AclOperation.CLUSTER_ACTION, resource: CLUSTER_RESOURCE }) ? undefined : { kind: 'deny', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    }
    return offsetForLeaderEpochTopics.check(ctx, req, authorize, names);
  },
};

const describeTopicPartitionsNamed = perNamedTopic<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInit>(75, AclOperation.DESCRIBE, (res, denied) => ({ ...res, topics: [...(res.topics ?? []), ...denied.map((t) => ({ errorCode: DENIED, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [] }))] }));

const describeTopicPartitions: AccessRule<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInit> = {
  apiKey: 75,
  check(ctx, req, authorize, names) {
    if (req.topics.length > 0) {
      const out = describeTopicPartitionsNamed.check(ctx, req, authorize, names);
      // Every named topic denied: answered without the handler (an empty list would mean all topics).
      if (out?.kind === 'filtered' && out.request.topics.length === 0) return { kind: 'answer', response: out.complete({ throttleTimeMs: 0, topics: [], nextCursor: null }) };
      return out;
    }
    return {
      kind: 'filtered',
      request: req,
      complete: (res) => {
        const topics = res.topics ?? [];
        const answers = authorize(topics.map((t) => ({ operation: AclOperation.DESCRIBE, resource: topicResource(t.name ?? '') })));
        return { ...res, topics: topics.filter((_t, i) => answers[i] === true) };
      },
    };
  },
};

type DeletedTopic = DeleteTopicsResponseInit['responses'] extends readonly (infer E)[] | undefined ? E : never;
const deleteTopicsByName = perTopic<DeleteTopicsRequest, DeleteTopicsResponseInit, string>(20, AclOperation.DELETE, {
  topics: (req) => req.topicNames,
  nameOf: (t) => t,
  withTopics: (req, topicNames) => ({ ...req, topicNames }),
  addDenied: (res, denied) => ({ ...res, responses: [...(res.responses ?? []), ...denied.map((name): DeletedTopic => ({ name, errorCode: DENIED, errorMessage: null }))] }),
});
const deleteTopicsV6 = perTopic<DeleteTopicsRequest, DeleteTopicsResponseInit, DeleteTopicsRequest['topics'][number]>(20, AclOperation.DELETE, {
  topics: (req) => req.topics,
  nameOf: (t, ctx, names) => topicName(names, t.name, t.topicId),
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({ ...res, responses: [...(res.responses ?? []), ...denied.map((t): DeletedTopic => ({ name: t.name, topicId: t.topicId, errorCode: DENIED, errorMessage: null }))] }),
});
const deleteTopics: AccessRule<DeleteTopicsRequest, DeleteTopicsResponseInit> = {
  apiKey: 20,
  check: (ctx, req, authorize, names) => (ctx.apiVersion >= 6 ? deleteTopicsV6 : deleteTopicsByName).check(ctx, req, authorize, names),
};

const deleteRecords = perNamedTopic<DeleteRecordsRequest, DeleteRecordsResponseInit>(21, AclOperation.DELETE, (res, denied) => ({
  ...res,
  topics: [...(res.topics ?? []), ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: DENIED })) }))],
}));

const createPartitions = perNamedTopic<CreatePartitionsRequest, CreatePartitionsResponseInit>(37, AclOperation.ALTER, (res, denied) => ({ ...res, results: [...(res.results ?? []), ...denied.map((t) => ({ name: t.name, errorCode: DENIED, errorMessage: null }))] }));

function group(apiKey: number): AccessRule<{ groupId: string }, unknown> {
  return wholeRequest(apiKey, ErrorCode.GROUP_AUTHORIZATION_FAILED, (req) => ({ operation: AclOperation.READ, resource: { type: ResourceType.GROUP, name: req.groupId } }));
}

function transactionalId(apiKey: number): AccessRule<{ transactionalId: string | null }, unknown> {
  return wholeRequest(apiKey, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, (req) =>
    req.transactionalId === null ? undefined : { operation: AclOperation.WRITE, resource: { type: ResourceType.TRANSACTIONAL_ID, name: req.transactionalId } },
  );
}

function cluster(apiKey: number, operation: Action['operation']): AccessRule<unknown, unknown> {
  return wholeRequest(apiKey, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, () => ({ operation, resource: CLUSTER_RESOURCE }));
}

/** The rules by API key; an API without a rule needs no authorization (ApiVersions). */
export const accessRules: ReadonlyMap<number, AccessRule<unknown, unknown>> = new Map(
  ([
    produce, fetch, listOffsets, metadataOperations(metadata), offsetForLeaderEpoch, describeTopicPartitionsOperations(describeTopicPartitions), createTopics, deleteTopics, deleteRecords, createPartitions,
    group(11), group(12), group(13), group(14), group(68),
    transactionalId(26),
    cluster(27, AclOperation.CLUSTER_ACTION),
    cluster(34, AclOperation.ALTER), cluster(43, AclOperation.ALTER), cluster(45, AclOperation.ALTER), cluster(64, AclOperation.ALTER),
    cluster(30, AclOperation.ALTER), cluster(31, AclOperation.ALTER),
    cluster(29, AclOperation.DESCRIBE), cluster(35, AclOperation.DESCRIBE), cluster(46, AclOperation.DESCRIBE), describeClusterOperations(cluster(60, AclOperation.DESCRIBE) as AccessRule<unknown, DescribeClusterResponseInit>),
    ...groupAccessRules, ...txnAccessRules, ...configAccessRules, ...shareAccessRules,
    // Client quotas: DescribeClientQuotas needs DESCRIBE_CONFIGS, AlterClientQuotas ALTER_CONFIGS on the cluster.
    cluster(48, AclOperation.DESCRIBE_CONFIGS), cluster(49, AclOperation.ALTER_CONFIGS),
  ] as AccessRule<unknown, unknown>[]).map((r) => [r.apiKey, r]),
);
