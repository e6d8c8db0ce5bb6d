/** Errors raised by the storage layer. Protocol-mappable ones extend KafkaError. */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';

export { CorruptIndexError, CorruptRecordError, LogDirFailureError } from '../common/errors.js';

/** A fetch/list offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, message);
    this.name = 'OffsetOutOfRangeError';
  }
}

/** A follower append whose first offset is below the log end offset. */
export class UnexpectedAppendOffsetError extends KafkaError {
  readonly firstOffset: number;
  readonly lastOffset: number;

  constructor(message: string, firstOffset: number, lastOffset: number) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, message);
    this.name = 'UnexpectedAppendOffsetError';
    this.firstOffset = firstOffset;
    this.lastOffset = lastOffset;
  }
}

/** A checkpoint file could not be parsed. */
export class CorruptCheckpointError extends Error {
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'CorruptCheckpointError';
    this.file = file;
  }
}

/** An operation on a log that has been closed or deleted. */
export class LogClosedError extends KafkaError {
  constructor(what: string) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, `${what} is closed`);
    this.name = 'LogClosedError';
  }
}
