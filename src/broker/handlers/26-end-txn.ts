/**
 * EndTxn (key 26), v0-4 advertised.
 * Version notes: v2+ knows PRODUCER_FENCED (older: INVALID_PRODUCER_EPOCH); v3+ flexible; v4 may
 * see TRANSACTION_ABORTABLE. Not offered: v5 (transaction version 2, an epoch bump on every
 * transaction, KIP-890 part 2).
 * Commits or aborts: the coordinator writes PrepareCommit/PrepareAbort and answers once it is
 * committed; the markers into every partition of the transaction and then CompleteCommit/
 * CompleteAbort follow (single node: before the answer, every commit being immediate).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeEndTxnRequest,
  encodeEndTxnResponse,
  type EndTxnRequest,
  type EndTxnResponseInit,
} from '../../protocol/generated/messages/end-txn.js';
import { fencedCode, txnErrorCode } from '../../txn/errors.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { Logger } from '../../common/logger.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

/** What EndTxn uses: the transaction coordinator. */
export interface EndTxnDeps {
  readonly txnCoordinator: Pick<TransactionCoordinator, 'endTransaction'>;
  readonly logger: Logger;
}

export function endTxnHandler(deps: EndTxnDeps): ApiHandler<EndTxnRequest, EndTxnResponseInit> {
  return defineHandler<EndTxnRequest, EndTxnResponseInit>({
    apiKey: 26,
    name: 'EndTxn',
    minVersion: 0,
    maxVersion: 4,
    decode: decodeEndTxnRequest,
    encode: encodeEndTxnResponse,
    async handle(ctx, req) {
      try {
        const r = await deps.txnCoordinator.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
      } catch (e) {
        return { throttleTimeMs: 0, errorCode: txnErrorCode(e, ctx.apiVersion, 2, 'EndTxn', deps.logger), producerId: -1n, producerEpoch: -1 };
      }
    },
    errorResponse(_req, errorCode, ctx) {
      return { throttleTimeMs: 0, errorCode: fencedCode(errorCode, ctx.apiVersion, 2), producerId: -1n, producerEpoch: -1 };
    },
  });
}
