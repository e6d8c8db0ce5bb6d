/**
 * The console API's errors: every failure answers `{ "error": { "status", "code", "message",
 * "hint" } }` with an HTTP status an operator and a script can act on, never a stack trace.
 *
 * Mapping of Kafka's answers: an unreachable cluster or a broken connection is 503
 * CLUSTER_UNAVAILABLE; *_AUTHORIZATION_FAILED and SASL failures are 403 (unauthorized, with
 * Kafka's error name); UNKNOWN_TOPIC_OR_PARTITION and GROUP_ID_NOT_FOUND are 404;
 * TOPIC_ALREADY_EXISTS and NON_EMPTY_GROUP are 409; request validation errors of the broker
 * (INVALID_*, POLICY_VIOLATION, OFFSET_OUT_OF_RANGE...) are 400; SECURITY_DISABLED (no authorizer)
 * is 501; anything else is 502 with the
 * Kafka error name. Input the console rejects itself is 400 BAD_REQUEST.
 */
import { AdminError } from '../client/admin.js';
import { ClientAuthenticationError, ClientConnectionError } from '../client/connection.js';
import { ErrorCode } from '../common/error-codes.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, hint: string | null = null): ApiError => new ApiError(400, 'BAD_REQUEST', message, hint);
export const notFound = (message: string): ApiError => new ApiError(404, 'NOT_FOUND', message);

const FORBIDDEN: ReadonlySet<number> = new Set([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.SASL_AUTHENTICATION_FAILED]);
const NOT_FOUND: ReadonlySet<number> = new Set([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.UNKNOWN_TOPIC_ID]);
const CONFLICT: ReadonlySet<number> = new Set([ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]);
const INVALID: ReadonlySet<number> = new Set([
  ErrorCode.OFFSET_OUT_OF_RANGE,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.INVALID_TOPIC_EXCEPTION,
  ErrorCode.INVALID_PARTITIONS,
  ErrorCode.INVALID_REPLICATION_FACTOR,
  ErrorCode.INVALID_REPLICA_ASSIGNMENT,
  ErrorCode.INVALID_CONFIG,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.POLICY_VIOLATION,
  ErrorCode.INVALID_RECORD,
]);

/** The status and body of any error a route threw. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof AdminError) {
    const msg = e.message;
    if (e.code === ErrorCode.SECURITY_DISABLED) return new ApiError(501, e.errorName, `${msg}: the cluster has no authorizer`, 'Configure authorizer.class.name on the brokers to use ACLs.');
    if (FORBIDDEN.has(e.code)) return new ApiError(403, e.errorName, msg, 'The console\'s principal is not allowed to do this; check the ACLs (or --command-config credentials).');
    if (NOT_FOUND.has(e.code)) return new ApiError(404, e.errorName, msg);
    if (CONFLICT.has(e.code)) return new ApiError(409, e.errorName, msg);
    if (INVALID.has(e.code)) return new ApiError(400, e.errorName, msg);
    return new ApiError(502, e.errorName, msg);
  }
  if (e instanceof ClientAuthenticationError) return new ApiError(403, 'SASL_AUTHENTICATION_FAILED', e.message, 'Check the credentials in --command-config.');
  if (e instanceof ClientConnectionError) return new ApiError(503, 'CLUSTER_UNAVAILABLE', `Cannot reach the cluster: ${e.message}`, 'Check that the brokers are running and --bootstrap-server names them.');
  if (e instanceof Error && 'statusCode' in e && typeof e.statusCode === 'number' && e.statusCode < 500) {
    const code = e.statusCode === 404 ? 'NOT_FOUND' : e.statusCode === 405 ? 'METHOD_NOT_ALLOWED' : e.statusCode === 413 ? 'TOO_LARGE' : 'BAD_REQUEST';
    return new ApiError(e.statusCode, code, e.message);
  }
  return new ApiError(500, 'INTERNAL', 'The console failed to answer this request (see its log).');
}

export function errorBody(e: ApiError): { error: { status: number; code: string; message: string; hint: string | null } } {
  return { error: { status: e.status, code: e.code, message: e.message, hint: e.hint } };
}
