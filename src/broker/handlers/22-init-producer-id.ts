/**
 * InitProducerId (key 22), v0-5.
 * Version notes: v2+ flexible; v3+ carries the producer's current id and epoch so it can recover
 * after an error (KIP-360); v4+ knows PRODUCER_FENCED (older versions get INVALID_PRODUCER_EPOCH);
 * v5 may see TRANSACTION_ABORTABLE (never sent here).
 * Without a transactional id: a new producer id with epoch 0 (idempotence). With one: the
 * transaction coordinator bumps the epoch (fencing older producers, aborting their open
 * transaction) or rotates the producer id when the epoch is exhausted.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponseInit,
} from '../../protocol/generated/messages/init-producer-id.js';
import { fencedCode, txnErrorCode } from '../../txn/errors.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { Logger } from '../../common/logger.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

/** What InitProducerId uses: the transaction coordinator. */
export interface InitProducerIdDeps {
  readonly txnCoordinator: Pick<TransactionCoordinator, 'initProducerId'>;
  readonly logger: Logger;
}

export function initProducerIdHandler(deps: InitProducerIdDeps): ApiHandler<InitProducerIdRequest, InitProducerIdResponseInit> {
  return defineHandler<InitProducerIdRequest, InitProducerIdResponseInit>({
    apiKey: 22,
    name: 'InitProducerId',
    minVersion: 0,
    maxVersion: 5,
    decode: decodeInitProducerIdRequest,
    encode: encodeInitProducerIdResponse,
    async handle(ctx, req) {
      const noId = req.producerId === -1n;
      const noEpoch = req.producerEpoch === -1;
      if (noId !== noEpoch) return this.errorResponse(req, ErrorCode.INVALID_REQUEST, ctx);
      const expected = noId ? null : { producerId: req.producerId, producerEpoch: req.producerEpoch };
      try {
        const r = await deps.txnCoordinator.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
      } catch (e) {
        return this.errorResponse(req, txnErrorCode(e, ctx.apiVersion, 4, 'InitProducerId', deps.logger), ctx);
      }
    },
    errorResponse(_req, errorCode, ctx) {
      return { throttleTimeMs: 0, errorCode: fencedCode(errorCode, ctx.apiVersion, 4), producerId: -1n, producerEpoch: -1 };
    },
  });
}
