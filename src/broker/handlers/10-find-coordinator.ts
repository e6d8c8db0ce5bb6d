/**
 * FindCoordinator (key 10), v0-6.
 * Version notes: v1+ carries a key type (0 group, 1 transaction, 2 share group); v4+ batches keys
 * in CoordinatorKeys and answers per key in Coordinators. Kafka's rule: the coordinator of a key is
 * the leader of its partition of `__consumer_offsets` (groups) or `__transaction_state`
 * (transactional ids), answered with that broker's endpoint for the request's listener;
 * COORDINATOR_NOT_AVAILABLE while the partition has no live leader. `__consumer_offsets` is created
 * on the first group lookup, `__transaction_state` on the first transaction lookup (key type 1,
 * src/txn); the answer waits for the creation's commit. (A single node leads every partition.)
 * Not implemented: share groups (key type 2 answers INVALID_REQUEST).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponseInit,
} from '../../protocol/generated/messages/find-coordinator.js';

import { findTransactionCoordinator, TRANSACTION_STATE_TOPIC } from '../../txn/index.js';
import { OFFSETS_TOPIC } from '../../group/coordinator.js';
import { endpointFor } from '../../metadata/image.js';
import { defineHandler, type RequestContext, type ApiHandler } from '../handler.js';
import type { GroupDeps } from './group-context.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface Answer {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

async function lookup(deps: FindCoordinatorDeps, ctx: RequestContext, key: string, keyType: number): Promise<Answer> {
  const none = { key, nodeId: -1, host: '', port: -1 };
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported coordinator key type ${keyType}` };
  let topic: string;
  let partition: number;
  try {
    if (keyType === KEY_TYPE_TRANSACTION) {
      topic = TRANSACTION_STATE_TOPIC;
      partition = await findTransactionCoordinator(deps.txnCoordinator, key);
    } else {
      const c = deps.groups;
      if (!c.isActive) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await c.offsetsTopicReady();
      topic = OFFSETS_TOPIC;
      partition = c.partitionFor(key);
    }
  } catch (e) {
    return { ...none, errorCode: e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: e instanceof Error ? e.message : null };
  }
  const image = deps.metadata.image();
  const leader = image.topic(topic)?.partitions[partition]?.leader ?? -1;
  const broker = leader >= 0 ? image.broker(leader) : undefined;
  if (broker === undefined && leader !== deps.nodeId) {
    return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `${topic}-${partition} has no live leader` };
  }
  const e = broker !== undefined ? endpointFor(broker, ctx.connection.listenerName) : undefined;
  return { key, nodeId: leader, host: e?.host ?? 'localhost', port: e?.port ?? 9092, errorCode: ErrorCode.NONE, errorMessage: null };
}

/** What FindCoordinator uses: both coordinators, the metadata image and this node id. */
export interface FindCoordinatorDeps extends GroupDeps {
  readonly txnCoordinator: TransactionCoordinator;
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly nodeId: number;
}

export function findCoordinatorHandler(deps: FindCoordinatorDeps): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponseInit> {
  return defineHandler<FindCoordinatorRequest, FindCoordinatorResponseInit>({
    apiKey: 10,
    name: 'FindCoordinator',
    minVersion: 0,
    maxVersion: 6,
    decode: decodeFindCoordinatorRequest,
    encode: encodeFindCoordinatorResponse,
    async handle(ctx, req) {
      const keyType = ctx.apiVersion >= 1 ? req.keyType : KEY_TYPE_GROUP;
      if (ctx.apiVersion >= 4) {
        return { throttleTimeMs: 0, coordinators: await Promise.all(req.coordinatorKeys.map((k) => lookup(deps, ctx, k, keyType))) };
      }
      const a = await lookup(deps, ctx, req.key, keyType);
      return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port };
    },
    errorResponse(req, errorCode, ctx) {
      if (ctx.apiVersion >= 4) return { coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })) };
      return { errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 };
    },
  });
}
