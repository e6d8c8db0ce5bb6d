/**
 * AddPartitionsToTxn (key 24), v0-5.
 * Version notes: v2+ knows PRODUCER_FENCED (older: INVALID_PRODUCER_EPOCH); v3+ flexible; v4+
 * (broker to coordinator) batches transactions, answers per transaction and has verifyOnly
 * (per partition NONE when already in the transaction, else TRANSACTION_ABORTABLE); v5 adds
 * TRANSACTION_ABORTABLE. Unknown partitions fail the whole transaction's request: they get
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as Kafka answers.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponseInit,
} from '../../protocol/generated/messages/add-partitions-to-txn.js';
import type { TopicPartitionRef } from '../../txn/coordinator.js';
import { fencedCode, txnErrorCode } from '../../txn/errors.js';
import { defineHandler, type RequestContext, type ApiHandler } from '../handler.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { Logger } from '../../common/logger.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

type TopicResult = NonNullable<AddPartitionsToTxnResponseInit['resultsByTopicV3AndBelow']>[number];

interface TxnInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: { name: string; partitions: number[] }[];
}

function topicResults(topics: TxnInput['topics'], codeOf: (topic: string, partition: number) => number): TopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })) }));
}

async function handleTxn(deps: AddPartitionsToTxnDeps, ctx: RequestContext, t: TxnInput): Promise<TopicResult[]> {
  const { apiVersion } = ctx;
  const refs: TopicPartitionRef[] = [];
  const unknown = new Set<string>();
  for (const topic of t.topics) {
    for (const p of topic.partitions) {
      if (deps.replicas.partition(topic.name, p)) refs.push({ topic: topic.name, partition: p });
      else unknown.add(`${topic.name}\u0000${p}`);
    }
  }
  if (unknown.size > 0) {
    return topicResults(t.topics, (topic, p) => (unknown.has(`${topic}\u0000${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  try {
    if (t.verifyOnly) {
      const codes = deps.txnCoordinator.verifyPartitions(t.transactionalId, t.producerId, t.producerEpoch, refs);
      const byKey = new Map(refs.map((r, i) => [`${r.topic}\u0000${r.partition}`, codes[i] as number]));
      return topicResults(t.topics, (topic, p) => byKey.get(`${topic}\u0000${p}`) ?? ErrorCode.NONE);
    }
    await deps.txnCoordinator.addPartitions(t.transactionalId, t.producerId, t.producerEpoch, refs);
    return topicResults(t.topics, () => ErrorCode.NONE);
  } catch (e) {
    const code = txnErrorCode(e, apiVersion, 2, 'AddPartitionsToTxn', deps.logger);
    return topicResults(t.topics, () => code);
  }
}

/** What AddPartitionsToTxn uses: the partitions and the transaction coordinator. */
export interface AddPartitionsToTxnDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
  readonly txnCoordinator: Pick<TransactionCoordinator, 'addPartitions' | 'verifyPartitions'>;
  readonly logger: Logger;
}

export function addPartitionsToTxnHandler(deps: AddPartitionsToTxnDeps): ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInit> {
  return defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInit>({
    apiKey: 24,
    name: 'AddPartitionsToTxn',
    minVersion: 0,
    maxVersion: 5,
    decode: decodeAddPartitionsToTxnRequest,
    encode: encodeAddPartitionsToTxnResponse,
    async handle(ctx, req) {
      if (ctx.apiVersion <= 3) {
        const results = await handleTxn(deps, ctx, {
          transactionalId: req.v3AndBelowTransactionalId,
          producerId: req.v3AndBelowProducerId,
          producerEpoch: req.v3AndBelowProducerEpoch,
          verifyOnly: false,
          topics: req.v3AndBelowTopics,
        });
        return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results };
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        resultsByTransaction: await Promise.all(req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: await handleTxn(deps, ctx, t) }))),
      };
    },
    errorResponse(req, errorCode, ctx) {
      const code = fencedCode(errorCode, ctx.apiVersion, 2);
      if (ctx.apiVersion <= 3) return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults(req.v3AndBelowTopics, () => code) };
      return { throttleTimeMs: 0, errorCode: code, resultsByTransaction: [] };
    },
  });
}
