/**
 * Confluent Schema Registry's REST API on fastify:
 *   GET  /subjects[?deleted&subjectPrefix]            GET  /schemas/types, /schemas[?subjectPrefix&latestOnly]
 *   GET  /subjects/{s}/versions[?deleted]              GET  /schemas/ids/{id}[?subject]
 *   GET  /subjects/{s}/versions/{v}[/schema]           GET  /schemas/ids/{id}/schema|versions|subjects
 *   POST /subjects/{s}/versions[?normalize]            POST /subjects/{s}[?normalize&deleted] (lookup)
 *   DELETE /subjects/{s}[?permanent]                   DELETE /subjects/{s}/versions/{v}[?permanent]
 *   GET|PUT|DELETE /config[/{s}][?defaultToGlobal]     GET|PUT|DELETE /mode[/{s}]
 *   POST /compatibility/subjects/{s}/versions[/{v}][?verbose]
 *   GET /contexts (only the default context "."), GET / ({}); Samsa's GET /samsa/primary.
 * Bodies are JSON in `application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json`
 * or `application/json`; answers are `application/vnd.schemaregistry.v1+json`; errors are
 * `{"error_code", "message"}` with Confluent's codes (errors.ts). A write reaching an instance that
 * is not the primary is forwarded to the primary over HTTP (as Confluent does), then answered once
 * this instance has read the log up to it.
 */
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../common/logger.js';
import * as E from './errors.js';
import type { KafkaStore } from './kafka-store.js';
import { serializedProto } from './formats/protobuf.js';
import { identityUrl, type PrimaryElection } from './primary-election.js';
import { versionView, type RegistryService } from './registry-service.js';
import { isCompatibilityLevel, isMode, isSchemaType, SchemaType, type SchemaInput, type SchemaReference } from './types.js';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const FORWARDED = 'x-samsa-registry-forwarded';

export interface HttpApiDeps {
  service: RegistryService;
  store: KafkaStore;
  election: PrimaryElection;
  logger: Logger;
  /** Longest a write waits for a primary to be elected. Default 15 s. */
  primaryWaitMs?: number;
}

type Q = Record<string, string | undefined>;
type P = Record<string, string>;

const bool = (v: string | undefined): boolean => v === 'true' || v === '';

/** `format=serialized` asks for a Protobuf schema as a base64 FileDescriptorProto (Confluent). */
function formatted(schema: string, schemaType: SchemaType, format: string | undefined): string {
  return format === 'serialized' && schemaType === SchemaType.PROTOBUF ? serializedProto(schema) : schema;
}

function schemaInput(body: unknown): SchemaInput {
  if (typeof body !== 'object' || body === null) throw E.invalidRequest('the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b['schema'] !== 'string') throw E.invalidSchema("the body has no 'schema' string");
  const t = b['schemaType'] ?? SchemaType.AVRO;
  if (typeof t !== 'string' || !isSchemaType(t)) throw E.invalidSchema(`unknown schemaType '${String(t)}'`);
  const refs = b['references'] ?? [];
  if (!Array.isArray(refs)) throw E.invalidSchema("'references' is not an array");
  const references: SchemaReference[] = refs.map((r: unknown) => {
    const o = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof o['name'] !== 'string' || typeof o['subject'] !== 'string' || typeof o['version'] !== 'number' || !Number.isInteger(o['version'])) {
      throw E.invalidSchema('a reference needs a name, a subject and an integer version');
    }
    return { name: o['name'], subject: o['subject'], version: o['version'] };
  });
  return { schemaType: t, schema: b['schema'], references };
}

function schemaIdParam(s: string | undefined): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw E.schemaNotFound();
  return n;
}

