/**
 * REST Proxy v3 consumer groups (application/json):
 *   GET /v3/clusters/{c}/consumer-groups                    KafkaConsumerGroupList
 *   GET /v3/clusters/{c}/consumer-groups/{g}                KafkaConsumerGroup
 *   GET /v3/clusters/{c}/consumer-groups/{g}/consumers      KafkaConsumerList
 *   GET /v3/clusters/{c}/consumer-groups/{g}/lags           KafkaConsumerLagList
 *   GET /v3/clusters/{c}/consumer-groups/{g}/lag-summary    KafkaConsumerGroupLagSummary
 *
 * Confluent's rules kept: a group is {consumer_group_id, is_simple (no protocol type),
 * partition_assignor, state, coordinator, consumers, lag_summary}; a lag row is {topic_name,
 * partition_id, current_offset, log_end_offset, lag, consumer_id, instance_id, client_id}; an
 * unknown group is 404. Samsa's deviation: lags list only partitions with a committed offset or
 * an owner, as `samsa groups --describe` does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GroupAdmin, type GroupInfo } from '../client/group-admin.js';
import { param, type RestContext } from './context.js';
import { list, notFound, related, scopeOf, type V3Scope } from './v3-clusters.js';

async function withAdmin<T>(s: V3Scope, fn: (a: GroupAdmin) => Promise<T>): Promise<T> {
  const admin = new GroupAdmin(await s.cluster.any());
  try {
    return await fn(admin);
  } finally {
    admin.close();
  }
}

function groupJson(s: V3Scope, g: GroupInfo): unknown {
  const url = `${s.url}/consumer-groups/${encodeURIComponent(g.group)}`;
  return {
    kind: 'KafkaConsumerGroup',
    metadata: { self: url, resource_name: `${s.crn}/consumer-group=${g.group}` },
    cluster_id: s.clusterId,
    consumer_group_id: g.group,
    is_simple: g.protocolType === '',
    partition_assignor: g.protocol,
    state: g.state.toUpperCase().replace('PREPARINGREBALANCE', 'PREPARING_REBALANCE').replace('COMPLETINGREBALANCE', 'COMPLETING_REBALANCE'),
    coordinator: related(`${s.url}/brokers/${g.coordinator.nodeId}`),
    consumers: related(`${url}/consumers`),
    lag_summary: related(`${url}/lag-summary`),
  };
}

async function describeExisting(s: V3Scope, admin: GroupAdmin, req: FastifyRequest): Promise<GroupInfo> {
  const g = await admin.describe(param(req, 'group'));
  if (!g.exists) throw notFound(`Consumer group ${param(req, 'group')}`);
  return g;
}

export function registerV3Groups(app: FastifyInstance, ctx: RestContext): void {
  app.get('/v3/clusters/:cluster/consumer-groups', async (req) => {
    const s = await scopeOf(ctx, req);
    const groups = await withAdmin(s, async (a) => {
      const listed = await a.list();
      const out: GroupInfo[] = [];
      for (const g of listed) out.push(await a.describe(g.group));
      return out;
    });
    return list('KafkaConsumerGroupList', `${s.url}/consumer-groups`, groups.map((g) => groupJson(s, g)));
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group', async (req) => {
    const s = await scopeOf(ctx, req);
    return groupJson(s, await withAdmin(s, (a) => describeExisting(s, a, req)));
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/consumers', async (req) => {
    const s = await scopeOf(ctx, req);
    const g = await withAdmin(s, (a) => describeExisting(s, a, req));
    const url = `${s.url}/consumer-groups/${encodeURIComponent(g.group)}/consumers`;
    return list(
      'KafkaConsumerList',
      url,
      g.members.map((m) => ({
        kind: 'KafkaConsumer',
        metadata: { self: `${url}/${encodeURIComponent(m.memberId)}`, resource_name: `${s.crn}/consumer-group=${g.group}/consumer=${m.memberId}` },
        cluster_id: s.clusterId,
        consumer_group_id: g.group,
        consumer_id: m.memberId,
        instance_id: m.groupInstanceId,
        client_id: m.clientId,
        assignments: related(`${url}/${encodeURIComponent(m.memberId)}/assignments`),
      })),
    );
  });

  const lagRows = async (s: V3Scope, req: FastifyRequest): Promise<{ g: GroupInfo; rows: Awaited<ReturnType<GroupAdmin['offsets']>> }> =>
    withAdmin(s, async (a) => {
      const g = await describeExisting(s, a, req);
      return { g, rows: await a.offsets(g) };
    });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/lags', async (req) => {
    const s = await scopeOf(ctx, req);
    const { g, rows } = await lagRows(s, req);
    const url = `${s.url}/consumer-groups/${encodeURIComponent(g.group)}/lags`;
    return list(
      'KafkaConsumerLagList',
      url,
      rows.map((r) => ({
        kind: 'KafkaConsumerLag',
        metadata: { self: `${url}/${encodeURIComponent(r.topic)}/partitions/${r.partition}`, resource_name: `${s.crn}/consumer-group=${g.group}/lag=${r.topic}/partition=${r.partition}` },
        cluster_id: s.clusterId,
        consumer_group_id: g.group,
        topic_name: r.topic,
        partition_id: r.partition,
        current_offset: r.committedOffset,
        log_end_offset: r.logEndOffset,
        lag: r.lag,
        consumer_id: r.memberId ?? '',
        instance_id: null,
        client_id: r.clientId ?? '',
      })),
    );
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/lag-summary', async (req) => {
    const s = await scopeOf(ctx, req);
    const { g, rows } = await lagRows(s, req);
    const url = `${s.url}/consumer-groups/${encodeURIComponent(g.group)}`;
    let max = rows[0];
    for (const r of rows) if ((r.lag ?? 0) > (max?.lag ?? 0)) max = r;
    return {
      kind: 'KafkaConsumerGroupLagSummary',
      metadata: { self: `${url}/lag-summary`, resource_name: `${s.crn}/consumer-group=${g.group}/lag-summary` },
      cluster_id: s.clusterId,
      consumer_group_id: g.group,
      max_lag_consumer_id: max?.memberId ?? '',
      max_lag_instance_id: null,
      max_lag_client_id: max?.clientId ?? '',
      max_lag_topic_name: max?.topic ?? '',
      max_lag_partition_id: max?.partition ?? 0,
      max_lag: max?.lag ?? 0,
      total_lag: rows.reduce((n, r) => n + (r.lag ?? 0), 0),
      max_lag_consumer: related(`${url}/consumers/${encodeURIComponent(max?.memberId ?? '')}`),
      max_lag_partition: related(`${s.url}/topics/${encodeURIComponent(max?.topic ?? '')}/partitions/${max?.partition ?? 0}`),
    };
  });
}
