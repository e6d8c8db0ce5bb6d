/**
 * REST Proxy v3 cluster administration (application/json):
 *   GET  /v3/clusters[/{c}]                                KafkaClusterList / KafkaCluster
 *   GET  /v3/clusters/{c}/brokers[/{b}]                    KafkaBrokerList / KafkaBroker
 *   GET  /v3/clusters/{c}/topics                           KafkaTopicList
 *   POST /v3/clusters/{c}/topics                           create {topic_name, partitions_count, replication_factor, configs} -> 201
 *   GET/DELETE /v3/clusters/{c}/topics/{t}                 KafkaTopic / 204
 *   PATCH /v3/clusters/{c}/topics/{t}                      {partitions_count}: add partitions
 *   GET  /v3/clusters/{c}/topics/{t}/partitions[/{p}]      KafkaPartitionList / KafkaPartition
 *   GET  /v3/clusters/{c}/topics/{t}/configs[/{name}]      KafkaTopicConfigList / KafkaTopicConfig
 *   PUT/DELETE /v3/clusters/{c}/topics/{t}/configs/{name}  set {value} / reset to default -> 204
 *   POST /v3/clusters/{c}/topics/{t}/configs:alter         {data: [{name, value, operation}]} -> 204
 *
 * Confluent's rules kept: every resource has kind, metadata.self (its URL) and resource_name
 * (crn:///kafka=<c>/...), related resources as {related: url}; lists are {kind, metadata, data};
 * an unknown cluster, topic or partition is 404 with {"error_code": 404, "message"}; creating an
 * existing topic is 400. Samsa's deviation: pagination is not offered (metadata.next is null).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BrokerMeta, ClusterClient, TopicMeta } from '../client/cluster-client.js';
import { alterTopicConfigs, createPartitions, createTopic, deleteTopic, describeTopicConfigs, type AlterOp, type ConfigEntry } from '../client/topic-admin.js';
import { arrayField, bodyObject, describedTopic, param, type RestContext } from './context.js';
import { jsonConversion, RestError } from './errors.js';

export interface V3Scope {
  cluster: ClusterClient;
  clusterId: string;
  /** URL prefix of this cluster's resources: <base>/v3/clusters/<id>. */
  url: string;
  crn: string;
}

export const notFound = (what: string): RestError => new RestError(404, `${what} not found.`);

export async function scopeOf(ctx: RestContext, req: FastifyRequest): Promise<V3Scope> {
  const cluster = await ctx.cluster(req);
  const meta = await cluster.metadata();
  const id = param(req, 'cluster');
  if (id !== meta.clusterId) throw notFound(`Cluster ${id}`);
  return { cluster, clusterId: id, url: `${baseUrl(req)}/v3/clusters/${encodeURIComponent(id)}`, crn: `crn:///kafka=${id}` };
}

export const baseUrl = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? req.hostname}`;
export const related = (url: string): { related: string } => ({ related: url });
export const list = (kind: string, self: string, data: unknown[]): unknown => ({ kind, metadata: { self, next: null }, data });

function clusterJson(req: FastifyRequest, id: string, controllerId: number): unknown {
  const url = `${baseUrl(req)}/v3/clusters/${encodeURIComponent(id)}`;
  return {
    kind: 'KafkaCluster',
    metadata: { self: url, resource_name: `crn:///kafka=${id}` },
    cluster_id: id,
    controller: related(`${url}/brokers/${controllerId}`),
    acls: related(`${url}/acls`),
    brokers: related(`${url}/brokers`),
    broker_configs: related(`${url}/broker-configs`),
    consumer_groups: related(`${url}/consumer-groups`),
    topics: related(`${url}/topics`),
    partition_reassignments: related(`${url}/topics/-/partitions/-/reassignment`),
  };
}

const brokerJson = (s: V3Scope, b: BrokerMeta): unknown => ({
  kind: 'KafkaBroker',
  metadata: { self: `${s.url}/brokers/${b.nodeId}`, resource_name: `${s.crn}/broker=${b.nodeId}` },
  cluster_id: s.clusterId,
  broker_id: b.nodeId,
  host: b.host,
  port: b.port,
  rack: b.rack,
  configs: related(`${s.url}/brokers/${b.nodeId}/configs`),
  partition_replicas: related(`${s.url}/brokers/${b.nodeId}/partition-replicas`),
});