export function buildHttpApi(deps: HttpApiDeps): FastifyInstance {
  const { service } = deps;
  const app = fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });

  const parseJson = (_req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch (e) {
      done(new E.RegistryError(400, 400, `Unexpected character in the request body: ${(e as Error).message}`));
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof E.RegistryError) {
      void reply.code(err.status).type(CONTENT_TYPE).send({ error_code: err.errorCode, message: err.message });
      return;
    }
    if (err.statusCode !== undefined && err.statusCode < 500) {
      void reply.code(err.statusCode).type(CONTENT_TYPE).send({ error_code: err.statusCode, message: err.message });
      return;
    }
    deps.logger.warn('schema registry request failed', err);
    void reply.code(500).type(CONTENT_TYPE).send({ error_code: 50001, message: `Error in the backend data store: ${err.message}` });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type(CONTENT_TYPE).send({ error_code: 404, message: `HTTP 404 Not Found: ${req.method} ${req.url}` });
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('content-type') || String(reply.getHeader('content-type')).startsWith('application/json')) reply.type(CONTENT_TYPE);
    return payload;
  });

  /** Runs a write here when primary, else forwards it to the primary. */
  const write = async (req: FastifyRequest, reply: FastifyReply, fn: () => Promise<unknown>): Promise<unknown> => {
    if (deps.election.isPrimary) return fn();
    const primary = await deps.election.waitForPrimary(deps.primaryWaitMs ?? 15_000);
    if (deps.election.isPrimary) return fn();
    if (!primary) throw new E.RegistryError(500, 50004, 'Unknown leader: no schema registry primary is elected yet');
    if (req.headers[FORWARDED] !== undefined) throw new E.RegistryError(500, 50004, 'Unknown leader: a forwarded request reached an instance that is not the primary');
    const url = `${identityUrl(primary)}${req.url}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: req.method,
        headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE, [FORWARDED]: '1' },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      throw E.forwardingError(`${url}: ${(e as Error).message}`, e);
    }
    const text = await res.text();
    if (res.ok) await deps.store.readToEnd().catch(() => undefined);
    void reply.code(res.status).type(CONTENT_TYPE);
    return text.length > 0 ? (JSON.parse(text) as unknown) : text;
  };

  app.get('/', async () => ({}));
  app.get('/contexts', async () => ['.']);
  // Samsa's own: which instance is the primary (Confluent shows it only in its logs).
  app.get('/samsa/primary', async () => {
    const p = deps.election.primary;
    return { primary: p ? identityUrl(p) : null, isPrimary: deps.election.isPrimary };
  });
  app.get('/schemas/types', async () => [SchemaType.JSON, SchemaType.PROTOBUF, SchemaType.AVRO]);

  // Subjects and versions.
  app.get('/subjects', async (req) => {
    const q = req.query as Q;
    const prefix = q['subjectPrefix'] ?? '';
    return service.subjects(bool(q['deleted'])).filter((s) => s.startsWith(prefix));
  });
  app.get('/schemas', async (req) => {
    const q = req.query as Q;
    const prefix = q['subjectPrefix'] ?? '';
    const deleted = bool(q['deleted']);
    const out = [];
    for (const s of service.subjects(deleted).filter((x) => x.startsWith(prefix))) {
      const vs = service.state.versions(s, deleted);
      for (const v of bool(q['latestOnly']) ? vs.slice(-1) : vs) out.push(versionView(v));
    }
    return out;
  });
  app.get('/subjects/:subject/versions', async (req) => service.versionNumbers((req.params as P)['subject'] as string, bool((req.query as Q)['deleted'])));
  app.get('/subjects/:subject/versions/:version', async (req) => {
    const p = req.params as P;
    const q = req.query as Q;
    const v = service.version(p['subject'] as string, p['version'] as string, bool(q['deleted']));
    return versionView({ ...v, schema: formatted(v.schema, v.schemaType, q['format']) });
  });
  app.get('/subjects/:subject/versions/:version/schema', async (req, reply) => {
    const p = req.params as P;
    const v = service.version(p['subject'] as string, p['version'] as string, bool((req.query as Q)['deleted']));
    void reply.type(CONTENT_TYPE);
    return v.schema;
  });
  app.get('/subjects/:subject/versions/:version/referencedby', async (req) => {
    const p = req.params as P;
    const v = service.version(p['subject'] as string, p['version'] as string, false);
    return service.state.referencedBy(v.subject, v.version).map((u) => u.id);
  });
  app.post('/subjects/:subject/versions', async (req, reply) => {
    const subject = (req.params as P)['subject'] as string;
    const input = schemaInput(req.body);
    const normalize = bool((req.query as Q)['normalize']);
    return write(req, reply, () => service.register(subject, input, normalize));
  });
  app.post('/subjects/:subject', async (req) => {
    const subject = (req.params as P)['subject'] as string;
    const q = req.query as Q;
    return versionView(service.lookup(subject, schemaInput(req.body), bool(q['normalize']), bool(q['deleted'])));
  });
  app.delete('/subjects/:subject', async (req, reply) => {
    const subject = (req.params as P)['subject'] as string;
    const permanent = bool((req.query as Q)['permanent']);
    return write(req, reply, () => service.deleteSubject(subject, permanent));
  });
  app.delete('/subjects/:subject/versions/:version', async (req, reply) => {
    const p = req.params as P;
    const permanent = bool((req.query as Q)['permanent']);
    return write(req, reply, () => service.deleteVersion(p['subject'] as string, p['version'] as string, permanent));
  });

  // Schemas by id.
  app.get('/schemas/ids/:id', async (req) => {
    const s = service.schemaById(schemaIdParam((req.params as P)['id']));
    return {
      ...(s.schemaType !== SchemaType.AVRO ? { schemaType: s.schemaType } : {}),
      ...(s.references.length > 0 ? { references: s.references } : {}),
      schema: formatted(s.schema, s.schemaType, (req.query as Q)['format']),
    };
  });
  app.get('/schemas/ids/:id/schema', async (req) => service.schemaById(schemaIdParam((req.params as P)['id'])).schema);
  app.get('/schemas/ids/:id/versions', async (req) =>
    service.idUses(schemaIdParam((req.params as P)['id']), bool((req.query as Q)['deleted'])).map((v) => ({ subject: v.subject, version: v.version })),
  );
  app.get('/schemas/ids/:id/subjects', async (req) => [...new Set(service.idUses(schemaIdParam((req.params as P)['id']), bool((req.query as Q)['deleted'])).map((v) => v.subject))]);

  // Compatibility.
  const compat = async (req: FastifyRequest, version: string | null): Promise<unknown> => {
    const subject = (req.params as P)['subject'] as string;
    const q = req.query as Q;
    const messages = service.testCompatibility(subject, version, schemaInput(req.body), bool(q['normalize']));
    return bool(q['verbose']) ? { is_compatible: messages.length === 0, messages } : { is_compatible: messages.length === 0 };
  };
  app.post('/compatibility/subjects/:subject/versions/:version', async (req) => compat(req, (req.params as P)['version'] as string));
  app.post('/compatibility/subjects/:subject/versions', async (req) => compat(req, null));

  // Config.
  const levelOf = (body: unknown): string => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const l = b['compatibility'] ?? b['compatibilityLevel'];
    if (typeof l !== 'string' || !isCompatibilityLevel(l.toUpperCase())) throw E.invalidCompatibilityLevel(String(l));
    return l.toUpperCase();
  };
  app.get('/config', async () => ({ compatibilityLevel: service.config(null, true) }));
  app.get('/config/:subject', async (req) => ({ compatibilityLevel: service.config((req.params as P)['subject'] as string, bool((req.query as Q)['defaultToGlobal'])) }));
  app.put('/config', async (req, reply) => {
    const level = levelOf(req.body);
    return write(req, reply, async () => {
      if (!isCompatibilityLevel(level)) throw E.invalidCompatibilityLevel(level);
      await service.setConfig(null, level);
      return { compatibility: level };
    });
  });
  app.put('/config/:subject', async (req, reply) => {
    const level = levelOf(req.body);
    const subject = (req.params as P)['subject'] as string;
    return write(req, reply, async () => {
      if (!isCompatibilityLevel(level)) throw E.invalidCompatibilityLevel(level);
      await service.setConfig(subject, level);
      return { compatibility: level };
    });
  });
  app.delete('/config', async (req, reply) => write(req, reply, async () => ({ compatibilityLevel: await service.deleteConfig(null) })));
  app.delete('/config/:subject', async (req, reply) => {
    const subject = (req.params as P)['subject'] as string;
    return write(req, reply, async () => ({ compatibilityLevel: await service.deleteConfig(subject) }));
  });

  // Mode.
  const modeOf = (body: unknown): string => {
    const m = (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['mode'] : undefined) ?? '';
    if (typeof m !== 'string' || !isMode(m.toUpperCase())) throw E.invalidMode(String(m));
    return m.toUpperCase();
  };
  app.get('/mode', async () => ({ mode: service.mode(null, true) }));
  app.get('/mode/:subject', async (req) => ({ mode: service.mode((req.params as P)['subject'] as string, bool((req.query as Q)['defaultToGlobal'])) }));
  app.put('/mode', async (req, reply) => {
    const mode = modeOf(req.body);
    return write(req, reply, async () => {
      if (!isMode(mode)) throw E.invalidMode(mode);
      await service.setMode(null, mode);
      return { mode };
    });
  });
  app.put('/mode/:subject', async (req, reply) => {
    const mode = modeOf(req.body);
    const subject = (req.params as P)['subject'] as string;
    return write(req, reply, async () => {
      if (!isMode(mode)) throw E.invalidMode(mode);
      await service.setMode(subject, mode);
      return { mode };
    });
  });
  app.delete('/mode/:subject', async (req, reply) => {
    const subject = (req.params as P)['subject'] as string;
    return write(req, reply, async () => ({ mode: await service.deleteMode(subject) }));
  });
  return app;
}
