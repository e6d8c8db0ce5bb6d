/**
 * ListTransactions (key 66), v0-1 (flexible). Filters by state names (unknown names are echoed
 * in unknownStateFilters), producer ids and, from v1, a minimum running time (durationFilter,
 * -1 for none), as Kafka does.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeListTransactionsRequest,
  encodeListTransactionsResponse,
  type ListTransactionsRequest,
  type ListTransactionsResponseInit,
} from '../../protocol/generated/messages/list-transactions.js';
import { txnStateName } from '../../txn/txn-metadata.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

/** What ListTransactions reads: the transaction coordinator. */
export interface ListTransactionsDeps {
  readonly txnCoordinator: Pick<TransactionCoordinator, 'isActive' | 'list'>;
}

export function listTransactionsHandler(deps: ListTransactionsDeps): ApiHandler<ListTransactionsRequest, ListTransactionsResponseInit> {
  return defineHandler<ListTransactionsRequest, ListTransactionsResponseInit>({
    apiKey: 66,
    name: 'ListTransactions',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeListTransactionsRequest,
    encode: encodeListTransactionsResponse,
    handle(ctx, req) {
      const c = deps.txnCoordinator;
      if (!c.isActive) return this.errorResponse(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, ctx);
      const duration = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1;
      const r = c.list(req.stateFilters, req.producerIdFilters, duration);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        unknownStateFilters: r.unknownStateFilters,
        transactionStates: r.states.map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: txnStateName(m.state) })),
      };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
    },
  });
}
