/**
 * REST Proxy v3 produce: POST /v3/clusters/{c}/topics/{t}/records with one record
 *   {partition_id?, headers?: [{name, value (base64)}], key?: {type, data, schema_id?, schema?},
 *    value?: {...}, timestamp? (ISO 8601)}
 * answered {error_code: 200, cluster_id, topic_name, partition_id, offset, timestamp,
 * key: {type, size}, value: {type, size}}; or several such objects back to back in one body
 * (Confluent's streaming mode), answered with one JSON object per line, an error as
 * {error_code, message} in its place.
 *
 * Confluent's rules kept: data types BINARY (base64), JSON, STRING, and AVRO / JSONSCHEMA /
 * PROTOBUF with a schema_id or an inline schema (registered under <topic>-key / <topic>-value).
 * Samsa's deviations: a key or value without a type is taken as JSON (Confluent then looks for
 * the subject's latest schema); streamed records are produced one after the other within the one
 * HTTP request, not over a long-lived stream. Bound: at most maxRecordsPerRequest records.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { produceRecords, type RecordToProduce } from '../client/record-producer.js';
import { errorInfo } from '../common/error-codes.js';
import { describedTopic, JsonValueStream, param, type RestContext } from './context.js';
import { fromKafkaCode, jsonConversion, RestError, toRestError } from './errors.js';
import type { EmbeddedFormat } from './formats.js';
import { notFound, scopeOf, type V3Scope } from './v3-clusters.js';

const FORMAT_OF_TYPE: Readonly<Record<string, EmbeddedFormat>> = { BINARY: 'binary', JSON: 'json', AVRO: 'avro', JSONSCHEMA: 'jsonschema', PROTOBUF: 'protobuf' };

interface EncodedSide {
  bytes: Buffer | null;
  type: string;
}

async function encodeSide(ctx: RestContext, topic: string, side: 'key' | 'value', v: unknown): Promise<EncodedSide | null> {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw jsonConversion(`${side} must be an object {type, data}`);
  const o = v as Record<string, unknown>;
  const type = o['type'] === undefined ? 'JSON' : String(o['type']).toUpperCase();
  if (o['data'] === undefined || o['data'] === null) return { bytes: null, type };
  if (type === 'STRING') {
    if (typeof o['data'] !== 'string') throw jsonConversion(`${side}.data must be a string`);
    return { bytes: Buffer.from(o['data'], 'utf8'), type };
  }
  const format = FORMAT_OF_TYPE[type];
  if (!format) throw jsonConversion(`unknown ${side} type '${type}'`);
  const encoder = await ctx.formats.encoder(format, topic, side, { schema: o['schema'], schemaId: o['schema_id'] }, true);
  return { bytes: encoder.encode(o['data']), type };
}

async function produceOne(ctx: RestContext, s: V3Scope, topic: string, partitions: number, body: unknown): Promise<unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw jsonConversion('a record must be a JSON object');
  const r = body as Record<string, unknown>;
  const key = await encodeSide(ctx, topic, 'key', r['key']);
  const value = await encodeSide(ctx, topic, 'value', r['value']);
  const rec: RecordToProduce = { key: key?.bytes ?? null, value: value?.bytes ?? null };
  if (r['partition_id'] !== undefined && r['partition_id'] !== null) {
    const p = r['partition_id'];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= partitions) throw notFound(`Partition ${String(p)}`);
    rec.partition = p;
  }
  if (r['headers'] !== undefined) {
    if (!Array.isArray(r['headers']) || r['headers'].length > 1000) throw jsonConversion('headers must be an array of at most 1000 entries');
    rec.headers = r['headers'].map((h: unknown) => {
      const ho = (h ?? {}) as Record<string, unknown>;
      if (typeof ho['name'] !== 'string') throw jsonConversion('each header needs a name');
      return { key: ho['name'], value: typeof ho['value'] === 'string' ? Buffer.from(ho['value'], 'base64') : null };
    });
  }
  if (r['timestamp'] !== undefined && r['timestamp'] !== null) {
    const t = Date.parse(String(r['timestamp']));
    if (Number.isNaN(t)) throw jsonConversion('timestamp must be an ISO 8601 date-time');
    rec.timestamp = BigInt(t);
  }
  const [res] = await produceRecords(s.cluster, topic, [rec]);
  if (!res) throw new RestError(500, 'no produce result');
  if (res.errorCode !== 0) {
    const e = fromKafkaCode(res.errorCode, res.errorMessage ?? errorInfo(res.errorCode).name);
    throw new RestError(e.status, e.message);
  }
  return {
    error_code: 200,
    cluster_id: s.clusterId,
    topic_name: topic,
    partition_id: res.partition,
    offset: Number(res.offset),
    timestamp: new Date(Number(res.timestamp)).toISOString(),
    key: key ? { type: key.type, size: key.bytes?.length ?? 0 } : null,
    value: value ? { type: value.type, size: value.bytes?.length ?? 0 } : null,
  };
}

const errorLine = (e: unknown): unknown => {
  const r = toRestError(e);
  return { error_code: r.status, message: r.message };
};

export function registerV3Records(app: FastifyInstance, ctx: RestContext): void {
  app.post('/v3/clusters/:cluster/topics/:topic/records', async (req: FastifyRequest, reply) => {
    const s = await scopeOf(ctx, req);
    const topic = param(req, 'topic');
    const t = await describedTopic(s.cluster, topic, () => notFound(`Topic ${topic}`));
    if (!(req.body instanceof JsonValueStream)) return produceOne(ctx, s, topic, t.partitions.length, req.body);
    const values = req.body.values;
    if (values.length > ctx.limits.maxRecordsPerRequest) throw jsonConversion(`at most ${ctx.limits.maxRecordsPerRequest} records in one request`);
    const lines: string[] = [];
    for (const v of values) lines.push(JSON.stringify(await produceOne(ctx, s, topic, t.partitions.length, v).catch(errorLine)));
    return reply.type('application/json').send(`${lines.join('\n')}\n`);
  });
}
