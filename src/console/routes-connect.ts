/**
 * The console API's Kafka Connect pages (present when --connect URL is given, or the broker
 * serving the console has console.connect.url): connectors with their state, tasks and type; one
 * connector's config, task statuses with their traces, active topics and offsets; creating one
 * from JSON, changing its config, pausing, resuming, stopping, restarting it (with its tasks, or
 * its failed ones) or one task, deleting it, and changing or resetting its offsets. It calls
 * Connect's REST API (connect-client.ts); docs/console.md documents the answers.
 *
 * Connect's rules: a connector's config values are strings (numbers and booleans are sent as
 * text); pause/resume/stop are asynchronous (the status follows); KIP-875 offsets are
 * `{offsets: [{partition, offset}]}` (source partitions and offsets as the connector wrote them,
 * sink ones `{kafka_topic, kafka_partition}` / `{kafka_offset}`), may be changed only while the
 * connector is STOPPED (Connect answers 400 otherwise), and an offset of null removes a partition.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from './api-error.js';
import { ConnectClient } from './connect-client.js';
import type { ConsoleContext } from './context.js';
import { int, record } from './validate.js';

/** Entries of a connector config accepted from the browser; offsets entries of one change. */
const CONFIG_MAX = 1000;
const OFFSETS_MAX = 10_000;

function connectOf(ctx: ConsoleContext): ConnectClient {
  if (ctx.connect === null) throw new ApiError(404, 'NO_CONNECT', 'The console has no Kafka Connect', 'Start it with --connect URL (or console.connect.url on the broker).');
  return ctx.connect;
}

function nameOf(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 1000 || /[\u0000-\u001f]/.test(v)) throw badRequest('Invalid connector name', 'A connector name is 1 to 1000 characters, without control characters.');
  return v;
}