export function topicJson(s: V3Scope, t: TopicMeta): unknown {
  const url = `${s.url}/topics/${encodeURIComponent(t.name)}`;
  return {
    kind: 'KafkaTopic',
    metadata: { self: url, resource_name: `${s.crn}/topic=${t.name}` },
    cluster_id: s.clusterId,
    topic_name: t.name,
    is_internal: t.internal,
    replication_factor: t.partitions[0]?.replicas.length ?? 0,
    partitions_count: t.partitions.length,
    partitions: related(`${url}/partitions`),
    configs: related(`${url}/configs`),
    partition_reassignments: related(`${url}/partitions/-/reassignment`),
    authorized_operations: [],
  };
}

function partitionJson(s: V3Scope, t: string, p: TopicMeta['partitions'][number]): unknown {
  const url = `${s.url}/topics/${encodeURIComponent(t)}/partitions/${p.partition}`;
  return {
    kind: 'KafkaPartition',
    metadata: { self: url, resource_name: `${s.crn}/topic=${t}/partition=${p.partition}` },
    cluster_id: s.clusterId,
    topic_name: t,
    partition_id: p.partition,
    leader: related(`${url}/replicas/${p.leader}`),
    replicas: related(`${url}/replicas`),
    reassignment: related(`${url}/reassignment`),
  };
}

function configJson(s: V3Scope, t: string, c: ConfigEntry): unknown {
  const url = `${s.url}/topics/${encodeURIComponent(t)}/configs/${encodeURIComponent(c.name)}`;
  return {
    kind: 'KafkaTopicConfig',
    metadata: { self: url, resource_name: `${s.crn}/topic=${t}/config=${c.name}` },
    cluster_id: s.clusterId,
    topic_name: t,
    name: c.name,
    value: c.value,
    is_default: c.isDefault,
    is_read_only: c.readOnly,
    is_sensitive: c.sensitive,
    source: c.source,
    synonyms: c.synonyms,
  };
}

async function topicIn(s: V3Scope, name: string): Promise<TopicMeta> {
  return describedTopic(s.cluster, name, () => notFound(`Topic ${name}`));
}

function alterOp(v: unknown): AlterOp {
  const op = v === undefined || v === null ? 'SET' : String(v).toUpperCase();
  if (op !== 'SET' && op !== 'DELETE' && op !== 'APPEND' && op !== 'SUBTRACT') throw jsonConversion(`unknown operation '${op}'`);
  return op;
}

