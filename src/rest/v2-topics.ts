/**
 * REST Proxy v2: topics, partitions, brokers and producing.
 *   GET  /topics                                    topic names (internal topics left out)
 *   GET  /topics/{t}                                {name, configs, partitions}
 *   POST /topics/{t}                                produce (partition chosen per record)
 *   GET  /topics/{t}/partitions[/{p}]               leader and replicas
 *   GET  /topics/{t}/partitions/{p}/offsets         {beginning_offset, end_offset}
 *   POST /topics/{t}/partitions/{p}                 produce to one partition
 *   GET  /brokers                                   {brokers: [ids]}
 *
 * Confluent's rules kept: the produce media type names the embedded format
 * (application/vnd.kafka.{binary,json,avro,jsonschema,protobuf}.v2+json); the answer has one
 * entry per record, in order, `{partition, offset, error_code, error}` with error_code null on
 * success, 1 for a non-retriable and 2 for a retriable Kafka error; an unknown topic is 40401, an
 * unknown partition 40402, a schema-based format without a schema 42201/42202. A plain
 * application/json body is taken as the json format. Bound: at most maxRecordsPerRequest records.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorInfo } from '../common/error-codes.js';
import { offsetsAt } from '../client/partition-fetcher.js';
import { produceRecords, type RecordToProduce } from '../client/record-producer.js';
import { tpKey } from '../client/admin.js';
import { describeTopicConfigs } from '../client/topic-admin.js';
import type { TopicMeta } from '../client/cluster-client.js';
import { arrayField, bodyObject, describedTopic, param, partitionParam, V2_JSON, type RestContext } from './context.js';
import { jsonConversion, partitionNotFound, RestError, RestErrorCode, topicNotFound } from './errors.js';
import { formatOfMediaType, type EmbeddedFormat } from './formats.js';

const partitionJson = (p: TopicMeta['partitions'][number]): unknown => ({
  partition: p.partition,
  leader: p.leader,
  replicas: p.replicas.map((b) => ({ broker: b, leader: b === p.leader, in_sync: p.isr.includes(b) })),
});

async function topicOf(ctx: RestContext, req: FastifyRequest): Promise<TopicMeta> {
  return describedTopic(await ctx.cluster(req), param(req, 'topic'), topicNotFound);
}

/** The embedded format of a produce request's Content-Type. */
function produceFormat(req: FastifyRequest): EmbeddedFormat {
  const ct = req.headers['content-type'] ?? '';
  const f = formatOfMediaType(ct);
  if (f) return f;
  if (/^application\/(vnd\.kafka\.v2\+)?json/.test(ct)) return 'json';
  throw new RestError(RestErrorCode.UNSUPPORTED_MEDIA_TYPE, `Unsupported media type for producing: '${ct}'`);
}

async function produce(ctx: RestContext, req: FastifyRequest, fixedPartition: number | null): Promise<unknown> {
  const format = produceFormat(req);
  const body = bodyObject(req);
  const list = arrayField(body, 'records', ctx.limits.maxRecordsPerRequest);
  let t = await topicOf(ctx, req);
  const recs = list.map((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw jsonConversion('each record must be an object');
    return r as Record<string, unknown>;
  });
  const highest = recs.reduce((m, r) => (typeof r['partition'] === 'number' && r['partition'] > m ? r['partition'] : m), fixedPartition ?? -1);
  // Partitions added since the cached metadata: look again before answering 40402.
  if (highest >= t.partitions.length) t = (await (await ctx.cluster(req)).refresh()).topics.get(t.name) ?? t;
  if (fixedPartition !== null && fixedPartition >= t.partitions.length) throw partitionNotFound();
  const keyEncoder = await ctx.formats.encoder(format, t.name, 'key', { schema: body['key_schema'], schemaId: body['key_schema_id'] }, recs.some((r) => r['key'] !== undefined && r['key'] !== null));
  const valueEncoder = await ctx.formats.encoder(format, t.name, 'value', { schema: body['value_schema'], schemaId: body['value_schema_id'] }, recs.some((r) => r['value'] !== undefined && r['value'] !== null));
  const toProduce: RecordToProduce[] = recs.map((r) => {
    let partition: number | undefined;
    if (fixedPartition !== null) partition = fixedPartition;
    else if (r['partition'] !== undefined && r['partition'] !== null) {
      const p = r['partition'];
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) throw jsonConversion('partition must be a non-negative integer');
      if (p >= t.partitions.length) throw partitionNotFound();
      partition = p;
    }
    return { partition, key: keyEncoder.encode(r['key']), value: valueEncoder.encode(r['value']) };
  });
  const results = await produceRecords(await ctx.cluster(req), t.name, toProduce);
  return {
    key_schema_id: keyEncoder.schemaId,
    value_schema_id: valueEncoder.schemaId,
    offsets: results.map((r) =>
      r.errorCode === 0
        ? { partition: r.partition, offset: Number(r.offset), error_code: null, error: null }
        : { partition: r.partition, offset: null, error_code: errorInfo(r.errorCode).retriable ? 2 : 1, error: r.errorMessage ?? errorInfo(r.errorCode).name },
    ),
  };
}

export function registerV2Topics(app: FastifyInstance, ctx: RestContext): void {
  app.get('/topics', async (req, reply) => {
    const meta = await (await ctx.cluster(req)).refresh();
    reply.type(V2_JSON);
    return [...meta.topics.values()].filter((t) => !t.internal).map((t) => t.name).sort();
  });

  app.get('/topics/:topic', async (req, reply) => {
    const t = await topicOf(ctx, req);
    const configs = await describeTopicConfigs(await ctx.cluster(req), t.name);
    reply.type(V2_JSON);
    return { name: t.name, configs: Object.fromEntries(configs.map((c) => [c.name, c.value])), partitions: t.partitions.map(partitionJson) };
  });

  app.get('/topics/:topic/partitions', async (req, reply) => {
    const t = await topicOf(ctx, req);
    reply.type(V2_JSON);
    return t.partitions.map(partitionJson);
  });

  app.get('/topics/:topic/partitions/:partition', async (req, reply) => {
    const t = await topicOf(ctx, req);
    const p = t.partitions[partitionParam(req)];
    if (!p) throw partitionNotFound();
    reply.type(V2_JSON);
    return partitionJson(p);
  });

  app.get('/topics/:topic/partitions/:partition/offsets', async (req, reply) => {
    const t = await topicOf(ctx, req);
    const partition = partitionParam(req);
    if (!t.partitions[partition]) throw partitionNotFound();
    const cluster = await ctx.cluster(req);
    const tp = [{ topic: t.name, partition }];
    const [begin, end] = await Promise.all([offsetsAt(cluster, tp, -2n), offsetsAt(cluster, tp, -1n)]);
    reply.type(V2_JSON);
    return { beginning_offset: Number(begin.get(tpKey(t.name, partition)) ?? 0n), end_offset: Number(end.get(tpKey(t.name, partition)) ?? 0n) };
  });

  app.post('/topics/:topic', async (req, reply) => {
    const out = await produce(ctx, req, null);
    reply.type(V2_JSON);
    return out;
  });

  app.post('/topics/:topic/partitions/:partition', async (req, reply) => {
    const out = await produce(ctx, req, partitionParam(req));
    reply.type(V2_JSON);
    return out;
  });

  app.get('/brokers', async (req, reply) => {
    const meta = await (await ctx.cluster(req)).refresh();
    reply.type(V2_JSON);
    return { brokers: meta.brokers.map((b) => b.nodeId).sort((a, b) => a - b) };
  });
}
