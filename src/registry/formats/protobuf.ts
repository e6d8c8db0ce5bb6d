/**
 * Protobuf schemas (.proto text) through protobufjs. A schema is valid when protobufjs parses it
 * and every import is either a referenced schema (by reference name) or one of protobufjs's
 * well-known google/protobuf types. Canonical text: the source without comments and with
 * whitespace collapsed (so reformatting a .proto does not make a new schema). References are
 * parsed into the same root first, so their types resolve.
 *
 * Compatibility: Confluent's Protobuf rules (its ProtobufSchema diff), message by message (full
 * names) and field by field (field numbers):
 *  incompatible: PACKAGE_CHANGED, MESSAGE_REMOVED, FIELD_KIND_CHANGED (scalar/message/enum/map),
 *  FIELD_SCALAR_KIND_CHANGED outside one wire-compatible group ({int32,uint32,int64,uint64,bool},
 *  {sint32,sint64}, {fixed32,sfixed32}, {fixed64,sfixed64}, {string,bytes}),
 *  FIELD_NAMED_TYPE_CHANGED (another message type), FIELD_NUMERIC_LABEL_CHANGED (a numeric field
 *  made repeated or single), REQUIRED_FIELD_ADDED, REQUIRED_FIELD_REMOVED, ONEOF_FIELD_REMOVED,
 *  FIELD_MOVED_TO_EXISTING_ONEOF, MULTIPLE_FIELDS_MOVED_TO_ONEOF;
 *  compatible: MESSAGE_ADDED, FIELD_ADDED, FIELD_REMOVED (not required, not in a oneof),
 *  FIELD_NAME_CHANGED, ENUM_ADDED/REMOVED, ENUM_CONST_ADDED/CHANGED/REMOVED (enums are ints on
 *  the wire), ONEOF_ADDED, ONEOF_FIELD_ADDED, a single field moved into a new oneof.
 * Samsa's deviations: services and options are not compared. A schema may also be given as a
 * base64 FileDescriptorProto (what Confluent's JavaScript client sends; its references then too):
 * it is stored as given (Confluent stores the .proto text it derives), and `format=serialized`
 * turns a stored .proto text into a descriptor.
 */
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { invalidSchema } from '../errors.js';
import { SchemaType } from '../types.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './format.js';

export interface ProtobufSchema extends ParsedSchema {
  readonly root: protobuf.Root;
  readonly pkg: string;
  /** Message types declared by this schema itself (not its references), by full name. */
  readonly messages: ReadonlyMap<string, protobuf.Type>;
}

/** Strips comments and collapses whitespace outside string literals. */
export function canonicalProto(src: string): string {
  let out = '';
  let i = 0;
  let pendingSpace = false;
  const punct = /[{}()[\];=,<>]/;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      pendingSpace = true;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
      pendingSpace = true;
      continue;
    }
    if (/\s/.test(c)) {
      pendingSpace = true;
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      if (pendingSpace && out.length > 0 && !punct.test(out[out.length - 1] as string)) out += ' ';
      pendingSpace = false;
      out += src.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (pendingSpace && out.length > 0 && !punct.test(c) && !punct.test(out[out.length - 1] as string)) out += ' ';
    pendingSpace = false;
    out += c;
    i++;
  }
  return out;
}

function collectMessages(ns: protobuf.NamespaceBase, out: Map<string, protobuf.Type>, only: ReadonlySet<protobuf.ReflectionObject> | null): void {
  for (const o of ns.nestedArray) {
    if (o instanceof protobuf.Type && (only === null || !only.has(o))) out.set(o.fullName.replace(/^\./, ''), o);
    if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) collectMessages(o, out, only);
  }
}

function allObjects(ns: protobuf.NamespaceBase, out: Set<protobuf.ReflectionObject>): void {
  for (const o of ns.nestedArray) {
    out.add(o);
    if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) allObjects(o, out);
  }
}

