/**
 * The console API's cluster views: the overview (brokers with liveness, topic and partition
 * counts, under-replicated and offline partitions), throughput counters and broker configs (ACLs,
 * quotas and SCRAM users: routes-security.ts). docs/console.md documents each answer.
 *
 * Kafka's rules (client/cluster-status.ts): a broker named as a replica but not registered is
 * down; a partition with an ISR smaller than its replicas is under-replicated, one without a live
 * leader offline. Throughput is counted from log end offsets (records in) and committed offsets
 * (records consumed), as Kafka UIs do without broker metrics; the browser turns the counters
 * into rates between two polls. With --metrics, the brokers' byte counters (BytesInPerSec,
 * BytesOutPerSec) from Samsa's metrics endpoints are added (metrics-source.ts).
 *
 * Dynamic broker configs (kafka-configs.sh --entity-type brokers --alter): a broker's own
 * (`/api/brokers/ID/configs`, sent to that broker) or the cluster-wide default
 * (`/api/brokers/default/configs`, resource name ''); set, or delete to fall back to the static
 * config or the default. The broker refuses read-only configs (INVALID_REQUEST → 400).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { fetchMetadata, OffsetSpec } from '../client/admin.js';
import { brokerRows, describeCluster, describeFeatures, isOffline, isUnderReplicated, partitionRows } from '../client/cluster-status.js';
import { alterBrokerConfigs, ConfigResource, describeConfigs } from '../client/config-admin.js';
import type { ConsoleContext } from './context.js';
import { readByteCounters } from './metrics-source.js';
import { configChanges, int } from './validate.js';

/** The package version of this console (package.json beside dist/ or src/). */
const CONSOLE_VERSION = ((): string => {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'samsa' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there
    }
  }
  return 'unknown';
})();

/** At most this many groups are asked for their committed offsets by the throughput counter. */
const THROUGHPUT_GROUPS_MAX = 100;

export function clusterRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/features', async () => ({
    metrics: ctx.services.metricsUrl !== null,
    schemaRegistry: ctx.services.schemaRegistryUrl !== null,
    connect: ctx.services.connectUrl !== null,
  }));

  app.get('/api/cluster', async () => {
    // Metadata with offline replicas (a broker named as a replica but not registered is down).
    const md = await ctx.any((c) => fetchMetadata(c, null));
    const dc = await ctx.any((c) => describeCluster(c));
    const features = await ctx.any((c) => describeFeatures(c, 'samsa-console')).catch(() => []);
    const topics = [...md.topics.values()];
    return {
      clusterId: dc.clusterId,
      controllerId: dc.controllerId,
      brokers: brokerRows(dc, md),
      topicCount: topics.length,
      partitionCount: topics.reduce((n, t) => n + t.partitions.length, 0),
      underReplicatedPartitions: partitionRows(md, isUnderReplicated),
      offlinePartitions: partitionRows(md, isOffline),
      features,
      consoleVersion: CONSOLE_VERSION,
    };
  });

  app.get('/api/throughput', async () => {
    const md = await ctx.cluster.refresh();
    const parts = [...md.topics.values()].filter((t) => !t.internal).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const ends = await ctx.offsetsAt(parts, OffsetSpec.LATEST);
    let produced = 0;
    for (const v of ends.values()) produced += Number(v);
    let consumed = 0;
    const admin = await ctx.groups();
    const groups = (await admin.list()).slice(0, THROUGHPUT_GROUPS_MAX);
    await Promise.all(
      groups.map(async (g) => {
        const committed = await admin.committed(g.group).catch(() => new Map<string, Map<number, bigint>>());
        for (const ps of committed.values()) for (const o of ps.values()) consumed += Number(o);
      }),
    );
    const metrics = ctx.services.metricsUrl === null ? null : await readByteCounters(ctx.services.metricsUrl.split(',').map((u) => u.trim()).filter((u) => u !== ''));
    return { time: Date.now(), produced, consumed, ...(metrics !== null ? { metrics } : {}) };
  });

  app.get('/api/brokers/:id/configs', async (req) => {
    const raw = (req.params as Record<string, string>)['id'];
    if (raw === 'default') return ctx.any((c) => describeConfigs(c, ConfigResource.broker, ''));
    // Kafka's rule: a broker answers DescribeConfigs for its own id only, so ask that broker.
    const id = int(raw, 'broker id', 0, 2 ** 31 - 1);
    return describeConfigs(await ctx.cluster.broker(id), ConfigResource.broker, String(id));
  });

  app.patch('/api/brokers/:id/configs', async (req) => {
    const raw = (req.params as Record<string, string>)['id'];
    const id = raw === 'default' ? null : int(raw, 'broker id', 0, 2 ** 31 - 1);
    const changes = configChanges(req.body);
    const name = id === null ? '' : String(id);
    if (id === null) await ctx.any((c) => alterBrokerConfigs(c, '', changes));
    else await alterBrokerConfigs(await ctx.cluster.broker(id), name, changes);
    return id === null ? ctx.any((c) => describeConfigs(c, ConfigResource.broker, '')) : describeConfigs(await ctx.cluster.broker(id), ConfigResource.broker, name);
  });
}
