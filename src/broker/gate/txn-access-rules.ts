/**
 * The authorization of the transaction and producer APIs, as Kafka's KafkaApis does it:
 * - InitProducerId: with a transactional id WRITE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
 *   without one (idempotent producer) IDEMPOTENT_WRITE on the cluster or WRITE on some topic
 *   (authorizeByResourceType), else CLUSTER_AUTHORIZATION_FAILED;
 * - AddPartitionsToTxn v0-3: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED
 *   for every partition), then WRITE on each topic: when one is denied nothing is added, its
 *   partitions answer TOPIC_AUTHORIZATION_FAILED and all others OPERATION_NOT_ATTEMPTED;
 *   v4+ (broker verification batches): CLUSTER_ACTION on the cluster;
 * - AddOffsetsToTxn: WRITE on the transactional id, then READ on the group (GROUP_AUTHORIZATION_FAILED);
 * - TxnOffsetCommit: WRITE on the transactional id, READ on the group, then READ on each topic
 *   (TOPIC_AUTHORIZATION_FAILED per partition);
 * - DescribeProducers: READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition);
 * - DescribeTransactions: DESCRIBE on each transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
 *   and the topics of a described transaction the principal may not describe are left out;
 * - ListTransactions: only the transactional ids the principal may describe.
 * EndTxn (WRITE on the transactional id) and WriteTxnMarkers (CLUSTER_ACTION) are in access-rules.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInit } from '../../protocol/generated/messages/add-offsets-to-txn.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInit } from '../../protocol/generated/messages/add-partitions-to-txn.js';
import type { DescribeProducersRequest, DescribeProducersResponseInit } from '../../protocol/generated/messages/describe-producers.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponseInit } from '../../protocol/generated/messages/describe-transactions.js';
import type { InitProducerIdRequest, InitProducerIdResponseInit } from '../../protocol/generated/messages/init-producer-id.js';
import type { ListTransactionsResponseInit } from '../../protocol/generated/messages/list-transactions.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponseInit } from '../../protocol/generated/messages/txn-offset-commit.js';
import { AclOperation } from '../authorized-operations.js';
import { allowed, filterAfter, perNamedTopic, perOffsetTopic, perResource, thenRule, wholeRequest, type AccessRule, type Check } from './access-rule.js';
import { CLUSTER_RESOURCE, ResourceType, topicResource, type Action } from './authorizer.js';
import { groupAction } from './group-access-rules.js';

const TXN_DENIED = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

function txnAction(operation: Action['operation'], transactionalId: string): Action {
  return { operation, resource: { type: ResourceType.TRANSACTIONAL_ID, name: transactionalId } };
}

const initProducerId: AccessRule<InitProducerIdRequest, InitProducerIdResponseInit> = {
  apiKey: 22,
  check(_ctx, req, authorize) {
    if (req.transactionalId !== null) return allowed(authorize, txnAction(AclOperation.WRITE, req.transactionalId)) ? undefined : { kind: 'deny', errorCode: TXN_DENIED };
    if (allowed(authorize, { operation: AclOperation.IDEMPOTENT_WRITE, resource: CLUSTER_RESOURCE })) return undefined;
    if (authorize.byResourceType(AclOperation.WRITE, ResourceType.TOPIC)) return undefined;
    return { kind: 'deny', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
  },
};

type TxnTopic = AddPartitionsToTxnRequest['v3AndBelowTopics'][number];

const addPartitionsToTxn: AccessRule<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInit> = {
  apiKey: 24,
  check(ctx, req, authorize) {
    if (ctx.apiVersion >= 4) return allowed(authorize, { operation: AclOperation.CLUSTER_ACTION, resource: CLUSTER_RESOURCE }) ? undefined : { kind: 'deny', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
    if (!allowed(authorize, txnAction(AclOperation.WRITE, req.v3AndBelowTransactionalId))) return { kind: 'deny', errorCode: TXN_DENIED };
    const topics = req.v3AndBelowTopics;
    const answers = authorize(topics.map((t) => ({ operation: AclOperation.WRITE, resource: topicResource(t.name) })));
    if (answers.every((a) => a === true)) return undefined;
    const result = (t: TxnTopic, code: number) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: code })) });
    return {
      kind: 'answer',
      response: { throttleTimeMs: 0, resultsByTopicV3AndBelow: topics.map((t, i) => result(t, answers[i] === true ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.TOPIC_AUTHORIZATION_FAILED)) },
    };
  },
};

const addOffsetsToTxn = thenRule<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInit>(
  wholeRequest(25, TXN_DENIED, (req) => txnAction(AclOperation.WRITE, req.transactionalId)),
  wholeRequest(25, ErrorCode.GROUP_AUTHORIZATION_FAILED, (req) => groupAction(AclOperation.READ, req.groupId)),
);

const txnOffsetCommit = thenRule<TxnOffsetCommitRequest, TxnOffsetCommitResponseInit>(
  thenRule(
    wholeRequest(28, TXN_DENIED, (req) => txnAction(AclOperation.WRITE, req.transactionalId)),
    wholeRequest(28, ErrorCode.GROUP_AUTHORIZATION_FAILED, (req) => groupAction(AclOperation.READ, req.groupId)),
  ),
  perOffsetTopic(28, AclOperation.READ),
);

const describeProducers = perNamedTopic<DescribeProducersRequest, DescribeProducersResponseInit>(61, AclOperation.READ, (res, denied) => ({
  ...res,
  topics: [
    ...(res.topics ?? []),
    ...denied.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] })) })),
  ],
}));

/** A described transaction's topics, without those the principal may not describe. */
function describedTxnTopics(res: DescribeTransactionsResponseInit, authorize: Check): DescribeTransactionsResponseInit {
  return {
    ...res,
    transactionStates: (res.transactionStates ?? []).map((s) => {
      const topics = s.topics ?? [];
      if (topics.length === 0) return s;
      const answers = authorize(topics.map((t) => ({ operation: AclOperation.DESCRIBE, resource: topicResource(t.topic ?? '') })));
      return { ...s, topics: topics.filter((_t, i) => answers[i] === true) };
    }),
  };
}