export const protobufFormat: SchemaFormat<ProtobufSchema> = {
  schemaType: SchemaType.PROTOBUF,
  parse(schema, references: readonly ResolvedReference[], _normalize) {
    if (isSerialized(schema)) return parseSerialized(schema, references);
    const root = new protobuf.Root();
    const names = new Set(references.map((r) => r.name));
    try {
      for (const r of references) protobuf.parse(r.schema, root, { keepCase: true });
    } catch (e) {
      throw invalidSchema(`a referenced schema does not parse: ${(e as Error).message}`);
    }
    const before = new Set<protobuf.ReflectionObject>();
    allObjects(root, before);
    let parsed: protobuf.IParserResult;
    try {
      parsed = protobuf.parse(schema, root, { keepCase: true });
    } catch (e) {
      throw invalidSchema((e as Error).message);
    }
    for (const imp of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      if (names.has(imp)) continue;
      const wellKnown = imp.startsWith('google/protobuf/') ? protobuf.common.get(imp) : null;
      if (wellKnown) {
        root.addJSON(wellKnown.nested ?? {});
        continue;
      }
      throw invalidSchema(`import '${imp}' is not among the schema's references`);
    }
    try {
      root.resolveAll();
    } catch (e) {
      throw invalidSchema((e as Error).message);
    }
    const messages = new Map<string, protobuf.Type>();
    collectMessages(root, messages, before);
    return { schemaType: SchemaType.PROTOBUF, canonical: canonicalProto(schema), root, pkg: parsed.package ?? '', messages };
  },
  readIssues(reader, writer) {
    const issues: string[] = [];
    if (reader.pkg !== writer.pkg) issues.push(`PACKAGE_CHANGED: '${writer.pkg}' -> '${reader.pkg}'`);
    for (const [name, wm] of writer.messages) {
      const rm = reader.messages.get(name);
      if (!rm) {
        issues.push(`MESSAGE_REMOVED: ${name}`);
        continue;
      }
      compareMessage(wm, rm, name, issues);
    }
    return issues;
  },
};

/** protobufjs's descriptor extension (its typings are empty): what this file uses of it. */
interface FileProto {
  name?: string;
  package?: string;
  dependency?: string[];
}
const ext = descriptor as unknown as {
  FileDescriptorProto: { decode(b: Uint8Array): FileProto; encode(m: FileProto): { finish(): Uint8Array } };
};
const fromDescriptor = (set: { file: FileProto[] }): protobuf.Root => (protobuf.Root as unknown as { fromDescriptor(s: { file: FileProto[] }): protobuf.Root }).fromDescriptor(set);
const toDescriptor = (root: protobuf.Root): { file: FileProto[] } => (root as unknown as { toDescriptor(syntax: string): { file: FileProto[] } }).toDescriptor('proto3');

/** Is this schema text a base64 FileDescriptorProto rather than .proto source? */
export function isSerialized(schema: string): boolean {
  const t = schema.trim();
  return t.length > 0 && t.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(t);
}

function decodeFile(b64: string, what: string): FileProto {
  try {
    return ext.FileDescriptorProto.decode(Buffer.from(b64.trim(), 'base64'));
  } catch (e) {
    throw invalidSchema(`${what} is not a serialized FileDescriptorProto: ${(e as Error).message}`);
  }
}

function parseSerialized(schema: string, references: readonly ResolvedReference[]): ProtobufSchema {
  const refFiles = references.map((r) => {
    if (!isSerialized(r.schema)) throw invalidSchema(`reference '${r.name}' is .proto text, the schema a serialized descriptor: give both in one form`);
    return { ...decodeFile(r.schema, `reference '${r.name}'`), name: r.name };
  });
  const main = decodeFile(schema, 'the schema');
  let root: protobuf.Root;
  const before = new Set<protobuf.ReflectionObject>();
  try {
    if (refFiles.length > 0) allObjects(fromDescriptor({ file: refFiles }), before);
    root = fromDescriptor({ file: [...refFiles, main] });
    root.resolveAll();
  } catch (e) {
    throw invalidSchema((e as Error).message);
  }
  const refNames = new Set([...before].map((o) => o.fullName));
  const messages = new Map<string, protobuf.Type>();
  collectMessages(root, messages, null);
  for (const n of [...messages.keys()]) if (refNames.has(`.${n}`)) messages.delete(n);
  return { schemaType: SchemaType.PROTOBUF, canonical: schema.trim(), root, pkg: main.package ?? '', messages };
}

/** The schema as a base64 FileDescriptorProto (Confluent's `format=serialized`). */
export function serializedProto(schema: string): string {
  if (isSerialized(schema)) return schema.trim();
  try {
    const parsed = protobuf.parse(schema, { keepCase: true });
    const set = toDescriptor(parsed.root);
    const file = set.file[0] ?? { name: 'schema.proto' };
    for (const imp of parsed.imports ?? []) file.dependency = [...(file.dependency ?? []), imp];
    return Buffer.from(ext.FileDescriptorProto.encode(file).finish()).toString('base64');
  } catch (e) {
    throw invalidSchema((e as Error).message);
  }
}