export function registerV3Clusters(app: FastifyInstance, ctx: RestContext): void {
  app.get('/v3/clusters', async (req) => {
    const meta = await (await ctx.cluster(req)).refresh();
    return list('KafkaClusterList', `${baseUrl(req)}/v3/clusters`, [clusterJson(req, meta.clusterId, meta.controllerId)]);
  });

  app.get('/v3/clusters/:cluster', async (req) => {
    const s = await scopeOf(ctx, req);
    return clusterJson(req, s.clusterId, (await s.cluster.metadata()).controllerId);
  });

  app.get('/v3/clusters/:cluster/brokers', async (req) => {
    const s = await scopeOf(ctx, req);
    const meta = await s.cluster.refresh();
    return list('KafkaBrokerList', `${s.url}/brokers`, [...meta.brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => brokerJson(s, b)));
  });

  app.get('/v3/clusters/:cluster/brokers/:broker', async (req) => {
    const s = await scopeOf(ctx, req);
    const b = (await s.cluster.refresh()).brokers.find((x) => String(x.nodeId) === param(req, 'broker'));
    if (!b) throw notFound(`Broker ${param(req, 'broker')}`);
    return brokerJson(s, b);
  });

  app.get('/v3/clusters/:cluster/topics', async (req) => {
    const s = await scopeOf(ctx, req);
    const meta = await s.cluster.refresh();
    return list('KafkaTopicList', `${s.url}/topics`, [...meta.topics.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => topicJson(s, t)));
  });

  app.post('/v3/clusters/:cluster/topics', async (req, reply) => {
    const s = await scopeOf(ctx, req);
    const body = bodyObject(req);
    const name = body['topic_name'];
    if (typeof name !== 'string' || name.length === 0) throw jsonConversion('topic_name must be a string');
    const num = (k: string): number => {
      const v = body[k];
      if (v === undefined || v === null) return -1;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw jsonConversion(`${k} must be a positive integer`);
      return v;
    };
    const configs = body['configs'] === undefined ? [] : arrayField(body, 'configs', 1000).map((c) => {
      const o = (c ?? {}) as Record<string, unknown>;
      if (typeof o['name'] !== 'string') throw jsonConversion('each config needs a name');
      return { name: o['name'], value: o['value'] === null || o['value'] === undefined ? null : String(o['value']) };
    });
    await createTopic(s.cluster, { name, partitions: num('partitions_count'), replicationFactor: num('replication_factor'), configs, validateOnly: body['validate_only'] === true });
    const t = await topicIn(s, name).catch(() => ({ name, topicId: '', internal: false, errorCode: 0, partitions: [] }));
    return reply.code(201).send(topicJson(s, t));
  });

  app.get('/v3/clusters/:cluster/topics/:topic', async (req) => {
    const s = await scopeOf(ctx, req);
    return topicJson(s, await topicIn(s, param(req, 'topic')));
  });

  app.patch('/v3/clusters/:cluster/topics/:topic', async (req) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    const count = bodyObject(req)['partitions_count'];
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw jsonConversion('partitions_count must be a positive integer');
    if (count !== t.partitions.length) await createPartitions(s.cluster, t.name, count);
    return topicJson(s, await topicIn(s, t.name));
  });

  app.delete('/v3/clusters/:cluster/topics/:topic', async (req, reply) => {
    const s = await scopeOf(ctx, req);
    await topicIn(s, param(req, 'topic'));
    await deleteTopic(s.cluster, param(req, 'topic'));
    return reply.code(204).send();
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions', async (req) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    return list('KafkaPartitionList', `${s.url}/topics/${encodeURIComponent(t.name)}/partitions`, t.partitions.map((p) => partitionJson(s, t.name, p)));
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition', async (req) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    const p = t.partitions.find((x) => String(x.partition) === param(req, 'partition'));
    if (!p) throw notFound(`Partition ${param(req, 'partition')}`);
    return partitionJson(s, t.name, p);
  });

  app.get('/v3/clusters/:cluster/topics/:topic/configs', async (req) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    const configs = await describeTopicConfigs(s.cluster, t.name);
    return list('KafkaTopicConfigList', `${s.url}/topics/${encodeURIComponent(t.name)}/configs`, configs.map((c) => configJson(s, t.name, c)));
  });

  app.get('/v3/clusters/:cluster/topics/:topic/configs/:name', async (req) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    const c = (await describeTopicConfigs(s.cluster, t.name)).find((x) => x.name === param(req, 'name'));
    if (!c) throw notFound(`Config ${param(req, 'name')}`);
    return configJson(s, t.name, c);
  });

  app.put('/v3/clusters/:cluster/topics/:topic/configs/:name', async (req, reply) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    const value = bodyObject(req)['value'];
    if (value === undefined) throw jsonConversion('value is required');
    await alterTopicConfigs(s.cluster, t.name, [{ name: param(req, 'name'), op: 'SET', value: value === null ? null : String(value) }]);
    return reply.code(204).send();
  });

  app.delete('/v3/clusters/:cluster/topics/:topic/configs/:name', async (req, reply) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    await alterTopicConfigs(s.cluster, t.name, [{ name: param(req, 'name'), op: 'DELETE', value: null }]);
    return reply.code(204).send();
  });

  // The colon of ":alter" is escaped with "::" in fastify routes.
  app.post('/v3/clusters/:cluster/topics/:topic/configs::alter', async (req, reply) => {
    const s = await scopeOf(ctx, req);
    const t = await topicIn(s, param(req, 'topic'));
    const changes = arrayField(bodyObject(req), 'data', 1000).map((c) => {
      const o = (c ?? {}) as Record<string, unknown>;
      if (typeof o['name'] !== 'string') throw jsonConversion('each entry needs a name');
      return { name: o['name'], op: alterOp(o['operation']), value: o['value'] === undefined || o['value'] === null ? null : String(o['value']) };
    });
    await alterTopicConfigs(s.cluster, t.name, changes);
    return reply.code(204).send();
  });
}
