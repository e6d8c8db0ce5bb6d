/**
 * The registry's operations (Confluent Schema Registry's REST semantics), over the replayed state
 * (registry-state.ts) and the `_schemas` log (kafka-store.ts). Reads answer from this instance's
 * state; writes are made only by the primary (primary-election.ts; http-api.ts forwards them), one
 * at a time, each after reading the log to its end, so ids and versions never collide.
 *
 * Confluent's rules kept: registering a schema already live in the subject returns its id and adds
 * no version; the same schema in another subject reuses its id; a new version is checked against
 * the live versions under the subject's compatibility level (else the global one, BACKWARD by
 * default) and refused with 409; soft deletes first, hard deletes (permanent=true) only of soft-
 * deleted versions (40405/40407); a version referenced by another schema cannot be deleted
 * (42206); READONLY mode refuses writes (42205).
 */
import type { Logger } from '../common/logger.js';
import { checkCompatibility, type PreviousVersion } from './compatibility.js';
import * as E from './errors.js';
import { avroFormat } from './formats/avro.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './formats/format.js';
import { jsonSchemaFormat } from './formats/json-schema.js';
import { protobufFormat } from './formats/protobuf.js';
import type { KafkaStore } from './kafka-store.js';
import type { RegistryState } from './registry-state.js';
import { configKey, configValue, deleteSubjectKey, deleteSubjectValue, modeKey, modeValue, schemaKey, schemaValue } from './schema-records.js';
import { CompatibilityLevel, Mode, SchemaType, type SchemaInput, type SchemaReference, type SubjectVersion } from './types.js';

export { versionView, type VersionView } from './types.js';

const FORMATS: Record<SchemaType, SchemaFormat> = {
  AVRO: avroFormat as SchemaFormat,
  JSON: jsonSchemaFormat as SchemaFormat,
  PROTOBUF: protobufFormat as SchemaFormat,
};

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = CompatibilityLevel.BACKWARD;


/** "latest"/-1 → null, 1..2^31-1 → the number, anything else → 42202. */
export function parseVersion(s: string): number | null {
  if (s === 'latest' || s === '-1') return null;
  if (!/^\d+$/.test(s)) throw E.invalidVersion(s);
  const n = Number(s);
  if (n < 1 || n > 0x7fffffff) throw E.invalidVersion(s);
  return n;
}

