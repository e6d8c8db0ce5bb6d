/**
 * The REST proxy's errors, as Confluent's REST Proxy answers them: a JSON body
 * `{"error_code": <int>, "message": <string>}` where a five-digit error code is the HTTP status
 * times 100 plus a sub-code (40403 is a 404), and v3 answers use the plain status as error_code.
 *
 * Confluent's codes kept: 40401 topic not found, 40402 partition not found, 40403 consumer
 * instance not found, 40404 leader not available, 40601 consumer format mismatch, 40901 consumer
 * already subscribed, 40902 consumer already exists, 40903 illegal state, 42201/42202 key/value
 * schema missing, 42203 JSON conversion, 42204 invalid consumer config, 42205 invalid schema,
 * 40002 bad request (Kafka), 40101/40301 authentication/authorization, 50002 Kafka error, 50003
 * retriable Kafka error, 50302 broker not available. Samsa adds 41301 (request body too large)
 * and 42901 (too many consumer instances), both in Confluent's status*100 style.
 */
import { AdminError } from '../client/admin.js';
import { ClientAuthenticationError, ClientConnectionError } from '../client/connection.js';
import { IllegalStateError } from '../client/group-consumer.js';
import { errorInfo } from '../common/error-codes.js';

export const RestErrorCode = {
  BAD_REQUEST: 40002,
  AUTHENTICATION: 40101,
  AUTHORIZATION: 40301,
  TOPIC_NOT_FOUND: 40401,
  PARTITION_NOT_FOUND: 40402,
  CONSUMER_INSTANCE_NOT_FOUND: 40403,
  LEADER_NOT_AVAILABLE: 40404,
  NOT_FOUND: 404,
  CONSUMER_FORMAT_MISMATCH: 40601,
  CONSUMER_ALREADY_SUBSCRIBED: 40901,
  CONSUMER_ALREADY_EXISTS: 40902,
  ILLEGAL_STATE: 40903,
  BODY_TOO_LARGE: 41301,
  UNSUPPORTED_MEDIA_TYPE: 41501,
  KEY_SCHEMA_MISSING: 42201,
  VALUE_SCHEMA_MISSING: 42202,
  JSON_CONVERSION: 42203,
  INVALID_CONSUMER_CONFIG: 42204,
  INVALID_SCHEMA: 42205,
  INVALID_PAYLOAD: 42206,
  TOO_MANY_INSTANCES: 42901,
  KAFKA_ERROR: 50002,
  KAFKA_RETRIABLE_ERROR: 50003,
  BROKER_NOT_AVAILABLE: 50302,
} as const;

export class RestError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }

  /** The HTTP status: the first three digits of a five-digit code, else the code itself. */
  get status(): number {
    return this.errorCode >= 10000 ? Math.floor(this.errorCode / 100) : this.errorCode;
  }
}

export const topicNotFound = (): RestError => new RestError(RestErrorCode.TOPIC_NOT_FOUND, 'Topic not found.');
export const partitionNotFound = (): RestError => new RestError(RestErrorCode.PARTITION_NOT_FOUND, 'Partition not found.');
export const instanceNotFound = (): RestError => new RestError(RestErrorCode.CONSUMER_INSTANCE_NOT_FOUND, 'Consumer instance not found.');
export const badRequest = (message: string): RestError => new RestError(RestErrorCode.BAD_REQUEST, message);
export const jsonConversion = (message: string): RestError => new RestError(RestErrorCode.JSON_CONVERSION, `Conversion of JSON to Object failed: ${message}`);

/** Maps a Kafka error code answered by the cluster to the proxy's error. */
export function fromKafkaCode(code: number, detail: string): RestError {
  switch (code) {
    case 3:
      return topicNotFound();
    case 5:
      return new RestError(RestErrorCode.LEADER_NOT_AVAILABLE, 'Leader not available.');
    case 8:
      return new RestError(RestErrorCode.BROKER_NOT_AVAILABLE, `Kafka error: ${detail}`);
    case 29:
    case 30:
    case 31:
      return new RestError(RestErrorCode.AUTHORIZATION, `Not authorized: ${detail}`);
    case 58:
      return new RestError(RestErrorCode.AUTHENTICATION, `Authentication failed: ${detail}`);
    case 17:
    case 36:
    case 37:
    case 38:
    case 39:
    case 40:
    case 42:
    case 44:
      return badRequest(`Kafka error: ${detail}`);
    default:
      return errorInfo(code).retriable ? new RestError(RestErrorCode.KAFKA_RETRIABLE_ERROR, `Retriable Kafka error: ${detail}`) : new RestError(RestErrorCode.KAFKA_ERROR, `Kafka error: ${detail}`);
  }
}

/** Any failure turned into a RestError (unknown ones as Kafka errors, 50002). */
export function toRestError(e: unknown): RestError {
  if (e instanceof RestError) return e;
  if (e instanceof AdminError) return fromKafkaCode(e.code, e.message);
  if (e instanceof IllegalStateError) return new RestError(RestErrorCode.ILLEGAL_STATE, `Illegal state: ${e.message}`);
  if (e instanceof ClientAuthenticationError) return new RestError(RestErrorCode.AUTHENTICATION, `Authentication failed: ${e.message}`);
  if (e instanceof ClientConnectionError) return new RestError(RestErrorCode.KAFKA_RETRIABLE_ERROR, `Retriable Kafka error: ${e.message}`);
  return new RestError(RestErrorCode.KAFKA_ERROR, `Kafka error: ${e instanceof Error ? e.message : String(e)}`);
}
