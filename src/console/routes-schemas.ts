/**
 * The console API's schema registry page (present when --schema-registry URL is given, or the
 * broker serving the console has schema.registry.listeners): subjects with their versions and
 * compatibility level, and one version's schema (type, id, text, references). It reads the
 * registry's Confluent REST API (registry-client.ts); docs/console.md documents the answers.
 *
 * Confluent's rules: a subject without a compatibility level of its own uses the global one
 * (answered with `source: "global"`); a schema without `schemaType` is AVRO.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';
import type { ConsoleContext } from './context.js';
import type { RegistryClient } from './registry-client.js';
import { int } from './validate.js';

/** Subjects listed with their versions (the first, by name). */
const SUBJECTS_MAX = 500;

function registryOf(ctx: ConsoleContext): RegistryClient {
  if (ctx.registry === null) throw new ApiError(404, 'NO_SCHEMA_REGISTRY', 'The console has no schema registry', 'Start it with --schema-registry URL.');
  return ctx.registry;
}

function subjectParam(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 1000) throw new ApiError(400, 'BAD_REQUEST', 'Invalid subject');
  return v;
}

export function schemaRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/schemas', async () => {
    const reg = registryOf(ctx);
    const [subjects, global] = await Promise.all([reg.subjects(), reg.compatibility(null)]);
    const shown = [...subjects].sort().slice(0, SUBJECTS_MAX);
    const rows = await Promise.all(shown.map(async (subject) => ({ subject, versions: await reg.versions(subject).catch(() => []) })));
    return { compatibility: global.level, subjectCount: subjects.length, subjects: rows };
  });

  app.get('/api/schemas/:subject', async (req) => {
    const reg = registryOf(ctx);
    const subject = subjectParam((req.params as Record<string, string>)['subject']);
    const [versions, compatibility, latest] = await Promise.all([reg.versions(subject), reg.compatibility(subject), reg.version(subject, 'latest')]);
    return { subject, versions, compatibility: compatibility.level, compatibilitySource: compatibility.source, latest };
  });

  app.get('/api/schemas/:subject/versions/:version', async (req) => {
    const reg = registryOf(ctx);
    const p = req.params as Record<string, string>;
    const subject = subjectParam(p['subject']);
    const version = p['version'] === 'latest' ? 'latest' : int(p['version'], 'version', 1, 2 ** 31 - 1);
    return reg.version(subject, version);
  });
}
