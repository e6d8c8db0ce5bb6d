/**
 * What the REST proxy's route modules share: the cluster client for a request's principal, the
 * record formats, the consumer instances, the limits on untrusted input, and small helpers to
 * read path, query and body fields with Confluent's errors.
 */
import type { FastifyRequest } from 'fastify';
import type { ClusterClient, TopicMeta } from '../client/cluster-client.js';
import { ErrorCode } from '../common/error-codes.js';
import type { ConsumerInstances } from './consumer-instances.js';
import { badRequest, jsonConversion, partitionNotFound, RestError, RestErrorCode } from './errors.js';
import type { RecordFormats } from './formats.js';

export interface RestLimits {
  /** Records accepted in one produce request. */
  maxRecordsPerRequest: number;
  /** Upper bound of `max_bytes` of GET records. */
  maxPollBytes: number;
}

export interface RestContext {
  cluster(req: FastifyRequest): Promise<ClusterClient>;
  /** The identity a request acts as ('' without authentication); consumer instances belong to one. */
  principal(req: FastifyRequest): string;
  formats: RecordFormats;
  instances: ConsumerInstances;
  limits: RestLimits;
}

/**
 * A topic's metadata for a request; a topic the principal may not describe is 403 (40301 in v2,
 * as Confluent maps Kafka's AuthorizationException), a missing one `missing()`.
 */
export async function describedTopic(cluster: ClusterClient, name: string, missing: () => RestError): Promise<TopicMeta> {
  const t = await cluster.topic(name);
  if (t && t.errorCode === 0) return t;
  const code = t?.errorCode ?? (await cluster.topicErrorCode(name));
  if (code === ErrorCode.TOPIC_AUTHORIZATION_FAILED) throw new RestError(RestErrorCode.AUTHORIZATION, `Not authorized to access topics: [${name}]`);
  throw missing();
}

/** Confluent's v2 media type of answers that carry no embedded data. */
export const V2_JSON = 'application/vnd.kafka.v2+json';

/** Several JSON values sent back to back in one body (v3 streaming produce). */
export class JsonValueStream {
  constructor(readonly values: unknown[]) {}
}

export function param(req: FastifyRequest, name: string): string {
  const v = (req.params as Record<string, unknown>)[name];
  if (typeof v !== 'string' || v.length === 0) throw badRequest(`missing path parameter ${name}`);
  return v;
}

export function partitionParam(req: FastifyRequest, name = 'partition'): number {
  const s = param(req, name);
  if (!/^\d{1,9}$/.test(s)) throw partitionNotFound();
  return Number(s);
}

export function queryInt(req: FastifyRequest, name: string, def: number, max: number): number {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw new RestError(400, `query parameter ${name} must be a non-negative integer`);
  return Math.min(n, max);
}

/** The body as a JSON object ({} when empty); 42203 for anything else. */
export function bodyObject(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b) || b instanceof JsonValueStream) throw jsonConversion('the body must be a JSON object');
  return b as Record<string, unknown>;
}

export function arrayField(body: Record<string, unknown>, name: string, max: number): unknown[] {
  const v = body[name];
  if (!Array.isArray(v)) throw new RestError(RestErrorCode.JSON_CONVERSION, `Conversion of JSON to Object failed: ${name} must be an array`);
  if (v.length > max) throw new RestError(RestErrorCode.JSON_CONVERSION, `Conversion of JSON to Object failed: at most ${max} entries in ${name}`);
  return v;
}

export function topicPartitionOf(v: unknown, withOffset: boolean): { topic: string; partition: number; offset: bigint; metadata?: string } {
  if (typeof v !== 'object' || v === null) throw jsonConversion('each entry must be an object');
  const o = v as Record<string, unknown>;
  if (typeof o['topic'] !== 'string' || o['topic'].length === 0) throw jsonConversion('topic must be a string');
  if (typeof o['partition'] !== 'number' || !Number.isInteger(o['partition']) || o['partition'] < 0) throw jsonConversion('partition must be a non-negative integer');
  let offset = 0n;
  if (withOffset) {
    if (typeof o['offset'] !== 'number' || !Number.isInteger(o['offset']) || o['offset'] < 0) throw jsonConversion('offset must be a non-negative integer');
    offset = BigInt(o['offset']);
  }
  return { topic: o['topic'], partition: o['partition'], offset, ...(typeof o['metadata'] === 'string' ? { metadata: o['metadata'] } : {}) };
}
