/**
 * The error a coordinator API answers with when its records could not be written or committed
 * (the append threw, or its `committed` promise rejected).
 *
 * Kafka's rule: the transaction coordinator (TransactionStateManager's append callback) answers
 * COORDINATOR_NOT_AVAILABLE for UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS(_AFTER_APPEND) and
 * REQUEST_TIMED_OUT, NOT_COORDINATOR for NOT_LEADER_OR_FOLLOWER and KAFKA_STORAGE_ERROR,
 * UNKNOWN_SERVER_ERROR for MESSAGE_TOO_LARGE and RECORD_LIST_TOO_LARGE, and passes any other code
 * through. The group coordinator (GroupCoordinatorService) does the same without
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND, adds INVALID_FETCH_SIZE to the UNKNOWN_SERVER_ERROR ones and
 * turns NETWORK_EXCEPTION into COORDINATOR_LOAD_IN_PROGRESS.
 * Samsa: an error that is not a KafkaError is logged and answered COORDINATOR_NOT_AVAILABLE
 * (retriable) rather than UNKNOWN_SERVER_ERROR.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';

function codeOf(e: unknown, what: string, logger: Logger): number | undefined {
  if (e instanceof KafkaError) return e.code;
  logger.error(`writing ${what} failed`, e);
  return undefined;
}

/** The code a transaction API answers for a failed write of `what` to `__transaction_state`. */
export function txnAppendErrorCode(e: unknown, what: string, logger: Logger): number {
  const code = codeOf(e, what, logger);
  switch (code) {
    case undefined:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** The code a group API (OffsetCommit, TxnOffsetCommit, SyncGroup, ...) answers for a failed write of `what` to `__consumer_offsets`. */
export function groupAppendErrorCode(e: unknown, what: string, logger: Logger): number {
  const code = codeOf(e, what, logger);
  switch (code) {
    case undefined:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    case ErrorCode.NETWORK_EXCEPTION:
      return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    default:
      return code;
  }
}
