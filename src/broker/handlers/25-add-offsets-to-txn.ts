/**
 * AddOffsetsToTxn (key 25), v0-4.
 * Version notes: v2+ knows PRODUCER_FENCED (older: INVALID_PRODUCER_EPOCH); v3+ flexible; v4 may
 * see TRANSACTION_ABORTABLE (never sent here).
 * Adds the group's `__consumer_offsets` partition to the transaction, so the commit/abort marker
 * also lands there and settles the offsets sent with TxnOffsetCommit.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeAddOffsetsToTxnRequest,
  encodeAddOffsetsToTxnResponse,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponseInit,
} from '../../protocol/generated/messages/add-offsets-to-txn.js';
import { fencedCode, txnErrorCode } from '../../txn/errors.js';
import { CONSUMER_OFFSETS_TOPIC, offsetsPartitionFor } from '../../txn/txn-log.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { Logger } from '../../common/logger.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

/** What AddOffsetsToTxn uses: the image, offsets.topic.num.partitions and the transaction coordinator. */
export interface AddOffsetsToTxnDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly config: Pick<BrokerConfig, 'int'>;
  readonly txnCoordinator: Pick<TransactionCoordinator, 'addPartitions'>;
  readonly logger: Logger;
}

export function addOffsetsToTxnHandler(deps: AddOffsetsToTxnDeps): ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInit> {
  return defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInit>({
    apiKey: 25,
    name: 'AddOffsetsToTxn',
    minVersion: 0,
    maxVersion: 4,
    decode: decodeAddOffsetsToTxnRequest,
    encode: encodeAddOffsetsToTxnResponse,
    async handle(ctx, req) {
      const numPartitions = deps.metadata.image().topic(CONSUMER_OFFSETS_TOPIC)?.partitions.length ?? deps.config.int('offsets.topic.num.partitions');
      const partition = offsetsPartitionFor(req.groupId, numPartitions);
      try {
        await deps.txnCoordinator.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: CONSUMER_OFFSETS_TOPIC, partition }]);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
      } catch (e) {
        return { throttleTimeMs: 0, errorCode: txnErrorCode(e, ctx.apiVersion, 2, 'AddOffsetsToTxn', deps.logger) };
      }
    },
    errorResponse(_req, errorCode, ctx) {
      return { throttleTimeMs: 0, errorCode: fencedCode(errorCode, ctx.apiVersion, 2) };
    },
  });
}
