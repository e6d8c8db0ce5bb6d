/** Error-code helpers shared by the transaction API handlers. */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';

/**
 * The code a transaction API answers with for `e`; PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH
 * below `fencedSince` (the first version that knows PRODUCER_FENCED), as Kafka does.
 */
export function txnErrorCode(e: unknown, version: number, fencedSince: number, what: string, logger: Logger): number {
  let code: number;
  if (e instanceof KafkaError) code = e.code;
  else {
    logger.error(`${what} failed`, e);
    code = ErrorCode.UNKNOWN_SERVER_ERROR;
  }
  return fencedCode(code, version, fencedSince);
}

export function fencedCode(code: number, version: number, fencedSince: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < fencedSince ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}
