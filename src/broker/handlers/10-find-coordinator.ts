/**
 * FindCoordinator (key 10), v0-6.
 * Version notes: v1+ carries a key type (0 group, 1 transaction, 2 share group); v4+ batches keys
 * in CoordinatorKeys and answers per key in Coordinators. This broker coordinates every group;
 * `__consumer_offsets` is created on the first group lookup, `__transaction_state` on the first
 * transaction lookup (key type 1, src/txn); the answer waits for the creation's commit.
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

import { findTransactionCoordinator } from '../../txn/index.js';
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
  try {
    if (keyType === KEY_TYPE_TRANSACTION) {
      await findTransactionCoordinator(deps.txnCoordinator, key);
    } else {
      const c = deps.groups;
      if (!c.isActive) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await c.offsetsTopicReady();
    }
  } catch (e) {
    return { ...none, errorCode: e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: e instanceof Error ? e.message : null };
  }
  // Single node: this broker coordinates everything; its address comes from its registration.
  const self = deps.metadata.image().broker(deps.nodeId);
  const e = self !== undefined ? endpointFor(self, ctx.connection.listenerName) : undefined;
  return { key, nodeId: deps.nodeId, host: e?.host ?? 'localhost', port: e?.port ?? 9092, errorCode: ErrorCode.NONE, errorMessage: null };
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
