/**
 * The console API's consumer groups: the list (state, protocol type, members, total lag), one
 * group (members with assignments, committed offset / log end / lag per partition), offset resets
 * with a dry-run preview, deleting a group and deleting its offsets of a topic.
 *
 * Kafka's rules (kafka-consumer-groups.sh, client/offset-reset.ts): offsets are reset only while
 * the group has no members (Empty or Dead; the console answers 409 otherwise, as the tool refuses);
 * specs are earliest, latest, a timestamp, a specific offset (clamped to the log) and shift-by N;
 * a dry run commits nothing. DeleteGroups refuses a group with members (NON_EMPTY_GROUP);
 * OffsetDelete refuses a topic the group is subscribed to (GROUP_SUBSCRIBED_TO_TOPIC). Lag is log
 * end - committed, asked of each partition's leader.
 */
import type { FastifyInstance } from 'fastify';
import { fetchMetadata } from '../client/admin.js';
import { planOffsetReset, ResetPlanError, type ResetSpec } from '../client/offset-reset.js';
import { errorName } from '../common/error-codes.js';
import { ApiError, badRequest, notFound } from './api-error.js';
import type { ConsoleContext } from './context.js';
import { groupId, int, oneOf, record, topicName } from './validate.js';

/** At most this many groups get their lag computed in the list (the rest show null). */
const LAG_GROUPS_MAX = 200;

function resetSpec(o: Record<string, unknown>): ResetSpec {
  const kind = oneOf(o['kind'], 'spec.kind', ['earliest', 'latest', 'timestamp', 'offset', 'shift-by'] as const);
  switch (kind) {
    case 'earliest':
      return { kind: 'to-earliest' };
    case 'latest':
      return { kind: 'to-latest' };
    case 'timestamp':
      return { kind: 'to-time', ms: BigInt(int(o['timestamp'], 'spec.timestamp', 0, Number.MAX_SAFE_INTEGER)) };
    case 'offset':
      return { kind: 'to-offset', n: BigInt(int(o['offset'], 'spec.offset', 0, Number.MAX_SAFE_INTEGER)) };
    case 'shift-by':
      return { kind: 'shift-by', n: BigInt(int(o['shift'], 'spec.shift', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) };
  }
}

export function groupRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/groups', async () => {
    const admin = await ctx.groups();
    const groups = await admin.list();
    return Promise.all(
      groups.map(async (g, i) => {
        if (i >= LAG_GROUPS_MAX) return { ...g, members: null, totalLag: null };
        try {
          const info = await admin.describe(g.group);
          const rows = await admin.offsets(info, ctx.endOffsets);
          const lag = rows.some((r) => r.lag !== null) ? rows.reduce((n, r) => n + (r.lag ?? 0), 0) : null;
          return { ...g, state: info.state, members: info.members.length, totalLag: lag };
        } catch {
          return { ...g, members: null, totalLag: null };
        }
      }),
    );
  });

  app.get('/api/groups/:group', async (req) => {
    const group = groupId((req.params as Record<string, string>)['group']);
    const admin = await ctx.groups();
    const info = await admin.describe(group);
    if (!info.exists) throw notFound(`Consumer group '${group}' does not exist`);
    const offsets = await admin.offsets(info, ctx.endOffsets);
    return { ...info, offsets, totalLag: offsets.reduce((n, r) => n + (r.lag ?? 0), 0), time: Date.now() };
  });

  app.post('/api/groups/:group/reset-offsets', async (req) => {
    const group = groupId((req.params as Record<string, string>)['group']);
    const body = record(req.body, 'body');
    const spec = resetSpec(record(body['spec'], 'spec'));
    const dryRun = body['dryRun'] !== false;
    const admin = await ctx.groups();
    const info = await admin.describe(group);
    if (info.state !== 'Empty' && info.state !== 'Dead') throw new ApiError(409, 'GROUP_ACTIVE', `Offsets can only be reset while the group '${group}' is inactive, but its state is ${info.state}.`, 'Stop the consumers of the group first.');
    const committed = await admin.committed(group);
    let parts: { topic: string; partition: number }[];
    if (body['topic'] === undefined || body['topic'] === null || body['topic'] === '') {
      parts = [...committed].flatMap(([topic, ps]) => [...ps.keys()].map((partition) => ({ topic, partition })));
    } else {
      const topic = topicName(body['topic']);
      const md = await ctx.any((c) => fetchMetadata(c, [topic]));
      const t = md.topics.get(topic);
      if (!t || t.errorCode !== 0) throw notFound(`Topic '${topic}' does not exist`);
      parts = t.partitions.map((p) => ({ topic, partition: p.partition }));
    }
    parts.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    let plan;
    try {
      plan = await planOffsetReset(admin, group, parts, spec, committed, ctx.offsetsAt);
    } catch (e) {
      if (e instanceof ResetPlanError) throw badRequest(e.message, e.hint);
      throw e;
    }
    const rows = plan.map((p) => ({ topic: p.topic, partition: p.partition, currentOffset: committed.get(p.topic)?.get(p.partition) !== undefined ? Number(committed.get(p.topic)?.get(p.partition)) : null, newOffset: Number(p.offset) }));
    if (!dryRun && plan.length > 0) {
      const failed = (await admin.commit(group, plan)).filter((r) => r.errorCode !== 0);
      if (failed.length > 0) throw new ApiError(409, errorName(failed[0]?.errorCode ?? -1), `Resetting offsets of '${group}' failed: ${failed.map((f) => `${f.topic}-${f.partition}: ${errorName(f.errorCode)}`).join(', ')}`);
    }
    return { group, dryRun, offsets: rows };
  });

  app.delete('/api/groups/:group', async (req) => {
    const group = groupId((req.params as Record<string, string>)['group']);
    const admin = await ctx.groups();
    const [r] = await admin.deleteGroups([group]);
    if (r && r.errorCode === 69) throw notFound(`Consumer group '${group}' does not exist`);
    if (r && r.errorCode === 68) throw new ApiError(409, 'NON_EMPTY_GROUP', `Consumer group '${group}' still has members`, 'Stop its consumers first.');
    if (r && r.errorCode !== 0) throw new ApiError(502, errorName(r.errorCode), `Cannot delete consumer group '${group}': ${errorName(r.errorCode)}`);
    return { deleted: group };
  });

  app.post('/api/groups/:group/delete-offsets', async (req) => {
    const group = groupId((req.params as Record<string, string>)['group']);
    const body = record(req.body, 'body');
    const topic = topicName(body['topic']);
    const admin = await ctx.groups();
    const committed = await admin.committed(group);
    const parts = [...(committed.get(topic)?.keys() ?? [])].map((partition) => ({ topic, partition }));
    if (parts.length === 0) throw notFound(`Consumer group '${group}' has no committed offsets on '${topic}'`);
    const res = await admin.deleteOffsets(group, parts);
    if (res.errorCode === 69) throw notFound(`Consumer group '${group}' does not exist`);
    if (res.errorCode === 86) throw new ApiError(409, 'GROUP_SUBSCRIBED_TO_TOPIC', `Consumer group '${group}' is subscribed to '${topic}'`, 'Stop its consumers first.');
    if (res.errorCode !== 0) throw new ApiError(502, errorName(res.errorCode), `Cannot delete offsets of '${group}': ${errorName(res.errorCode)}`);
    return { group, topic, partitions: res.partitions.map((p) => ({ partition: p.partition, error: p.errorCode === 0 ? null : errorName(p.errorCode) })) };
  });
}
