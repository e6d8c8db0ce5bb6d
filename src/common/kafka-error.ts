import { ErrorCode, errorInfo } from './error-codes.js';

/**
 * An error that maps onto a Kafka protocol error code and is reported to the client as such.
 * `message` defaults to the code's name.
 */
export class KafkaError extends Error {
  readonly code: number;
  readonly retriable: boolean;

  constructor(code: number, message?: string, options?: { cause?: unknown }) {
    const info = errorInfo(code);
    super(message ?? info.name, options !== undefined && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'KafkaError';
    this.code = code;
    this.retriable = info.retriable;
  }

  /** Symbolic name of `code`, e.g. `CORRUPT_MESSAGE`. */
  get errorName(): string {
    return errorInfo(this.code).name;
  }

  override toString(): string {
    return `KafkaError[${this.errorName}(${this.code})]: ${this.message}`;
  }
}

export function isKafkaError(e: unknown): e is KafkaError {
  return e instanceof KafkaError;
}

/**
 * Protocol error code for any thrown value: a KafkaError's own code, otherwise
 * UNKNOWN_SERVER_ERROR.
 */
export function errorCodeOf(e: unknown): number {
  return e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
}
