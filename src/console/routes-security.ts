/**
 * The console API's security pages: ACL bindings (list, create, delete), client quotas (list,
 * set and remove on an entity) and SCRAM users (list, set a credential, delete credentials).
 * docs/console.md documents each request and answer.
 *
 * Kafka's rules: a binding names a concrete resource type, pattern (LITERAL or PREFIXED),
 * principal (`Type:name`), host (`*` for any), operation and permission, and deleting one sends
 * DeleteAcls with exactly those fields; a quota entity is a user and/or client-id (or an ip),
 * null naming the default entity, with numeric values (producer_byte_rate, consumer_byte_rate,
 * request_percentage, controller_mutation_rate, connection_creation_rate); a SCRAM credential is
 * per user and mechanism with 4096 to 16384 iterations (Kafka's bounds). The password never
 * leaves the console: it sends the salted hash, as kafka-configs.sh does.
 */
import type { FastifyInstance } from 'fastify';
import { describeAllAcls, describeAllQuotas, describeScramUsers, type AclRow } from '../client/security-admin.js';
import { ACL_CHOICES, alterQuotas, createAcl, deleteAcl, deleteScramUser, SCRAM_MECHANISM_NAMES, upsertScramUser, type QuotaEntity } from '../client/security-alter.js';
import { ApiError, badRequest } from './api-error.js';
import type { ConsoleContext } from './context.js';
import { int, oneOf, record } from './validate.js';

const QUOTA_ENTITY_TYPES = ['user', 'client-id', 'ip'] as const;
const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate', 'connection_creation_rate'] as const;

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw badRequest(`Invalid ${field}: expected 1 to ${max} characters`);
  return v;
}

/** One ACL binding from a JSON body. */
function aclOf(body: unknown): AclRow {
  const b = record(body, 'ACL');
  const principal = text(b['principal'], 'principal', 1000);
  if (!/^[^:]+:.+$/.test(principal)) throw badRequest('Invalid principal', 'A principal is Type:name, e.g. User:alice (User:* for everyone).');
  return {
    resourceType: oneOf(b['resourceType'], 'resourceType', ACL_CHOICES.resourceType),
    resourceName: text(b['resourceName'], 'resourceName', 1000),
    patternType: oneOf(b['patternType'], 'patternType', ACL_CHOICES.patternType, 'LITERAL'),
    principal,
    host: b['host'] === undefined || b['host'] === '' ? '*' : text(b['host'], 'host', 255),
    operation: oneOf(b['operation'], 'operation', ACL_CHOICES.operation),
    permission: oneOf(b['permission'], 'permission', ACL_CHOICES.permission, 'ALLOW'),
  };
}

function quotaEntityOf(v: unknown): QuotaEntity {
  const o = record(v, 'entity');
  const entity: QuotaEntity = {};
  for (const [k, name] of Object.entries(o)) {
    const type = oneOf(k, 'entity type', QUOTA_ENTITY_TYPES);
    entity[type] = name === null ? null : text(name, `${type} name`, 1000);
  }
  if (Object.keys(entity).length === 0) throw badRequest('Invalid entity: name a user, client-id or ip (null: the default)');
  if ('ip' in entity && Object.keys(entity).length > 1) throw badRequest('Invalid entity: an ip quota names the ip only');
  return entity;
}

export function securityRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/acls', async () => ctx.any((c) => describeAllAcls(c)));

  app.post('/api/acls', async (req, reply) => {
    const acl = aclOf(req.body);
    await ctx.any((c) => createAcl(c, acl));
    return reply.code(201).send(acl);
  });

  app.post('/api/acls/delete', async (req) => {
    const acl = aclOf(req.body);
    return { deleted: await ctx.any((c) => deleteAcl(c, acl)) };
  });

  app.get('/api/quotas', async () => ctx.any((c) => describeAllQuotas(c)));

  app.post('/api/quotas', async (req) => {
    const b = record(req.body, 'body');
    const entity = quotaEntityOf(b['entity']);
    const set: Record<string, number> = {};
    for (const [k, v] of Object.entries(b['set'] === undefined ? {} : record(b['set'], 'set'))) {
      const key = oneOf(k, 'quota', QUOTA_KEYS);
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      if (!Number.isFinite(n) || n < 0) throw badRequest(`Invalid ${key}: expected a number of at least 0`);
      set[key] = n;
    }
    const removeRaw = b['remove'] === undefined ? [] : b['remove'];
    if (!Array.isArray(removeRaw)) throw badRequest('Invalid remove: expected a list of quota names');
    const remove = removeRaw.map((k) => oneOf(k, 'quota', QUOTA_KEYS));
    if (Object.keys(set).length === 0 && remove.length === 0) throw badRequest('Nothing to change: give set and/or remove');
    await ctx.any((c) => alterQuotas(c, entity, set, remove));
    return { entity, set, removed: remove };
  });

  app.get('/api/users', async () => {
    try {
      return await ctx.any((c) => describeScramUsers(c));
    } catch (e) {
      if (e instanceof Error && /UNSUPPORTED_VERSION|no codec/.test(e.message)) throw new ApiError(501, 'UNSUPPORTED', 'The cluster does not support SCRAM users (DescribeUserScramCredentials).');
      throw e;
    }
  });

  app.post('/api/users', async (req, reply) => {
    const b = record(req.body, 'body');
    const user = text(b['user'], 'user', 1000);
    const mechanism = oneOf(b['mechanism'], 'mechanism', SCRAM_MECHANISM_NAMES, 'SCRAM-SHA-256');
    const password = text(b['password'], 'password', 1000);
    const iterations = int(b['iterations'], 'iterations', 4096, 16384, 4096);
    await ctx.any((c) => upsertScramUser(c, user, mechanism, password, iterations));
    return reply.code(201).send({ user, mechanism, iterations });
  });

  app.delete('/api/users/:user', async (req) => {
    const user = text((req.params as Record<string, string>)['user'], 'user', 1000);
    const q = req.query as Record<string, unknown>;
    let mechanisms = q['mechanism'] === undefined ? null : [oneOf(q['mechanism'], 'mechanism', SCRAM_MECHANISM_NAMES)];
    if (mechanisms === null) {
      const row = (await ctx.any((c) => describeScramUsers(c))).find((u) => u.user === user);
      if (row === undefined) throw new ApiError(404, 'RESOURCE_NOT_FOUND', `User ${user} has no SCRAM credentials`);
      mechanisms = SCRAM_MECHANISM_NAMES.filter((m) => row.credentials.some((c) => c.mechanism === m));
    }
    await ctx.any((c) => deleteScramUser(c, user, mechanisms));
    return { user, deleted: mechanisms };
  });
}
