/**
 * The registry's state in memory, built only by replaying `_schemas` (schema-records.ts): subjects
 * and their versions, schemas by id, the id of each distinct schema (type, text as stored, and
 * references), compatibility levels and modes. Every instance replays the same log, so all agree.
 *
 * Confluent's rules kept here: a schema's id is shared by every subject/version registering the
 * same schema; a soft-deleted version stays (with `deleted: true`) until a hard delete tombstones
 * it; ids only grow (the next id is one above the largest seen).
 */
import type { StoreEvent } from './schema-records.js';
import type { CompatibilityLevel, Mode, SchemaReference, SchemaType, SubjectVersion } from './types.js';

export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** The identity of a schema for de-duplication: type, stored text and references. */
export function schemaIdentity(schemaType: SchemaType, schema: string, references: readonly SchemaReference[]): string {
  return `${schemaType}\u0000${schema}\u0000${JSON.stringify(references.map((r) => [r.name, r.subject, r.version]))}`;
}

export class RegistryState {
  /** subject → version → entry. */
  readonly subjects = new Map<string, Map<number, SubjectVersion>>();
  readonly configs = new Map<string | null, CompatibilityLevel>();
  readonly modes = new Map<string | null, Mode>();
  private readonly byId = new Map<number, StoredSchema>();
  private readonly idByIdentity = new Map<string, number>();
  private maxId = 0;
  /** Bumped on every change (lets tests and waiters notice progress). */
  generation = 0;

  apply(e: StoreEvent): void {
    this.generation++;
    switch (e.kind) {
      case 'schema': {
        const versions = this.subjects.get(e.subject);
        if (e.value === null) {
          versions?.delete(e.version);
          if (versions && versions.size === 0) this.subjects.delete(e.subject);
          return;
        }
        const v = e.value;
        let vs = versions;
        if (!vs) {
          vs = new Map();
          this.subjects.set(e.subject, vs);
        }
        vs.set(e.version, v);
        if (v.id > this.maxId) this.maxId = v.id;
        if (!this.byId.has(v.id)) {
          this.byId.set(v.id, { id: v.id, schemaType: v.schemaType, schema: v.schema, references: v.references });
          this.idByIdentity.set(schemaIdentity(v.schemaType, v.schema, v.references), v.id);
        }
        return;
      }
      case 'config':
        if (e.level === null) this.configs.delete(e.subject);
        else this.configs.set(e.subject, e.level);
        return;
      case 'mode':
        if (e.mode === null) this.modes.delete(e.subject);
        else this.modes.set(e.subject, e.mode);
        return;
      case 'delete-subject': {
        const vs = this.subjects.get(e.subject);
        if (vs) for (const [n, v] of vs) if (n <= e.version) vs.set(n, { ...v, deleted: true });
        return;
      }
      case 'clear-subject':
        this.subjects.delete(e.subject);
        return;
      case 'noop':
        return;
    }
  }

  nextId(): number {
    return this.maxId + 1;
  }

  schemaById(id: number): StoredSchema | undefined {
    return this.byId.get(id);
  }

  idOf(schemaType: SchemaType, schema: string, references: readonly SchemaReference[]): number | undefined {
    return this.idByIdentity.get(schemaIdentity(schemaType, schema, references));
  }

  /** Versions of a subject in order; soft-deleted ones only when asked. */
  versions(subject: string, includeDeleted = false): SubjectVersion[] {
    const vs = this.subjects.get(subject);
    if (!vs) return [];
    return [...vs.values()].filter((v) => includeDeleted || !v.deleted).sort((a, b) => a.version - b.version);
  }

  /** Subjects with at least one live version (or any version when asked). */
  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects.keys()].filter((s) => this.versions(s, includeDeleted).length > 0).sort();
  }

  /** Every subject/version that uses schema `id`. */
  usesOf(id: number, includeDeleted = false): SubjectVersion[] {
    const out: SubjectVersion[] = [];
    for (const vs of this.subjects.values()) for (const v of vs.values()) if (v.id === id && (includeDeleted || !v.deleted)) out.push(v);
    return out.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version));
  }

  /** Live versions whose schema refers to subject/version (a reference blocks deletion). */
  referencedBy(subject: string, version: number): SubjectVersion[] {
    const out: SubjectVersion[] = [];
    for (const vs of this.subjects.values())
      for (const v of vs.values()) if (!v.deleted && v.references.some((r) => r.subject === subject && r.version === version)) out.push(v);
    return out;
  }

  /** All known ids (for the produce path's validation). */
  ids(): IterableIterator<number> {
    return this.byId.keys();
  }
}