/** A connector config: an object of at most CONFIG_MAX names to text (numbers and booleans written as text). */
function configOf(v: unknown): Record<string, string> {
  const o = record(v, 'config');
  const entries = Object.entries(o);
  if (entries.length > CONFIG_MAX) throw badRequest(`Too many config entries (at most ${CONFIG_MAX})`);
  const out: Record<string, string> = {};
  for (const [k, value] of entries) {
    if (k === '' || k.length > 1000) throw badRequest('Invalid config name');
    if (value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw badRequest(`Invalid value of ${k}: expected text`);
    out[k] = String(value);
  }
  if (out['connector.class'] === undefined) throw badRequest('The config needs connector.class', 'e.g. "connector.class": "FileStreamSource"');
  return out;
}

interface Status {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
  type: string;
}
interface Info {
  name: string;
  config: Record<string, string>;
  tasks: { connector: string; task: number }[];
  type: string;
}

const taskRow = (t: Status['tasks'][number]): { id: number; state: string; workerId: string; trace: string | null } => ({ id: t.id, state: t.state, workerId: t.worker_id, trace: t.trace ?? null });

export function connectRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/connect', async () => {
    const c = connectOf(ctx);
    const [root, expanded] = await Promise.all([c.call('GET', '/'), c.call('GET', '/connectors?expand=status&expand=info')]);
    const r = (root ?? {}) as { version?: string; commit?: string; kafka_cluster_id?: string };
    const rows = Object.entries((expanded ?? {}) as Record<string, { status?: Status; info?: Info }>).map(([name, e]) => ({
      name,
      type: e.status?.type ?? e.info?.type ?? 'unknown',
      className: e.info?.config['connector.class'] ?? null,
      state: e.status?.connector.state ?? 'UNASSIGNED',
      workerId: e.status?.connector.worker_id ?? null,
      tasks: (e.status?.tasks ?? []).map(taskRow).map(({ trace: _trace, ...t }) => t),
    }));
    rows.sort((a, b) => a.name.localeCompare(b.name));
    return { version: r.version ?? null, commit: r.commit ?? null, kafkaClusterId: r.kafka_cluster_id ?? null, connectors: rows };
  });

  app.get('/api/connect/plugins', async () => {
    const list = (await connectOf(ctx).call('GET', '/connector-plugins')) as { class: string; type: string; version?: string }[];
    return list.map((p) => ({ className: p.class, type: p.type, version: p.version ?? null }));
  });

  app.post('/api/connect/connectors', async (req, reply) => {
    const c = connectOf(ctx);
    const b = record(req.body, 'body');
    const name = nameOf(b['name']);
    const config = configOf(b['config']);
    const created = (await c.call('POST', '/connectors', { name, config })) as Info;
    return reply.code(201).send({ name: created.name, type: created.type, config: created.config });
  });

  app.get('/api/connect/connectors/:name', async (req) => {
    const c = connectOf(ctx);
    const name = nameOf((req.params as Record<string, string>)['name']);
    const [info, status, tasks, topics] = await Promise.all([
      c.call('GET', ConnectClient.path(name)) as Promise<Info>,
      c.call('GET', ConnectClient.path(name, '/status')) as Promise<Status>,
      c.call('GET', ConnectClient.path(name, '/tasks')) as Promise<{ id: { task: number }; config: Record<string, string> }[]>,
      // Active topics (KIP-558) may be turned off on the worker (topic.tracking.enable=false).
      (c.call('GET', ConnectClient.path(name, '/topics')) as Promise<Record<string, { topics: string[] }>>).then((t) => t[name]?.topics ?? [], () => null),
    ]);
    const configs = new Map(tasks.map((t) => [t.id.task, t.config]));
    return {
      name,
      type: status.type ?? info.type,
      config: info.config,
      connector: { state: status.connector.state, workerId: status.connector.worker_id, trace: status.connector.trace ?? null },
      tasks: status.tasks.map((t) => ({ ...taskRow(t), config: configs.get(t.id) ?? null })),
      topics,
    };
  });

  app.put('/api/connect/connectors/:name/config', async (req) => {
    const name = nameOf((req.params as Record<string, string>)['name']);
    const config = configOf(record(req.body, 'body')['config']);
    const info = (await connectOf(ctx).call('PUT', ConnectClient.path(name, '/config'), config)) as Info;
    return { name: info.name, type: info.type, config: info.config };
  });

  for (const action of ['pause', 'resume', 'stop'] as const) {
    app.post(`/api/connect/connectors/:name/${action}`, async (req) => {
      const name = nameOf((req.params as Record<string, string>)['name']);
      await connectOf(ctx).call('PUT', ConnectClient.path(name, `/${action}`));
      return { name, action };
    });
  }

  app.post('/api/connect/connectors/:name/restart', async (req) => {
    const name = nameOf((req.params as Record<string, string>)['name']);
    const b = req.body === undefined || req.body === null ? {} : record(req.body, 'body');
    const includeTasks = b['includeTasks'] === true;
    const onlyFailed = b['onlyFailed'] === true;
    await connectOf(ctx).call('POST', ConnectClient.path(name, `/restart?includeTasks=${includeTasks}&onlyFailed=${onlyFailed}`));
    return { name, action: 'restart', includeTasks, onlyFailed };
  });

  app.post('/api/connect/connectors/:name/tasks/:task/restart', async (req) => {
    const p = req.params as Record<string, string>;
    const name = nameOf(p['name']);
    const task = int(p['task'], 'task', 0, 100_000);
    await connectOf(ctx).call('POST', ConnectClient.path(name, `/tasks/${task}/restart`));
    return { name, task, action: 'restart' };
  });

  app.delete('/api/connect/connectors/:name', async (req) => {
    const name = nameOf((req.params as Record<string, string>)['name']);
    await connectOf(ctx).call('DELETE', ConnectClient.path(name));
    return { deleted: name };
  });

  app.get('/api/connect/connectors/:name/offsets', async (req) => {
    const name = nameOf((req.params as Record<string, string>)['name']);
    const o = (await connectOf(ctx).call('GET', ConnectClient.path(name, '/offsets'))) as { offsets?: unknown[] } | null;
    return { name, offsets: o?.offsets ?? [] };
  });

  app.patch('/api/connect/connectors/:name/offsets', async (req) => {
    const name = nameOf((req.params as Record<string, string>)['name']);
    const list = record(req.body, 'body')['offsets'];
    if (!Array.isArray(list) || list.length === 0 || list.length > OFFSETS_MAX) throw badRequest(`Invalid offsets: expected a list of 1 to ${OFFSETS_MAX} {partition, offset} entries`);
    const offsets = list.map((e: unknown) => {
      const o = record(e, 'offsets entry');
      const offset = o['offset'] === null || o['offset'] === undefined ? null : record(o['offset'], 'offset');
      return { partition: record(o['partition'], 'partition'), offset };
    });
    const r = (await connectOf(ctx).call('PATCH', ConnectClient.path(name, '/offsets'), { offsets })) as { message?: string } | null;
    return { name, message: r?.message ?? 'altered' };
  });

  app.delete('/api/connect/connectors/:name/offsets', async (req) => {
    const name = nameOf((req.params as Record<string, string>)['name']);
    const r = (await connectOf(ctx).call('DELETE', ConnectClient.path(name, '/offsets'))) as { message?: string } | null;
    return { name, message: r?.message ?? 'reset' };
  });
}