const WIRE_GROUPS: readonly (readonly string[])[] = [
  ['int32', 'uint32', 'int64', 'uint64', 'bool'],
  ['sint32', 'sint64'],
  ['fixed32', 'sfixed32'],
  ['fixed64', 'sfixed64'],
  ['string', 'bytes'],
];
const SCALARS = new Set(WIRE_GROUPS.flat().concat(['double', 'float']));

type Kind = 'scalar' | 'message' | 'enum' | 'map';
function kindOf(f: protobuf.Field): Kind {
  if (f instanceof protobuf.MapField) return 'map';
  if (SCALARS.has(f.type)) return 'scalar';
  return f.resolvedType instanceof protobuf.Enum ? 'enum' : 'message';
}
function isNumericScalar(f: protobuf.Field): boolean {
  return kindOf(f) === 'enum' || (kindOf(f) === 'scalar' && f.type !== 'string' && f.type !== 'bytes');
}
function oneofOf(f: protobuf.Field): string | null {
  // Proto3 `optional` fields live in a synthetic oneof named "_<field>": not a real oneof.
  const o = f.partOf;
  if (!o || (o.name === `_${f.name}` && o.oneof.length === 1)) return null;
  return o.name;
}

function compareMessage(w: protobuf.Type, r: protobuf.Type, name: string, issues: string[]): void {
  const rByNumber = new Map(r.fieldsArray.map((f) => [f.id, f]));
  const wByNumber = new Map(w.fieldsArray.map((f) => [f.id, f]));
  const movedToOneof = new Map<string, number>();
  for (const wf of w.fieldsArray) {
    const rf = rByNumber.get(wf.id);
    const at = `${name}.${wf.name} (${wf.id})`;
    if (!rf) {
      if (wf.required) issues.push(`REQUIRED_FIELD_REMOVED: ${at}`);
      else if (oneofOf(wf)) issues.push(`ONEOF_FIELD_REMOVED: ${at}`);
      continue;
    }
    const wk = kindOf(wf);
    const rk = kindOf(rf);
    if (wk !== rk) issues.push(`FIELD_KIND_CHANGED: ${at} ${wk} -> ${rk}`);
    else if (wk === 'scalar' && wf.type !== rf.type && !WIRE_GROUPS.some((g) => g.includes(wf.type) && g.includes(rf.type))) issues.push(`FIELD_SCALAR_KIND_CHANGED: ${at} ${wf.type} -> ${rf.type}`);
    else if ((wk === 'message' || wk === 'enum') && wf.resolvedType?.fullName !== rf.resolvedType?.fullName) issues.push(`FIELD_NAMED_TYPE_CHANGED: ${at} ${wf.resolvedType?.fullName ?? wf.type} -> ${rf.resolvedType?.fullName ?? rf.type}`);
    else if (wk === 'map' && ((wf as unknown as protobuf.MapField).keyType !== (rf as unknown as protobuf.MapField).keyType || wf.type !== rf.type)) issues.push(`FIELD_KIND_CHANGED: ${at} map types differ`);
    if (wf.repeated !== rf.repeated && isNumericScalar(wf)) issues.push(`FIELD_NUMERIC_LABEL_CHANGED: ${at}`);
    if (!wf.required && rf.required) issues.push(`REQUIRED_FIELD_ADDED: ${at} made required`);
    const wo = oneofOf(wf);
    const ro = oneofOf(rf);
    if (ro !== null && wo === null) {
      const existed = w.oneofsArray.some((o) => o.name === ro && oneofOf(o.fieldsArray[0] as protobuf.Field) !== null);
      if (existed) issues.push(`FIELD_MOVED_TO_EXISTING_ONEOF: ${at} -> ${ro}`);
      else movedToOneof.set(ro, (movedToOneof.get(ro) ?? 0) + 1);
    }
  }
  for (const [o, n] of movedToOneof) if (n > 1) issues.push(`MULTIPLE_FIELDS_MOVED_TO_ONEOF: ${name}.${o}`);
  for (const rf of r.fieldsArray) {
    if (!wByNumber.has(rf.id) && rf.required) issues.push(`REQUIRED_FIELD_ADDED: ${name}.${rf.name} (${rf.id})`);
  }
}
