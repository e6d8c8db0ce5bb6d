/**
 * The console API's topics: the list (partitions, replication factor, size from DescribeLogDirs,
 * message count from the offsets, retention), create, delete, add partitions, configs with their
 * source (default / static / dynamic) and edits, delete records, and one topic's detail
 * (partitions with leader, replicas, ISR and offsets; the consumer groups reading it with lag).
 *
 * Kafka's rules: the message count of a partition is log end - log start (an upper bound on a
 * compacted or transactional topic, as every Kafka UI shows it); a config deleted with
 * IncrementalAlterConfigs falls back to the broker's or Kafka's default; DeleteRecords moves the
 * log start offset up to the offset given (-1: the high watermark). Groups reading a topic are
 * the groups with a committed offset on one of its partitions.
 */
import type { FastifyInstance } from 'fastify';
import { fetchMetadata, OffsetSpec, tpKey } from '../client/admin.js';
import { topicConfigValues } from '../client/config-admin.js';
import { deleteRecords, partitionSizes } from '../client/log-admin.js';
import { alterTopicConfigs, createPartitions, createTopic, deleteTopic, describeTopicConfigs } from '../client/topic-admin.js';
import { badRequest, notFound } from './api-error.js';
import type { ConsoleContext } from './context.js';
import { configChanges, configMap, int, record, topicName } from './validate.js';

const MAX_PARTITIONS = 100_000;
/** Groups whose committed offsets are looked at for a topic's detail (the first, by name). */
const TOPIC_GROUPS_MAX = 500;

export function topicRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/topics', async () => {
    const md = await ctx.cluster.refresh();
    const topics = [...md.topics.values()].filter((t) => t.errorCode === 0).sort((a, b) => a.name.localeCompare(b.name));
    const parts = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const [starts, ends, sizes, configs] = await Promise.all([
      ctx.offsetsAt(parts, OffsetSpec.EARLIEST),
      ctx.offsetsAt(parts, OffsetSpec.LATEST),
      partitionSizes(ctx.cluster, md.brokers.map((b) => b.nodeId), null),
      ctx.any((c) => topicConfigValues(c, topics.map((t) => t.name), ['retention.ms', 'retention.bytes', 'cleanup.policy'])).catch(() => new Map<string, Record<string, string | null>>()),
    ]);
    return topics.map((t) => {
      let messages = 0;
      let size = 0;
      for (const p of t.partitions) {
        const s = starts.get(tpKey(t.name, p.partition));
        const e = ends.get(tpKey(t.name, p.partition));
        if (s !== undefined && e !== undefined) messages += Number(e - s);
        size += sizes.get(t.name)?.get(p.partition) ?? 0;
      }
      const c = configs.get(t.name) ?? {};
      return {
        name: t.name,
        internal: t.internal,
        partitions: t.partitions.length,
        replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        underReplicated: t.partitions.filter((p) => p.isr.length < p.replicas.length).length,
        offline: t.partitions.filter((p) => p.leader < 0).length,
        sizeBytes: size,
        messages,
        retentionMs: c['retention.ms'] !== undefined && c['retention.ms'] !== null ? Number(c['retention.ms']) : null,
        retentionBytes: c['retention.bytes'] !== undefined && c['retention.bytes'] !== null ? Number(c['retention.bytes']) : null,
        cleanupPolicy: c['cleanup.policy'] ?? null,
      };
    });
  });

  app.post('/api/topics', async (req, reply) => {
    const body = record(req.body, 'body');
    const name = topicName(body['name']);
    const partitions = int(body['partitions'], 'partitions', -1, MAX_PARTITIONS, -1);
    const replicationFactor = int(body['replicationFactor'], 'replicationFactor', -1, 32767, -1);
    if (partitions === 0 || replicationFactor === 0) throw badRequest('partitions and replicationFactor must be at least 1 (or -1 for the broker default)');
    const configs = configMap(body['configs'], 'configs');
    await createTopic(ctx.cluster, { name, partitions, replicationFactor, configs });
    const t = await ctx.cluster.topic(name);
    reply.code(201);
    return { name, topicId: t?.topicId ?? null, partitions: t?.partitions.length ?? null, replicationFactor: t?.partitions[0]?.replicas.length ?? null };
  });

  app.get('/api/topics/:topic', async (req) => {
    const name = topicName((req.params as Record<string, string>)['topic']);
    const md = await ctx.any((c) => fetchMetadata(c, [name]));
    const t = md.topics.get(name);
    if (!t || t.errorCode !== 0) throw notFound(`Topic '${name}' does not exist`);
    const parts = t.partitions.map((p) => ({ topic: name, partition: p.partition }));
    const [starts, ends, sizes] = await Promise.all([
      ctx.offsetsAt(parts, OffsetSpec.EARLIEST),
      ctx.offsetsAt(parts, OffsetSpec.LATEST),
      partitionSizes(ctx.cluster, md.brokers.map((b) => b.nodeId), [name]),
    ]);
    const admin = await ctx.groups();
    const listed = (await admin.list()).slice(0, TOPIC_GROUPS_MAX);
    const found = await Promise.all(
      listed.map(async (g) => {
        const committed = await admin.committed(g.group).catch(() => new Map<string, Map<number, bigint>>());
        const mine = committed.get(name);
        if (!mine) return null;
        let lag: number | null = 0;
        for (const [p, off] of mine) {
          const end = ends.get(tpKey(name, p));
          if (end === undefined) lag = null;
          else if (lag !== null) lag += Math.max(0, Number(end - off));
        }
        return { group: g.group, state: g.state, lag, partitions: mine.size };
      }),
    );
    const groups = found.filter((g) => g !== null);
    const num = (v: bigint | undefined): number | null => (v === undefined ? null : Number(v));
    return {
      name,
      topicId: t.topicId,
      internal: t.internal,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offline,
        startOffset: num(starts.get(tpKey(name, p.partition))),
        endOffset: num(ends.get(tpKey(name, p.partition))),
        sizeBytes: sizes.get(name)?.get(p.partition) ?? null,
      })),
      groups,
    };
  });

  app.delete('/api/topics/:topic', async (req) => {
    const name = topicName((req.params as Record<string, string>)['topic']);
    await deleteTopic(ctx.cluster, name);
    return { deleted: name };
  });

  app.post('/api/topics/:topic/partitions', async (req) => {
    const name = topicName((req.params as Record<string, string>)['topic']);
    const count = int(record(req.body, 'body')['count'], 'count', 1, MAX_PARTITIONS);
    await createPartitions(ctx.cluster, name, count);
    return { name, partitions: count };
  });

  app.get('/api/topics/:topic/configs', async (req) => {
    const name = topicName((req.params as Record<string, string>)['topic']);
    return describeTopicConfigs(ctx.cluster, name);
  });

  app.patch('/api/topics/:topic/configs', async (req) => {
    const name = topicName((req.params as Record<string, string>)['topic']);
    const changes = configChanges(req.body);
    await alterTopicConfigs(ctx.cluster, name, changes);
    return describeTopicConfigs(ctx.cluster, name);
  });

  app.post('/api/topics/:topic/delete-records', async (req) => {
    const name = topicName((req.params as Record<string, string>)['topic']);
    const body = record(req.body, 'body');
    const partition = int(body['partition'], 'partition', 0, MAX_PARTITIONS);
    const offset = int(body['offset'], 'offset', -1, Number.MAX_SAFE_INTEGER);
    const lowWatermark = await deleteRecords(ctx.cluster, name, partition, BigInt(offset));
    return { partition, lowWatermark: Number(lowWatermark) };
  });
}
