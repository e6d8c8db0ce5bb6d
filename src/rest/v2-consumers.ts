/**
 * REST Proxy v2 consumers (paths under /consumers/{group}/instances/{instance}):
 *   POST   /consumers/{group}                  create an instance -> {instance_id, base_uri}
 *   DELETE .../                                delete it (leaves the group)        -> 204
 *   POST/GET/DELETE .../subscription           {topics} or {topic_pattern}         -> 204 / {topics}
 *   POST/GET .../assignments                   {partitions: [{topic, partition}]}   -> 204 / {partitions}
 *   POST .../positions                         {offsets: [{topic, partition, offset}]} (seek) -> 204
 *   POST .../positions/beginning|end           {partitions}                        -> 204
 *   GET  .../records?timeout=&max_bytes=       records in the instance's format
 *   POST .../offsets                           commit {offsets} (or every position when empty) -> 200
 *   GET  .../offsets                           committed offsets of {partitions}
 *
 * Confluent's rules kept: GET records must accept the instance's format (Accept
 * application/vnd.kafka.<format>.v2+json, else 40601); it waits up to `timeout` ms (default the
 * instance's consumer.request.timeout.ms) and returns at most max_bytes of keys and values;
 * POST offsets commits each given offset + 1 (the body names the last record consumed; Kafka
 * stores the next one to read), an empty body every position; records are
 * {topic, key, value, partition, offset} (plus timestamp and headers, which
 * Confluent's v2 binary answers leave out). GET offsets takes its body as Confluent documents it;
 * since fetch() cannot send a GET body, POST .../offsets/committed is Samsa's alias for it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { arrayField, bodyObject, param, queryInt, topicPartitionOf, V2_JSON, type RestContext } from './context.js';
import type { ConsumerInstance } from './consumer-instances.js';
import { jsonConversion, RestError, RestErrorCode } from './errors.js';
import { formatOfMediaType, mediaTypeOf } from './formats.js';

const MAX_PARTITIONS = 100_000;

function instanceOf(ctx: RestContext, req: FastifyRequest): ConsumerInstance {
  return ctx.instances.get(param(req, 'group'), param(req, 'instance'), ctx.principal(req));
}

function baseUri(req: FastifyRequest, group: string, name: string): string {
  const host = req.headers.host ?? `${req.hostname}`;
  return `${req.protocol}://${host}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}`;
}

/** A GET body, which fastify leaves unread: read here, up to `max` bytes. */
async function rawJsonBody(req: FastifyRequest, max: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req.raw) {
    size += (c as Buffer).length;
    if (size > max) throw new RestError(RestErrorCode.BODY_TOO_LARGE, `Request body larger than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw jsonConversion(e instanceof Error ? e.message : String(e));
  }
}

async function committedFor(ctx: RestContext, req: FastifyRequest): Promise<unknown> {
  const i = instanceOf(ctx, req);
  const body = req.method === 'GET' && req.body === undefined ? await rawJsonBody(req, 1024 * 1024) : bodyObject(req);
  const tps = arrayField(body, 'partitions', MAX_PARTITIONS).map((p) => topicPartitionOf(p, false));
  const committed = await i.serial(() => i.consumer.committed(tps));
  return { offsets: committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: Number(c.offset), metadata: c.metadata ?? '' })) };
}

export function registerV2Consumers(app: FastifyInstance, ctx: RestContext): void {
  app.post('/consumers/:group', async (req, reply) => {
    const group = param(req, 'group');
    const i = ctx.instances.create(await ctx.cluster(req), group, bodyObject(req), ctx.principal(req));
    reply.type(V2_JSON);
    return { instance_id: i.name, base_uri: baseUri(req, group, i.name) };
  });

  app.delete('/consumers/:group/instances/:instance', async (req, reply) => {
    await ctx.instances.delete(param(req, 'group'), param(req, 'instance'), ctx.principal(req));
    return reply.code(204).send();
  });

  app.post('/consumers/:group/instances/:instance/subscription', async (req, reply) => {
    const i = instanceOf(ctx, req);
    const body = bodyObject(req);
    const topics = body['topics'];
    const pattern = body['topic_pattern'];
    if ((topics === undefined) === (pattern === undefined)) throw jsonConversion('give either topics or topic_pattern');
    let target: string[] | RegExp;
    if (pattern !== undefined) {
      if (typeof pattern !== 'string' || pattern.length > 1000) throw jsonConversion('topic_pattern must be a string of at most 1000 characters');
      try {
        target = new RegExp(`^(?:${pattern})$`);
      } catch (e) {
        throw jsonConversion(`invalid topic_pattern: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else {
      const list = arrayField(body, 'topics', 10_000);
      if (!list.every((t): t is string => typeof t === 'string' && t.length > 0)) throw jsonConversion('topics must be strings');
      target = list;
    }
    await i.serial(async () => {
      const current = i.consumer.subscription();
      if (current.length > 0 && !(target instanceof RegExp) && current.join('\u0000') !== [...new Set(target)].join('\u0000')) {
        throw new RestError(RestErrorCode.CONSUMER_ALREADY_SUBSCRIBED, 'Consumer cannot subscribe the the specified target because it has already subscribed to other topics.');
      }
      await i.consumer.subscribe(target);
    });
    return reply.code(204).send();
  });

  app.get('/consumers/:group/instances/:instance/subscription', async (req, reply) => {
    const i = instanceOf(ctx, req);
    reply.type(V2_JSON);
    return { topics: i.consumer.subscription() };
  });

  app.delete('/consumers/:group/instances/:instance/subscription', async (req, reply) => {
    const i = instanceOf(ctx, req);
    await i.serial(() => i.consumer.unsubscribe());
    return reply.code(204).send();
  });

  app.post('/consumers/:group/instances/:instance/assignments', async (req, reply) => {
    const i = instanceOf(ctx, req);
    const tps = arrayField(bodyObject(req), 'partitions', MAX_PARTITIONS).map((p) => topicPartitionOf(p, false));
    await i.serial(() => i.consumer.assign(tps.map((tp) => ({ topic: tp.topic, partition: tp.partition }))));
    return reply.code(204).send();
  });

  app.get('/consumers/:group/instances/:instance/assignments', async (req, reply) => {
    const i = instanceOf(ctx, req);
    reply.type(V2_JSON);
    return { partitions: i.consumer.assignment() };
  });

  app.post('/consumers/:group/instances/:instance/positions', async (req, reply) => {
    const i = instanceOf(ctx, req);
    const offsets = arrayField(bodyObject(req), 'offsets', MAX_PARTITIONS).map((p) => topicPartitionOf(p, true));
    await i.serial(async () => {
      for (const o of offsets) i.consumer.seek(o, o.offset);
    });
    return reply.code(204).send();
  });

  for (const where of ['beginning', 'end'] as const) {
    app.post(`/consumers/:group/instances/:instance/positions/${where}`, async (req, reply) => {
      const i = instanceOf(ctx, req);
      const tps = arrayField(bodyObject(req), 'partitions', MAX_PARTITIONS).map((p) => topicPartitionOf(p, false));
      await i.serial(() => i.consumer.seekTo(tps, where));
      return reply.code(204).send();
    });
  }

  app.get('/consumers/:group/instances/:instance/records', async (req, reply) => {
    const i = instanceOf(ctx, req);
    const accept = req.headers.accept;
    const wanted = formatOfMediaType(accept);
    if (wanted !== null && wanted !== i.settings.format) {
      throw new RestError(RestErrorCode.CONSUMER_FORMAT_MISMATCH, 'The requested embedded data format does not match the deserializer for this consumer instance');
    }
    const timeout = queryInt(req, 'timeout', i.settings.requestTimeoutMs, 60_000);
    const maxBytes = Math.max(1, queryInt(req, 'max_bytes', ctx.limits.maxPollBytes, ctx.limits.maxPollBytes));
    const records = await i.serial(() => i.consumer.poll({ maxWaitMs: timeout, maxBytes, minBytes: i.settings.fetchMinBytes }));
    const out = [];
    for (const r of records) {
      out.push({
        topic: r.topic,
        key: await ctx.formats.decode(i.settings.format, r.key),
        value: await ctx.formats.decode(i.settings.format, r.value),
        partition: r.partition,
        offset: Number(r.offset),
        timestamp: Number(r.timestamp),
        headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('base64') })),
      });
    }
    i.lastUsed = performance.now();
    reply.type(mediaTypeOf(i.settings.format));
    return out;
  });

  app.post('/consumers/:group/instances/:instance/offsets', async (req, reply) => {
    const i = instanceOf(ctx, req);
    const body = bodyObject(req);
    const offsets = body['offsets'] === undefined ? undefined : arrayField(body, 'offsets', MAX_PARTITIONS).map((p) => topicPartitionOf(p, true));
    // Confluent commits offset + 1: the body names the last record consumed, Kafka stores the next one.
    await i.serial(() => i.consumer.commit(offsets?.map((o) => ({ ...o, offset: o.offset + 1n }))));
    return reply.code(200).type(V2_JSON).send();
  });

  app.get('/consumers/:group/instances/:instance/offsets', async (req, reply) => {
    const out = await committedFor(ctx, req);
    reply.type(V2_JSON);
    return out;
  });

  app.post('/consumers/:group/instances/:instance/offsets/committed', async (req, reply) => {
    const out = await committedFor(ctx, req);
    reply.type(V2_JSON);
    return out;
  });
}
