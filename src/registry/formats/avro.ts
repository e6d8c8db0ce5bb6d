/**
 * Avro schemas through avsc. Canonical text: the schema's JSON without insignificant whitespace;
 * with `normalize`, avsc's own rendering of the parsed type (attributes in a fixed order, the
 * "type" wrappers of primitive types dropped). References: each referenced schema is parsed into
 * the same name registry first, so the referring schema may use its named types.
 *
 * Compatibility (Avro specification, "Schema Resolution"): reader and writer resolve when avsc's
 * createResolver accepts them, which applies the spec's rules: records match by name or alias, a
 * reader field missing from the writer needs a default, writer fields missing from the reader are
 * skipped; int→long→float→double promotions and string↔bytes; enums: every writer symbol in the
 * reader's symbols unless the reader has a default; fixed sizes equal; unions: every writer branch
 * readable by some reader branch. Samsa's deviation: a record or enum whose namespace changed but
 * unqualified name did not is not resolved (avsc matches full names; Java Avro unqualified ones)
 * unless the reader names the old full name in `aliases`.
 */
import avro from 'avsc';
import { invalidSchema } from '../errors.js';
import { SchemaType } from '../types.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './format.js';

export interface AvroSchema extends ParsedSchema {
  readonly type: avro.Type;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalidSchema(`${what} is not JSON: ${(e as Error).message}`);
  }
}

export const avroFormat: SchemaFormat<AvroSchema> = {
  schemaType: SchemaType.AVRO,
  parse(schema, references: readonly ResolvedReference[], normalize) {
    const registry: Record<string, avro.Type> = {};
    for (const r of references) {
      try {
        avro.Type.forSchema(parseJson(r.schema, `reference '${r.name}'`) as avro.Schema, { registry });
      } catch (e) {
        throw invalidSchema(`reference '${r.name}': ${(e as Error).message}`);
      }
    }
    const json = parseJson(schema, 'the schema');
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(json as avro.Schema, { registry });
    } catch (e) {
      throw invalidSchema((e as Error).message);
    }
    const canonical = normalize && references.length === 0 ? JSON.stringify(type.schema({ exportAttrs: true })) : JSON.stringify(json);
    return { schemaType: SchemaType.AVRO, canonical, type };
  },
  readIssues(reader, writer) {
    try {
      reader.type.createResolver(writer.type);
      return [];
    } catch (e) {
      const widened = withWriterNames(reader.type, writer.type);
      if (widened !== null) {
        try {
          widened.createResolver(writer.type);
          return [];
        } catch {
          // the names were not the problem: report the first error
        }
      }
      return [`reader cannot read data written with the writer schema: ${(e as Error).message}`];
    }
  },
};

const NAMED = new Set(['record', 'error', 'enum', 'fixed']);
const unqualified = (n: string): string => n.slice(n.lastIndexOf('.') + 1);

function walkNamed(v: unknown, fn: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) for (const x of v) walkNamed(x, fn);
  else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o['type'] === 'string' && NAMED.has(o['type']) && typeof o['name'] === 'string') fn(o);
    for (const x of Object.values(o)) walkNamed(x, fn);
  }
}

/** The reader with each named type also aliased to the writer's full names of the same unqualified name (null: nothing to add). */
function withWriterNames(reader: avro.Type, writer: avro.Type): avro.Type | null {
  const writerNames = new Map<string, string[]>();
  walkNamed(writer.schema({ exportAttrs: true }), (o) => {
    const full = o['name'] as string;
    writerNames.set(unqualified(full), [...(writerNames.get(unqualified(full)) ?? []), full]);
  });
  const json = reader.schema({ exportAttrs: true });
  let added = false;
  walkNamed(json, (o) => {
    const full = o['name'] as string;
    const extra = (writerNames.get(unqualified(full)) ?? []).filter((w) => w !== full);
    if (extra.length === 0) return;
    const aliases = Array.isArray(o['aliases']) ? (o['aliases'] as string[]) : [];
    o['aliases'] = [...aliases, ...extra];
    added = true;
  });
  if (!added) return null;
  try {
    return avro.Type.forSchema(json as avro.Schema);
  } catch {
    return null;
  }
}
