/**
 * The routes of Kafka Connect's REST API, with Connect's JSON shapes:
 * connector info {name, config, tasks:[{connector,task}], type}; status {name, connector:{state,
 * worker_id[,trace]}, tasks:[{id,state,worker_id[,trace]}], type}; tasks [{id:{connector,task},
 * config}]; offsets {offsets:[{partition,offset}]} (sink partitions {kafka_topic,
 * kafka_partition}, offsets {kafka_offset}); plug-ins [{class,type,version}]; validation
 * {name,error_count,groups,configs:[{definition,value}]}; topics {<name>:{topics:[...]}}.
 *
 * Status codes as Kafka's: POST /connectors 201 (409 exists), PUT config 201 created / 200
 * updated, DELETE 204, pause/resume 202, stop 204, restart 204 (202 with includeTasks or
 * onlyFailed, with the status), task restart 204, offsets PATCH/DELETE 200 (400 unless the
 * connector is STOPPED).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GroupAdmin } from '../client/group-admin.js';
import { ConfigError, type JsonObject } from './api.js';
import type { Herder } from './herder.js';
import { ConnectRestError, notFound } from './rest-errors.js';
import { State } from './task-status.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string> }>;

const NAME_MAX = 249;

/** A connector config from JSON: string values (numbers and booleans are written as strings). */
function configOf(body: unknown): Record<string, string> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ConnectRestError(400, 'Connector configuration must be a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === null) continue;
    if (typeof v === 'object') throw new ConnectRestError(400, `Invalid value for configuration ${k}: expected a string`);
    out[k] = String(v);
  }
  return out;
}

function checkName(name: string): void {
  if (name.trim() === '' || name.length > NAME_MAX || /[\u0000-\u001f]/.test(name)) throw new ConnectRestError(400, 'Connector name is invalid: must be non-empty, at most 249 characters, without control characters');
}