const describeTransactionIds = perResource<DescribeTransactionsRequest, DescribeTransactionsResponseInit, string>(65, {
  items: (req) => req.transactionalIds,
  actionOf: (id) => txnAction(AclOperation.DESCRIBE, id),
  withItems: (req, transactionalIds) => ({ ...req, transactionalIds }),
  addDenied: (res, denied) => ({
    ...res,
    transactionStates: [
      ...(res.transactionStates ?? []),
      ...denied.map((transactionalId) => ({ errorCode: TXN_DENIED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] })),
    ],
  }),
});

const describeTransactions: AccessRule<DescribeTransactionsRequest, DescribeTransactionsResponseInit> = {
  apiKey: 65,
  check(ctx, req, authorize, names) {
    const out = describeTransactionIds.check(ctx, req, authorize, names);
    if (out === undefined) return { kind: 'filtered', request: req, complete: (res) => describedTxnTopics(res, authorize) };
    if (out.kind !== 'filtered') return out;
    return { kind: 'filtered', request: out.request, complete: (res) => out.complete(describedTxnTopics(res, authorize)) };
  },
};

const listTransactions = filterAfter<unknown, ListTransactionsResponseInit>(66, (res, authorize) => {
  const states = res.transactionStates ?? [];
  const answers = authorize(states.map((s) => txnAction(AclOperation.DESCRIBE, s.transactionalId ?? '')));
  return { ...res, transactionStates: states.filter((_s, i) => answers[i] === true) };
});

export const txnAccessRules: readonly AccessRule<unknown, unknown>[] = [
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  txnOffsetCommit,
  describeProducers,
  describeTransactions,
  listTransactions,
] as AccessRule<unknown, unknown>[];
