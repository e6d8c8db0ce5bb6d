/**
 * DescribeTransactions (key 65), v0 (flexible). State, timeout, start time, producer id/epoch
 * and partitions of each transactional id; TRANSACTIONAL_ID_NOT_FOUND for unknown ids,
 * INVALID_REQUEST for an empty one.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeDescribeTransactionsRequest,
  encodeDescribeTransactionsResponse,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponseInit,
} from '../../protocol/generated/messages/describe-transactions.js';
import { txnStateName } from '../../txn/txn-metadata.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

type StateOut = NonNullable<DescribeTransactionsResponseInit['transactionStates']>[number];

function failed(transactionalId: string, errorCode: number): StateOut {
  return { errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
}

/** What DescribeTransactions reads: the transaction coordinator. */
export interface DescribeTransactionsDeps {
  readonly txnCoordinator: Pick<TransactionCoordinator, 'isActive' | 'describe'>;
}

export function describeTransactionsHandler(deps: DescribeTransactionsDeps): ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInit> {
  return defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInit>({
    apiKey: 65,
    name: 'DescribeTransactions',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeDescribeTransactionsRequest,
    encode: encodeDescribeTransactionsResponse,
    handle(ctx, req) {
      const c = deps.txnCoordinator;
      return {
        throttleTimeMs: 0,
        transactionStates: req.transactionalIds.map((id): StateOut => {
          if (!c.isActive) return failed(id, ErrorCode.COORDINATOR_NOT_AVAILABLE);
          if (id === '') return failed(id, ErrorCode.INVALID_REQUEST);
          const m = c.describe(id);
          if (!m) return failed(id, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
          return {
            errorCode: ErrorCode.NONE,
            transactionalId: id,
            transactionState: txnStateName(m.state),
            transactionTimeoutMs: m.txnTimeoutMs,
            transactionStartTimeMs: BigInt(m.txnStartTimestamp),
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            topics: [...m.partitions].map(([topic, parts]) => ({ topic, partitions: [...parts].sort((a, b) => a - b) })),
          };
        }),
      };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => failed(id, errorCode)) };
    },
  });
}
