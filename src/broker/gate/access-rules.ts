/**
 * The authorization each API asks for, at Kafka's granularity (KafkaApis / AuthHelper):
 * - Produce: WRITE on each topic (and WRITE on the transactional id of a transactional produce,
 *   else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the whole request);
 * - Fetch, ListOffsets: READ / DESCRIBE on each topic;
 * - Metadata: DESCRIBE on each named topic (denied: TOPIC_AUTHORIZATION_FAILED, never
 *   auto-created); for "all topics" the topics not described are left out of the answer;
 * - CreateTopics: CREATE on each topic; DeleteTopics, DeleteRecords: DELETE on each topic;
 *   CreatePartitions: ALTER on each topic;
 * - JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit: READ on the group;
 * - InitProducerId (transactional), AddOffsetsToTxn, EndTxn, TxnOffsetCommit: WRITE on the
 *   transactional id; WriteTxnMarkers: CLUSTER_ACTION on the cluster;
 * - DescribeCluster, DescribeLogDirs, ListPartitionReassignments: DESCRIBE on the cluster;
 *   ElectLeaders, AlterPartitionReassignments, AlterReplicaLogDirs, UnregisterBroker: ALTER on the cluster.
 * - DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster; AlterClientQuotas: ALTER_CONFIGS on the cluster.
 * Deviations (not checked yet, the authorizer allows everything today): CreateTopics' shortcut
 * CREATE on the cluster, Metadata's CREATE for auto-creation, idempotent produce's
 * IDEMPOTENT_WRITE, the topics inside group/transaction requests (OffsetCommit, OffsetFetch,
 * AddPartitionsToTxn), DescribeConfigs/AlterConfigs per resource, FindCoordinator, DescribeGroups,
 * ListGroups, ListTransactions filtering.
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
import { perTopic, wholeRequest, type AccessRule, type Check, type GateOutcome, type TopicNames } from './access-rule.js';
import { CLUSTER_RESOURCE, ResourceType, topicResource, type Action } from './authorizer.js';

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

const fetch = perTopic<FetchRequest, FetchResponseInit, FetchRequest['topics'][number]>(1, AclOperation.READ, {
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

const listOffsets = perTopic<ListOffsetsRequest, ListOffsetsResponseInit, ListOffsetsRequest['topics'][number]>(2, AclOperation.DESCRIBE, {
  topics: (req) => req.topics,
  nameOf: (t) => t.name,
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({
    ...res,
    topics: [
      ...(res.topics ?? []),
      ...denied.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: DENIED, timestamp: -1n, offset: -1n })),
      })),
    ],
  }),
});

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
    const out = metadataNamed.check(ctx, req, authorize, names);
    // v0: an empty list means "all topics"; when every named topic is denied, none is answered.
    if (out?.kind === 'filtered' && ctx.apiVersion === 0 && out.request.topics?.length === 0) {
      return { kind: 'filtered', request: out.request, complete: (res) => out.complete({ ...res, topics: [] }) };
    }
    return out;
  },
};

/** "All topics": the ones the principal may not describe are left out (Kafka's rule). */
function describedOnly(res: MetadataResponseInit, authorize: Check): MetadataResponseInit {
  const topics = res.topics ?? [];
  const answers = authorize(topics.map((t) => ({ operation: AclOperation.DESCRIBE, resource: topicResource(t.name ?? '') })));
  return { ...res, topics: topics.filter((_t, i) => answers[i] === true) };
}

const createTopics = perTopic<CreateTopicsRequest, CreateTopicsResponseInit, CreateTopicsRequest['topics'][number]>(19, AclOperation.CREATE, {
  topics: (req) => req.topics,
  nameOf: (t) => t.name,
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({ ...res, topics: [...(res.topics ?? []), ...denied.map((t) => ({ name: t.name, errorCode: DENIED, errorMessage: null, numPartitions: -1, replicationFactor: -1 }))] }),
});

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

const deleteRecords = perTopic<DeleteRecordsRequest, DeleteRecordsResponseInit, DeleteRecordsRequest['topics'][number]>(21, AclOperation.DELETE, {
  topics: (req) => req.topics,
  nameOf: (t) => t.name,
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({
    ...res,
    topics: [...(res.topics ?? []), ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: DENIED })) }))],
  }),
});

const createPartitions = perTopic<CreatePartitionsRequest, CreatePartitionsResponseInit, CreatePartitionsRequest['topics'][number]>(37, AclOperation.ALTER, {
  topics: (req) => req.topics,
  nameOf: (t) => t.name,
  withTopics: (req, topics) => ({ ...req, topics }),
  addDenied: (res, denied) => ({ ...res, results: [...(res.results ?? []), ...denied.map((t) => ({ name: t.name, errorCode: DENIED, errorMessage: null }))] }),
});

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

/** The rules by API key; an API without a rule is not checked (see the header's deviations). */
export const accessRules: ReadonlyMap<number, AccessRule<unknown, unknown>> = new Map(
  ([
    produce, fetch, listOffsets, metadata, createTopics, deleteTopics, deleteRecords, createPartitions,
    group(8), group(11), group(12), group(13), group(14),
    transactionalId(22), transactionalId(25), transactionalId(26), transactionalId(28),
    cluster(27, AclOperation.CLUSTER_ACTION),
    cluster(34, AclOperation.ALTER), cluster(43, AclOperation.ALTER), cluster(45, AclOperation.ALTER), cluster(64, AclOperation.ALTER),
    cluster(35, AclOperation.DESCRIBE), cluster(46, AclOperation.DESCRIBE), cluster(60, AclOperation.DESCRIBE),
    // Client quotas: DescribeClientQuotas needs DESCRIBE_CONFIGS, AlterClientQuotas ALTER_CONFIGS on the cluster.
    cluster(48, AclOperation.DESCRIBE_CONFIGS), cluster(49, AclOperation.ALTER_CONFIGS),
  ] as AccessRule<unknown, unknown>[]).map((r) => [r.apiKey, r]),
);