export function registerRoutes(app: FastifyInstance, h: () => Herder): void {
  const state = (name: string): NonNullable<ReturnType<Herder['o']['configs']['connectors']['get']>> => {
    const s = h().o.configs.connectors.get(name);
    if (!s) throw notFound(name);
    return s;
  };
  const info = (name: string): unknown => {
    const s = state(name);
    let type = 'unknown';
    try {
      type = h().plugin(s.config).type;
    } catch {
      // unknown class
    }
    return { name, config: s.config, tasks: s.tasks.map((_, task) => ({ connector: name, task })), type };
  };
  const taskStatus = (name: string, id: number): Record<string, unknown> => {
    const st = h().o.statuses.task(name, id);
    return { id, state: st?.state ?? State.UNASSIGNED, worker_id: st?.workerId ?? h().workerId, ...(st?.trace ? { trace: st.trace } : {}) };
  };
  const status = (name: string): unknown => {
    const s = state(name);
    const c = h().o.statuses.connector(name);
    return { name, connector: { state: c?.state ?? State.UNASSIGNED, worker_id: c?.workerId ?? h().workerId, ...(c?.trace ? { trace: c.trace } : {}) }, tasks: s.tasks.map((_, id) => taskStatus(name, id)), type: (info(name) as { type: string }).type };
  };

  /** Writes go to the leader: a follower forwards the request and relays the answer. */
  const leaderOnly = async (req: Req, reply: FastifyReply): Promise<boolean> => {
    const herder = h();
    if (herder.leader && !herder.rebalancing) return false;
    // A request already forwarded once is not forwarded again (two workers each taking the other for the leader).
    if (herder.rebalancing || herder.leaderUrl === null || req.headers['x-samsa-forwarded']) throw new ConnectRestError(409, 'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)');
    const res = await fetch(`${herder.leaderUrl}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', 'x-samsa-forwarded': '1' }, ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}) });
    const text = await res.text();
    void reply.code(res.status).type('application/json').send(text === '' ? undefined : text);
    return true;
  };

  const putConfig = async (name: string, config: Record<string, string>, mustBeNew: boolean): Promise<boolean> => {
    checkName(name);
    const herder = h();
    const exists = herder.o.configs.connectors.has(name);
    if (exists && mustBeNew) throw new ConnectRestError(409, `Connector ${name} already exists`);
    if (!exists && herder.o.configs.connectors.size >= herder.o.maxConnectors) throw new ConnectRestError(400, `This worker allows at most ${herder.o.maxConnectors} connectors`);
    if (config['name'] !== undefined && config['name'] !== name) throw new ConnectRestError(400, 'Connector name configuration (' + config['name'] + ') doesn\'t match connector name in the URL (' + name + ')');
    const full = { ...config, name };
    herder.taskConfigsFor(full); // validates (ConfigError → 400)
    await herder.o.configs.putConnectorConfig(name, full);
    return !exists;
  };

  app.get('/connectors', async (req: Req) => {
    const names = [...h().o.configs.connectors.keys()].sort();
    const expand = ([] as string[]).concat((req.query as Record<string, string | string[]>)['expand'] ?? []);
    if (expand.length === 0) return names;
    return Object.fromEntries(names.map((n) => [n, { ...(expand.includes('status') ? { status: status(n) } : {}), ...(expand.includes('info') ? { info: info(n) } : {}) }]));
  });

  app.post('/connectors', async (req: Req, reply) => {
    if (await leaderOnly(req, reply)) return reply;
    const body = req.body as { name?: unknown; config?: unknown } | undefined;
    if (!body || typeof body.name !== 'string') throw new ConnectRestError(400, 'Connector name must be specified');
    const config = configOf(body.config ?? {});
    await putConfig(body.name, config, true);
    return reply.code(201).header('location', `/connectors/${encodeURIComponent(body.name)}`).send(info(body.name));
  });

  app.get('/connectors/:name', async (req: Req) => info(req.params['name'] ?? ''));
  app.get('/connectors/:name/config', async (req: Req) => state(req.params['name'] ?? '').config);
  app.put('/connectors/:name/config', async (req: Req, reply) => {
    if (await leaderOnly(req, reply)) return reply;
    const name = req.params['name'] ?? '';
    const created = await putConfig(name, configOf(req.body), false);
    return reply.code(created ? 201 : 200).send(info(name));
  });
  app.delete('/connectors/:name', async (req: Req, reply) => {
    if (await leaderOnly(req, reply)) return reply;
    const name = req.params['name'] ?? '';
    state(name);
    await h().o.configs.removeConnector(name);
    return reply.code(204).send();
  });
  app.get('/connectors/:name/status', async (req: Req) => status(req.params['name'] ?? ''));
  app.get('/connectors/:name/tasks', async (req: Req) => {
    const name = req.params['name'] ?? '';
    return state(name).tasks.map((config, task) => ({ id: { connector: name, task }, config }));
  });
  const taskId = (req: Req): { name: string; id: number } => {
    const name = req.params['name'] ?? '';
    const id = Number(req.params['id']);
    const s = state(name);
    if (!Number.isInteger(id) || id < 0 || id >= s.tasks.length) throw new ConnectRestError(404, `Task not found: ${name}-${req.params['id'] ?? ''}`);
    return { name, id };
  };
  app.get('/connectors/:name/tasks/:id/status', async (req: Req) => {
    const { name, id } = taskId(req);
    return taskStatus(name, id);
  });
  app.post('/connectors/:name/tasks/:id/restart', async (req: Req, reply) => {
    const { name, id } = taskId(req);
    const herder = h();
    if (await herder.restartTask(name, id)) return reply.code(204).send();
    const owner = herder.o.statuses.task(name, id)?.workerId;
    if (!owner || owner === herder.workerId || req.headers['x-samsa-forwarded']) throw new ConnectRestError(409, `Cannot restart task ${name}-${id}: it is not running on any worker now`);
    const res = await fetch(`http://${owner}${req.url}`, { method: 'POST', headers: { 'x-samsa-forwarded': '1' } });
    const text = await res.text();
    return reply.code(res.status).type('application/json').send(text === '' ? undefined : text);
  });
  app.post('/connectors/:name/restart', async (req: Req, reply) => {
    const name = req.params['name'] ?? '';
    state(name);
    const includeTasks = req.query['includeTasks'] === 'true';
    const onlyFailed = req.query['onlyFailed'] === 'true';
    await h().o.configs.requestRestart(name, includeTasks, onlyFailed);
    if (!includeTasks && !onlyFailed) return reply.code(204).send();
    return reply.code(202).send(status(name));
  });
  const target = (t: 'PAUSED' | 'STARTED' | 'STOPPED', code: number) => async (req: Req, reply: FastifyReply) => {
    if (await leaderOnly(req, reply)) return reply;
    const name = req.params['name'] ?? '';
    state(name);
    await h().o.configs.putTargetState(name, t);
    return reply.code(code).send();
  };
  app.put('/connectors/:name/pause', target('PAUSED', 202));
  app.put('/connectors/:name/resume', target('STARTED', 202));
  app.put('/connectors/:name/stop', target('STOPPED', 204));

  // KIP-875 offsets
  const sinkGroup = (config: Record<string, string>, name: string): string => config['consumer.override.group.id'] ?? `connect-${name}`;
  const isSink = (name: string): boolean => h().plugin(state(name).config).type === 'sink';
  const mustBeStopped = (name: string): void => {
    if (state(name).target !== 'STOPPED') throw new ConnectRestError(400, `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`);
  };
  const withAdmin = async <T>(f: (a: GroupAdmin) => Promise<T>): Promise<T> => {
    const a = new GroupAdmin(await h().o.cluster.any());
    try {
      return await f(a);
    } finally {
      a.close();
    }
  };
  app.get('/connectors/:name/offsets', async (req: Req) => {
    const name = req.params['name'] ?? '';
    const s = state(name);
    if (!isSink(name)) return { offsets: h().o.offsets.all(name) };
    const committed = await withAdmin((a) => a.committed(sinkGroup(s.config, name)));
    const offsets = [...committed].flatMap(([topic, ps]) => [...ps].map(([p, o]) => ({ partition: { kafka_topic: topic, kafka_partition: p }, offset: { kafka_offset: Number(o) } })));
    return { offsets: offsets.sort((a, b) => a.partition.kafka_topic.localeCompare(b.partition.kafka_topic) || a.partition.kafka_partition - b.partition.kafka_partition) };
  });
  app.patch('/connectors/:name/offsets', async (req: Req) => {
    const name = req.params['name'] ?? '';
    const s = state(name);
    mustBeStopped(name);
    const list = (req.body as { offsets?: unknown } | undefined)?.offsets;
    if (!Array.isArray(list) || list.length === 0) throw new ConnectRestError(400, 'Offsets to alter must be a non-empty list');
    const entries = list.map((e: unknown) => {
      const o = e as { partition?: unknown; offset?: unknown };
      if (o.partition === null || typeof o.partition !== 'object') throw new ConnectRestError(400, 'Each offset entry needs a partition object');
      return { partition: o.partition as JsonObject, offset: (o.offset ?? null) as JsonObject | null };
    });
    if (!isSink(name)) await h().o.offsets.put(name, entries);
    else {
      const group = sinkGroup(s.config, name);
      const commits: { topic: string; partition: number; offset: bigint }[] = [];
      const deletes: { topic: string; partition: number }[] = [];
      for (const e of entries) {
        const topic = e.partition['kafka_topic'];
        const partition = e.partition['kafka_partition'];
        if (typeof topic !== 'string' || typeof partition !== 'number') throw new ConnectRestError(400, 'Sink connector offsets need kafka_topic and kafka_partition');
        const off = e.offset?.['kafka_offset'];
        if (e.offset === null) deletes.push({ topic, partition });
        else if (typeof off === 'number' && off >= 0) commits.push({ topic, partition, offset: BigInt(off) });
        else throw new ConnectRestError(400, 'kafka_offset must be a non-negative number');
      }
      await withAdmin(async (a) => {
        if (commits.length > 0) for (const r of await a.commit(group, commits)) if (r.errorCode !== 0) throw new ConnectRestError(500, `Failed to alter consumer group offsets for ${r.topic}-${r.partition}: error ${r.errorCode}`);
        if (deletes.length > 0) await a.deleteOffsets(group, deletes);
      });
    }
    return { message: 'The offsets for this connector have been altered successfully' };
  });
  app.delete('/connectors/:name/offsets', async (req: Req) => {
    const name = req.params['name'] ?? '';
    const s = state(name);
    mustBeStopped(name);
    if (!isSink(name)) await h().o.offsets.put(name, h().o.offsets.all(name).map((e) => ({ partition: e.partition, offset: null })));
    else {
      const [r] = await withAdmin((a) => a.deleteGroups([sinkGroup(s.config, name)]));
      if (r && r.errorCode !== 0 && r.errorCode !== 69) throw new ConnectRestError(500, `Failed to reset the offsets of ${name}: error ${r.errorCode}`);
    }
    return { message: 'The offsets for this connector have been reset successfully' };
  });

  app.get('/connectors/:name/topics', async (req: Req) => {
    const name = req.params['name'] ?? '';
    state(name);
    return { [name]: { topics: h().o.statuses.topics(name) } };
  });
  app.put('/connectors/:name/topics/reset', async (req: Req, reply) => {
    const name = req.params['name'] ?? '';
    state(name);
    await h().o.statuses.resetTopics(name);
    return reply.code(202).send();
  });

  app.get('/connector-plugins', async (req: Req) => {
    const reg = h().o.plugins;
    const connectors = reg.all().map((p) => ({ class: p.className, type: p.type, version: p.version }));
    if (req.query['connectorsOnly'] !== 'false') return connectors;
    // Loaded (plugin.path / plugin.packages) transforms, predicates and converters.
    return [...connectors, ...[...reg.transforms, ...reg.predicates, ...reg.converters].map((p) => ({ class: p.className, type: p.type }))];
  });
  app.put('/connector-plugins/:plugin/config/validate', async (req: Req) => {
    const config = configOf(req.body);
    const plugin = h().o.plugins.find(req.params['plugin'] ?? '');
    if (!plugin) throw new ConnectRestError(404, `Failed to find any class that implements Connector and which name matches ${req.params['plugin'] ?? ''}`);
    let general: string | null = null;
    try {
      h().taskConfigsFor({ ...config, 'connector.class': config['connector.class'] ?? plugin.className });
    } catch (e) {
      general = e instanceof ConfigError ? e.message : String(e);
    }
    const defs = [
      { name: 'connector.class', type: 'STRING' as const, required: true, documentation: 'Name or alias of the class for this connector.' },
      { name: 'tasks.max', type: 'INT' as const, required: false, defaultValue: '1', documentation: 'Maximum number of tasks to use for this connector.' },
      ...plugin.config,
    ];
    const configs = defs.map((d, order) => {
      const errors: string[] = [];
      if (d.required && (config[d.name] === undefined || config[d.name] === '') && !(d.name === 'connector.class')) errors.push(`Missing required configuration "${d.name}" which has no default value.`);
      if (general !== null && errors.length === 0 && general.includes(`"${d.name}"`)) errors.push(general);
      return {
        definition: { name: d.name, type: d.type, required: d.required, default_value: d.defaultValue ?? null, importance: d.required ? 'HIGH' : 'MEDIUM', documentation: d.documentation, group: order < 2 ? 'Common' : null, width: 'NONE', display_name: d.name, dependents: [], order: order + 1 },
        value: { name: d.name, value: config[d.name] ?? d.defaultValue ?? null, recommended_values: [], errors, visible: true },
      };
    });
    const fieldErrors = configs.reduce((n, c) => n + c.value.errors.length, 0);
    const errorCount = fieldErrors > 0 ? fieldErrors : general !== null ? 1 : 0;
    if (fieldErrors === 0 && general !== null) configs[0]?.value.errors.push(general);
    return { name: plugin.className, error_count: errorCount, groups: ['Common'], configs };
  });
}