export class RegistryService {
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly state: RegistryState,
    private readonly store: KafkaStore,
    private readonly logger: Logger,
  ) {}

  // ---- reads ----------------------------------------------------------------------------------

  subjects(includeDeleted: boolean): string[] {
    return this.state.subjectNames(includeDeleted);
  }

  versionNumbers(subject: string, includeDeleted: boolean): number[] {
    const vs = this.state.versions(subject, includeDeleted);
    if (vs.length === 0) throw E.subjectNotFound(subject);
    return vs.map((v) => v.version);
  }

  /** A version by number or "latest"; deleted ones only when asked (40401 / 40402). */
  version(subject: string, versionText: string, includeDeleted: boolean): SubjectVersion {
    const n = parseVersion(versionText);
    const all = this.state.versions(subject, true);
    if (all.length === 0 || (!includeDeleted && all.every((v) => v.deleted))) throw E.subjectNotFound(subject);
    const vs = all.filter((v) => includeDeleted || !v.deleted);
    const found = n === null ? vs[vs.length - 1] : vs.find((v) => v.version === n);
    if (!found) throw E.versionNotFound(versionText);
    return found;
  }

  schemaById(id: number): { schema: string; schemaType: SchemaType; references: SchemaReference[] } {
    const s = this.state.schemaById(id);
    if (!s) throw E.schemaNotFound();
    return s;
  }

  idUses(id: number, includeDeleted: boolean): SubjectVersion[] {
    if (!this.state.schemaById(id)) throw E.schemaNotFound();
    return this.state.usesOf(id, includeDeleted);
  }

  /** POST /subjects/{s}: the version of `subject` holding this schema. */
  lookup(subject: string, input: SchemaInput, normalize: boolean, includeDeleted: boolean): SubjectVersion {
    const all = this.state.versions(subject, includeDeleted);
    if (all.length === 0) throw E.subjectNotFound(subject);
    const parsed = this.parse(input, normalize);
    const match = all.filter((v) => v.schemaType === input.schemaType && v.schema === parsed.canonical && sameRefs(v.references, input.references));
    const found = match[match.length - 1];
    if (!found) throw E.schemaNotFound();
    return found;
  }

  compatibilityLevel(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.state.configs.get(subject) : undefined) ?? this.state.configs.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  /** GET /config[/{s}]: 40408 for a subject without its own level unless defaultToGlobal. */
  config(subject: string | null, defaultToGlobal: boolean): CompatibilityLevel {
    if (subject === null) return this.compatibilityLevel(null);
    const own = this.state.configs.get(subject);
    if (own) return own;
    if (!defaultToGlobal) throw E.subjectLevelCompatibilityNotConfigured(subject);
    return this.compatibilityLevel(null);
  }

  mode(subject: string | null, defaultToGlobal: boolean): Mode {
    if (subject === null) return this.state.modes.get(null) ?? Mode.READWRITE;
    const own = this.state.modes.get(subject);
    if (own) return own;
    if (!defaultToGlobal) throw E.subjectLevelModeNotConfigured(subject);
    return this.state.modes.get(null) ?? Mode.READWRITE;
  }

  /** Incompatibility messages of `input` against one version ("latest") or, with null, all live versions. */
  testCompatibility(subject: string, versionText: string | null, input: SchemaInput, normalize: boolean): string[] {
    const format = FORMATS[input.schemaType];
    const candidate = this.parse(input, normalize);
    const live = this.state.versions(subject);
    let against: SubjectVersion[];
    let level = this.compatibilityLevel(subject);
    if (versionText === null) against = live;
    else {
      if (live.length === 0) {
        parseVersion(versionText);
        return [];
      }
      against = [this.version(subject, versionText, false)];
      if (level.endsWith('_TRANSITIVE')) level = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
    }
    return checkCompatibility(format, level, candidate, this.previous(against, input.schemaType));
  }

  // ---- writes (primary only) ------------------------------------------------------------------

  register(subject: string, input: SchemaInput, normalize: boolean): Promise<{ id: number }> {
    return this.write(async () => {
      this.checkWritable(subject);
      const parsed = this.parse(input, normalize);
      const live = this.state.versions(subject);
      const same = live.find((v) => v.schemaType === input.schemaType && v.schema === parsed.canonical && sameRefs(v.references, input.references));
      if (same) return { id: same.id };
      const level = this.compatibilityLevel(subject);
      const issues = checkCompatibility(FORMATS[input.schemaType], level, parsed, this.previous(live, input.schemaType));
      if (issues.length > 0) throw E.incompatibleSchema(issues);
      const id = this.state.idOf(input.schemaType, parsed.canonical, input.references) ?? this.state.nextId();
      const all = this.state.versions(subject, true);
      const version = (all[all.length - 1]?.version ?? 0) + 1;
      const v: SubjectVersion = { subject, version, id, schemaType: input.schemaType, references: input.references, schema: parsed.canonical, deleted: false };
      await this.store.append(schemaKey(subject, version), schemaValue(v));
      this.logger.info(`registered ${input.schemaType} schema id ${id} as ${subject} version ${version}`);
      return { id };
    });
  }

  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.write(async () => {
      this.checkWritable(subject);
      const all = this.state.versions(subject, true);
      if (all.length === 0) throw E.subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      for (const v of live) this.checkNotReferenced(v);
      if (permanent) {
        if (live.length > 0) throw E.subjectNotSoftDeleted(subject);
        for (const v of all) await this.store.append(schemaKey(subject, v.version), null);
        return all.map((v) => v.version);
      }
      if (live.length === 0) throw E.subjectSoftDeleted(subject);
      const last = all[all.length - 1] as SubjectVersion;
      await this.store.append(deleteSubjectKey(subject), deleteSubjectValue(subject, last.version));
      return live.map((v) => v.version);
    });
  }

  deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    return this.write(async () => {
      this.checkWritable(subject);
      const n = parseVersion(versionText);
      const all = this.state.versions(subject, true);
      if (all.length === 0) throw E.subjectNotFound(subject);
      const v = n === null ? (permanent ? all : all.filter((x) => !x.deleted)).at(-1) : all.find((x) => x.version === n);
      if (!v) throw E.versionNotFound(versionText);
      this.checkNotReferenced(v);
      if (permanent) {
        if (!v.deleted) throw E.versionNotSoftDeleted(subject, v.version);
        await this.store.append(schemaKey(subject, v.version), null);
      } else {
        if (v.deleted) throw E.versionSoftDeleted(subject, v.version);
        await this.store.append(schemaKey(subject, v.version), schemaValue({ ...v, deleted: true }));
      }
      return v.version;
    });
  }

  setConfig(subject: string | null, level: CompatibilityLevel): Promise<void> {
    return this.write(async () => {
      await this.store.append(configKey(subject), configValue(level));
    });
  }

  /** Removes a level; resolves with the one that was in force. */
  deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.write(async () => {
      const before = subject === null ? this.compatibilityLevel(null) : this.config(subject, false);
      await this.store.append(configKey(subject), null);
      return before;
    });
  }

  setMode(subject: string | null, mode: Mode): Promise<void> {
    return this.write(async () => {
      await this.store.append(modeKey(subject), modeValue(mode));
    });
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.write(async () => {
      const before = this.mode(subject, false);
      await this.store.append(modeKey(subject), null);
      return before;
    });
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Runs writes one at a time, each on state read to the log's end. */
  private write<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(async () => {
      try {
        await this.store.readToEnd();
      } catch (e) {
        throw E.storeError((e as Error).message, e);
      }
      return fn();
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private checkWritable(subject: string): void {
    const m = this.mode(subject, true);
    if (m === Mode.READONLY || m === Mode.READONLY_OVERRIDE) throw E.readOnlyMode(subject);
  }

  private checkNotReferenced(v: SubjectVersion): void {
    const users = this.state.referencedBy(v.subject, v.version);
    if (users.length > 0) {
      throw E.referenceExists(`One or more references exist to the schema {subject=${v.subject},version=${v.version}}: ${users.map((u) => `${u.subject} version ${u.version}`).join(', ')}`);
    }
  }

  /** Resolves references transitively, dependencies first (each once). */
  resolveReferences(refs: readonly SchemaReference[], seen = new Set<string>(), out: ResolvedReference[] = [], depth = 0): ResolvedReference[] {
    if (depth > 32) throw E.invalidSchema('references nest too deep');
    for (const r of refs) {
      const key = `${r.subject}\u0000${r.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const vs = this.state.versions(r.subject, true);
      const target = r.version === -1 ? vs.filter((v) => !v.deleted).at(-1) : vs.find((v) => v.version === r.version);
      if (!target) throw E.invalidSchema(`reference '${r.name}' names ${r.subject} version ${r.version}, which does not exist`);
      this.resolveReferences(target.references, seen, out, depth + 1);
      out.push({ name: r.name, schema: target.schema });
    }
    return out;
  }

  parse(input: SchemaInput, normalize: boolean): ParsedSchema {
    return FORMATS[input.schemaType].parse(input.schema, this.resolveReferences(input.references), normalize);
  }

  private previous(versions: readonly SubjectVersion[], schemaType: SchemaType): PreviousVersion<ParsedSchema>[] {
    const out: PreviousVersion<ParsedSchema>[] = [];
    for (const v of versions) {
      // A version of another type cannot be read as this one: Confluent reports it incompatible.
      if (v.schemaType !== schemaType) {
        out.push({ version: v.version, parsed: { schemaType: v.schemaType, canonical: v.schema } });
        continue;
      }
      out.push({ version: v.version, parsed: FORMATS[v.schemaType].parse(v.schema, this.resolveReferences(v.references), false) });
    }
    return out;
  }
}

function sameRefs(a: readonly SchemaReference[], b: readonly SchemaReference[]): boolean {
  return a.length === b.length && a.every((r, i) => r.name === b[i]?.name && r.subject === b[i]?.subject && r.version === b[i]?.version);
}
