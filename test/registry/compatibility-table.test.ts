/**
 * Issue 19 must-show 2: the compatibility table. Each row is an evolution old → new of one schema
 * with the verdict of BACKWARD (the new schema reads data written with the old one) and FORWARD
 * (the old schema reads data written with the new one), each taken from the format's documented
 * rule cited in the row; FULL is both, NONE always accepts. Checked through the registry's own
 * parsing and checker (src/registry/compatibility.ts with each format module), at every level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCompatibility } from '../../src/registry/compatibility.js';
import { avroFormat } from '../../src/registry/formats/avro.js';
import type { ParsedSchema, SchemaFormat } from '../../src/registry/formats/format.js';
import { jsonSchemaFormat } from '../../src/registry/formats/json-schema.js';
import { protobufFormat } from '../../src/registry/formats/protobuf.js';
import { CompatibilityLevel } from '../../src/registry/types.js';

interface Row {
  format: 'AVRO' | 'JSON' | 'PROTOBUF';
  what: string;
  old: unknown;
  new: unknown;
  backward: boolean;
  forward: boolean;
  /** The documented rule the verdicts come from. */
  rule: string;
}

const rec = (fields: unknown[], extra: Record<string, unknown> = {}): unknown => ({ type: 'record', name: 'R', namespace: 'ns', fields, ...extra });
const f = (name: string, type: unknown, extra: Record<string, unknown> = {}): unknown => ({ name, type, ...extra });
const enm = (symbols: string[], extra: Record<string, unknown> = {}): unknown => ({ type: 'enum', name: 'E', symbols, ...extra });
const AVRO_RES = 'Avro spec, Schema Resolution';

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({ type: 'object', properties, ...extra });
const CONF_JSON = "Confluent JSON Schema compatibility (SchemaDiff difference type)";

const proto = (body: string, pkg = 'p', syntax = 'proto3'): string => `syntax = "${syntax}";\npackage ${pkg};\n${body}\n`;
const CONF_PROTO = 'Confluent Protobuf compatibility (ProtobufSchema diff)';

const rows: Row[] = [
  // ---- Avro -------------------------------------------------------------------------------
  { format: 'AVRO', what: 'field added with a default', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'int', { default: 0 })]), backward: true, forward: true, rule: `${AVRO_RES}: a reader field missing from the writer takes its default; writer fields unknown to the reader are ignored` },
  { format: 'AVRO', what: 'field added without a default', old: rec([f('a', 'int')]), new: rec([f('a', 'int'), f('b', 'int')]), backward: false, forward: true, rule: `${AVRO_RES}: a reader field without a default missing from the writer is an error` },
  { format: 'AVRO', what: 'field with a default removed', old: rec([f('a', 'int'), f('b', 'int', { default: 0 })]), new: rec([f('a', 'int')]), backward: true, forward: true, rule: `${AVRO_RES}: ignored writer field / reader default` },
  { format: 'AVRO', what: 'field without a default removed', old: rec([f('a', 'int'), f('b', 'int')]), new: rec([f('a', 'int')]), backward: true, forward: false, rule: `${AVRO_RES}: the old reader's field b has no default` },
  { format: 'AVRO', what: 'int promoted to long', old: rec([f('a', 'int')]), new: rec([f('a', 'long')]), backward: true, forward: false, rule: `${AVRO_RES}: int is promotable to long, float, double (not back)` },
  { format: 'AVRO', what: 'long narrowed to int', old: rec([f('a', 'long')]), new: rec([f('a', 'int')]), backward: false, forward: true, rule: `${AVRO_RES}: no demotion long -> int` },
  { format: 'AVRO', what: 'float promoted to double', old: 'float', new: 'double', backward: true, forward: false, rule: `${AVRO_RES}: float is promotable to double` },
  { format: 'AVRO', what: 'int promoted to double', old: 'int', new: 'double', backward: true, forward: false, rule: `${AVRO_RES}: int is promotable to double` },
  { format: 'AVRO', what: 'long promoted to float', old: 'long', new: 'float', backward: true, forward: false, rule: `${AVRO_RES}: long is promotable to float, double` },
  { format: 'AVRO', what: 'string changed to bytes', old: rec([f('a', 'string')]), new: rec([f('a', 'bytes')]), backward: true, forward: true, rule: `${AVRO_RES}: string is promotable to bytes and bytes to string` },
  { format: 'AVRO', what: 'string changed to int', old: rec([f('a', 'string')]), new: rec([f('a', 'int')]), backward: false, forward: false, rule: `${AVRO_RES}: primitive types must match or be promotable` },
  { format: 'AVRO', what: 'enum symbol added', old: enm(['A', 'B']), new: enm(['A', 'B', 'C']), backward: true, forward: false, rule: `${AVRO_RES}: a writer symbol missing from the reader's enum is an error unless the reader has a default` },
  { format: 'AVRO', what: 'enum symbol removed', old: enm(['A', 'B', 'C']), new: enm(['A', 'B']), backward: false, forward: true, rule: `${AVRO_RES}: enum symbols` },
  { format: 'AVRO', what: 'enum symbol added, both with an enum default', old: enm(['A', 'B'], { default: 'A' }), new: enm(['A', 'B', 'C'], { default: 'A' }), backward: true, forward: true, rule: `${AVRO_RES}: an unknown writer symbol resolves to the reader's enum default` },
  { format: 'AVRO', what: 'record renamed', old: rec([f('a', 'int')]), new: { type: 'record', name: 'S', namespace: 'ns', fields: [f('a', 'int')] }, backward: false, forward: false, rule: `${AVRO_RES}: both schemas are records with the same name (or a reader alias)` },
  { format: 'AVRO', what: 'record renamed with an alias for the old name', old: rec([f('a', 'int')]), new: { type: 'record', name: 'S', namespace: 'ns', aliases: ['ns.R'], fields: [f('a', 'int')] }, backward: true, forward: false, rule: `${AVRO_RES} + Aliases: the reader's aliases match the writer's name` },
  { format: 'AVRO', what: 'record namespace changed, same name', old: rec([f('a', 'int')]), new: { type: 'record', name: 'R', namespace: 'other', fields: [f('a', 'int')] }, backward: true, forward: true, rule: `${AVRO_RES}: named types match by unqualified name (Java Avro SchemaCompatibility, used by Confluent)` },
  { format: 'AVRO', what: 'field renamed with an alias for the old name', old: rec([f('a', 'int')]), new: rec([f('z', 'int', { aliases: ['a'] })]), backward: true, forward: false, rule: `${AVRO_RES} + Aliases: reader field aliases` },
  { format: 'AVRO', what: 'string made nullable (union)', old: rec([f('a', 'string')]), new: rec([f('a', ['null', 'string'], { default: null })]), backward: true, forward: false, rule: `${AVRO_RES}: a non-union writer is read by the first matching reader branch; a union writer needs every branch readable` },
  { format: 'AVRO', what: 'union branch added', old: ['null', 'string'], new: ['null', 'string', 'int'], backward: true, forward: false, rule: `${AVRO_RES}: every writer branch must match some reader branch` },
  { format: 'AVRO', what: 'fixed size changed', old: { type: 'fixed', name: 'F', size: 4 }, new: { type: 'fixed', name: 'F', size: 8 }, backward: false, forward: false, rule: `${AVRO_RES}: fixed schemas must have the same name and size` },
  { format: 'AVRO', what: 'array items promoted int to long', old: { type: 'array', items: 'int' }, new: { type: 'array', items: 'long' }, backward: true, forward: false, rule: `${AVRO_RES}: arrays resolve their item types recursively` },
  { format: 'AVRO', what: 'map values changed int to string', old: { type: 'map', values: 'int' }, new: { type: 'map', values: 'string' }, backward: false, forward: false, rule: `${AVRO_RES}: maps resolve their value types recursively` },

  // ---- JSON Schema ------------------------------------------------------------------------
  { format: 'JSON', what: 'optional property added to a closed model', old: obj({ a: { type: 'string' } }, { additionalProperties: false }), new: obj({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false }), backward: true, forward: false, rule: `${CONF_JSON}: OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL compatible; reverse PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL incompatible` },
  { format: 'JSON', what: 'typed property added to an open model', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'string' }, b: { type: 'integer' } }), backward: false, forward: true, rule: `${CONF_JSON}: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL incompatible; reverse PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL compatible` },
  { format: 'JSON', what: 'required property added to a closed model', old: obj({ a: { type: 'string' } }, { additionalProperties: false }), new: obj({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false, required: ['b'] }), backward: false, forward: false, rule: `${CONF_JSON}: REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL incompatible; reverse PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL` },
  { format: 'JSON', what: 'property removed from a closed model', old: obj({ a: { type: 'string' }, b: { type: 'integer' } }, { additionalProperties: false }), new: obj({ a: { type: 'string' } }, { additionalProperties: false }), backward: false, forward: true, rule: `${CONF_JSON}: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL incompatible` },
  { format: 'JSON', what: 'property removed from an open model', old: obj({ a: { type: 'string' }, b: { type: 'integer' } }), new: obj({ a: { type: 'string' } }), backward: true, forward: false, rule: `${CONF_JSON}: PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL compatible; reverse PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL` },
  { format: 'JSON', what: 'integer widened to number', old: obj({ a: { type: 'integer' } }), new: obj({ a: { type: 'number' } }), backward: true, forward: false, rule: `${CONF_JSON}: TYPE_EXTENDED compatible, TYPE_NARROWED incompatible` },
  { format: 'JSON', what: 'string changed to integer', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'integer' } }), backward: false, forward: false, rule: `${CONF_JSON}: TYPE_CHANGED incompatible` },
  { format: 'JSON', what: 'maxLength added', old: { type: 'string' }, new: { type: 'string', maxLength: 10 }, backward: false, forward: true, rule: `${CONF_JSON}: MAX_LENGTH_ADDED incompatible, MAX_LENGTH_REMOVED compatible` },
  { format: 'JSON', what: 'maxLength increased', old: { type: 'string', maxLength: 10 }, new: { type: 'string', maxLength: 20 }, backward: true, forward: false, rule: `${CONF_JSON}: MAX_LENGTH_INCREASED compatible, MAX_LENGTH_DECREASED incompatible` },
  { format: 'JSON', what: 'minimum added', old: { type: 'number' }, new: { type: 'number', minimum: 0 }, backward: false, forward: true, rule: `${CONF_JSON}: MINIMUM_ADDED incompatible, MINIMUM_REMOVED compatible` },
  { format: 'JSON', what: 'enum value added', old: { type: 'string', enum: ['a', 'b'] }, new: { type: 'string', enum: ['a', 'b', 'c'] }, backward: true, forward: false, rule: `${CONF_JSON}: ENUM_ARRAY_EXTENDED compatible, ENUM_ARRAY_NARROWED incompatible` },
  { format: 'JSON', what: 'existing property made required', old: obj({ a: { type: 'string' } }), new: obj({ a: { type: 'string' } }, { required: ['a'] }), backward: false, forward: true, rule: `${CONF_JSON}: REQUIRED_ATTRIBUTE_ADDED incompatible, REQUIRED_ATTRIBUTE_REMOVED compatible` },
  { format: 'JSON', what: 'closed model opened (additionalProperties false removed)', old: obj({ a: { type: 'string' } }, { additionalProperties: false }), new: obj({ a: { type: 'string' } }), backward: true, forward: false, rule: `${CONF_JSON}: ADDITIONAL_PROPERTIES_ADDED compatible, ADDITIONAL_PROPERTIES_REMOVED incompatible` },
  { format: 'JSON', what: 'pattern added', old: { type: 'string' }, new: { type: 'string', pattern: '^[a-z]+$' }, backward: false, forward: true, rule: `${CONF_JSON}: PATTERN_ADDED incompatible, PATTERN_REMOVED compatible` },
  { format: 'JSON', what: 'oneOf alternative added', old: { oneOf: [{ type: 'string' }, { type: 'integer' }] }, new: { oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] }, backward: true, forward: false, rule: `${CONF_JSON}: COMBINED_TYPE_EXTENDED compatible, COMBINED_TYPE_SUBSCHEMAS_CHANGED (alternative removed) incompatible` },
  { format: 'JSON', what: 'array items changed string to integer', old: { type: 'array', items: { type: 'string' } }, new: { type: 'array', items: { type: 'integer' } }, backward: false, forward: false, rule: `${CONF_JSON}: TYPE_CHANGED under items` },
  { format: 'JSON', what: 'schema replaced by the empty schema', old: obj({ a: { type: 'string' } }), new: {}, backward: true, forward: false, rule: `${CONF_JSON}: anything can change to the empty schema; the reverse is TYPE_NARROWED` },

  // ---- Protobuf ---------------------------------------------------------------------------
  { format: 'PROTOBUF', what: 'field added', old: proto('message M { string a = 1; }'), new: proto('message M { string a = 1; int32 b = 2; }'), backward: true, forward: true, rule: `${CONF_PROTO}: FIELD_ADDED compatible (and FIELD_REMOVED in reverse)` },
  { format: 'PROTOBUF', what: 'field removed', old: proto('message M { string a = 1; int32 b = 2; }'), new: proto('message M { string a = 1; }'), backward: true, forward: true, rule: `${CONF_PROTO}: FIELD_REMOVED compatible in proto3` },
  { format: 'PROTOBUF', what: 'field renamed, same number', old: proto('message M { string a = 1; }'), new: proto('message M { string renamed = 1; }'), backward: true, forward: true, rule: `${CONF_PROTO}: FIELD_NAME_CHANGED compatible (names are not on the wire)` },
  { format: 'PROTOBUF', what: 'int32 changed to int64', old: proto('message M { int32 a = 1; }'), new: proto('message M { int64 a = 1; }'), backward: true, forward: true, rule: `${CONF_PROTO}: FIELD_SCALAR_KIND_CHANGED within the varint group {int32,uint32,int64,uint64,bool} compatible` },
  { format: 'PROTOBUF', what: 'int32 changed to string', old: proto('message M { int32 a = 1; }'), new: proto('message M { string a = 1; }'), backward: false, forward: false, rule: `${CONF_PROTO}: FIELD_SCALAR_KIND_CHANGED across wire types incompatible` },
  { format: 'PROTOBUF', what: 'string changed to bytes', old: proto('message M { string a = 1; }'), new: proto('message M { bytes a = 1; }'), backward: true, forward: true, rule: `${CONF_PROTO}: string and bytes are one length-delimited group` },
  { format: 'PROTOBUF', what: 'message removed', old: proto('message M { string a = 1; }\nmessage N { string b = 1; }'), new: proto('message M { string a = 1; }'), backward: false, forward: true, rule: `${CONF_PROTO}: MESSAGE_REMOVED incompatible, MESSAGE_ADDED compatible` },
  { format: 'PROTOBUF', what: 'package changed', old: proto('message M { string a = 1; }', 'p'), new: proto('message M { string a = 1; }', 'q'), backward: false, forward: false, rule: `${CONF_PROTO}: PACKAGE_CHANGED incompatible` },
  { format: 'PROTOBUF', what: 'enum value added', old: proto('enum E { A = 0; B = 1; }\nmessage M { E e = 1; }'), new: proto('enum E { A = 0; B = 1; C = 2; }\nmessage M { E e = 1; }'), backward: true, forward: true, rule: `${CONF_PROTO}: ENUM_CONST_ADDED compatible` },
  { format: 'PROTOBUF', what: 'field type changed to another message', old: proto('message A { string x = 1; }\nmessage B { string x = 1; }\nmessage M { A f = 1; }'), new: proto('message A { string x = 1; }\nmessage B { string x = 1; }\nmessage M { B f = 1; }'), backward: false, forward: false, rule: `${CONF_PROTO}: FIELD_NAMED_TYPE_CHANGED incompatible` },
  { format: 'PROTOBUF', what: 'scalar field changed to a message', old: proto('message A { string x = 1; }\nmessage M { string f = 1; }'), new: proto('message A { string x = 1; }\nmessage M { A f = 1; }'), backward: false, forward: false, rule: `${CONF_PROTO}: FIELD_KIND_CHANGED incompatible` },
  { format: 'PROTOBUF', what: 'int32 made repeated', old: proto('message M { int32 a = 1; }'), new: proto('message M { repeated int32 a = 1; }'), backward: false, forward: false, rule: `${CONF_PROTO}: FIELD_NUMERIC_LABEL_CHANGED incompatible (packed encoding)` },
  { format: 'PROTOBUF', what: 'string made repeated', old: proto('message M { string a = 1; }'), new: proto('message M { repeated string a = 1; }'), backward: true, forward: true, rule: `${CONF_PROTO}: a length-delimited field may change between single and repeated` },
  { format: 'PROTOBUF', what: 'proto2 required field added', old: proto('message M { optional string a = 1; }', 'p', 'proto2'), new: proto('message M { optional string a = 1; required int32 b = 2; }', 'p', 'proto2'), backward: false, forward: false, rule: `${CONF_PROTO}: REQUIRED_FIELD_ADDED and REQUIRED_FIELD_REMOVED incompatible` },
  { format: 'PROTOBUF', what: 'oneof field removed', old: proto('message M { oneof o { string a = 1; int32 b = 2; } }'), new: proto('message M { oneof o { string a = 1; } }'), backward: false, forward: true, rule: `${CONF_PROTO}: ONEOF_FIELD_REMOVED incompatible, ONEOF_FIELD_ADDED compatible` },
  { format: 'PROTOBUF', what: 'field moved into an existing oneof', old: proto('message M { oneof o { string a = 1; } string b = 2; }'), new: proto('message M { oneof o { string a = 1; string b = 2; } }'), backward: false, forward: true, rule: `${CONF_PROTO}: FIELD_MOVED_TO_EXISTING_ONEOF incompatible` },
  { format: 'PROTOBUF', what: 'single field moved into a new oneof', old: proto('message M { string a = 1; }'), new: proto('message M { oneof o { string a = 1; } }'), backward: true, forward: true, rule: `${CONF_PROTO}: ONEOF_ADDED with one existing field compatible` },
];

const FORMATS: Record<Row['format'], SchemaFormat> = { AVRO: avroFormat as SchemaFormat, JSON: jsonSchemaFormat as SchemaFormat, PROTOBUF: protobufFormat as SchemaFormat };

function parse(format: Row['format'], s: unknown): ParsedSchema {
  return FORMATS[format].parse(typeof s === 'string' && format === 'PROTOBUF' ? s : JSON.stringify(s), [], false);
}

test(`compatibility table: ${rows.length} schema pairs across Avro, JSON Schema and Protobuf at every level`, () => {
  assert.ok(rows.length >= 40);
  const failures: string[] = [];
  for (const r of rows) {
    const format = FORMATS[r.format];
    const old = parse(r.format, r.old);
    const candidate = parse(r.format, r.new);
    const expected: Record<CompatibilityLevel, boolean> = {
      NONE: true,
      BACKWARD: r.backward,
      BACKWARD_TRANSITIVE: r.backward,
      FORWARD: r.forward,
      FORWARD_TRANSITIVE: r.forward,
      FULL: r.backward && r.forward,
      FULL_TRANSITIVE: r.backward && r.forward,
    };
    for (const level of Object.values(CompatibilityLevel)) {
      const issues = checkCompatibility(format, level, candidate, [{ version: 1, parsed: old }]);
      if ((issues.length === 0) !== expected[level]) {
        failures.push(`${r.format} ${r.what} under ${level}: expected ${expected[level] ? 'compatible' : 'incompatible'} (${r.rule}), got ${issues.length === 0 ? 'compatible' : issues.join('; ')}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('transitive levels check every live version, the plain ones only the latest (Avro chains)', () => {
  // BACKWARD: v3 (b without default) reads v2 (has b) but not v1 (no b).
  const b = [rec([f('a', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 0 })]), rec([f('a', 'int'), f('b', 'int')])].map((s) => parse('AVRO', s));
  const prevB = [{ version: 1, parsed: b[0] as ParsedSchema }, { version: 2, parsed: b[1] as ParsedSchema }];
  assert.deepEqual(checkCompatibility(avroFormat as SchemaFormat, 'BACKWARD', b[2] as ParsedSchema, prevB), []);
  assert.notDeepEqual(checkCompatibility(avroFormat as SchemaFormat, 'BACKWARD_TRANSITIVE', b[2] as ParsedSchema, prevB), []);
  assert.notDeepEqual(checkCompatibility(avroFormat as SchemaFormat, 'FULL_TRANSITIVE', b[2] as ParsedSchema, prevB), []);
  // FORWARD: v1 (b without default) cannot read v3 (no b); v2 (b with default) can.
  const fw = [rec([f('a', 'int'), f('b', 'int')]), rec([f('a', 'int'), f('b', 'int', { default: 0 })]), rec([f('a', 'int')])].map((s) => parse('AVRO', s));
  const prevF = [{ version: 1, parsed: fw[0] as ParsedSchema }, { version: 2, parsed: fw[1] as ParsedSchema }];
  assert.deepEqual(checkCompatibility(avroFormat as SchemaFormat, 'FORWARD', fw[2] as ParsedSchema, prevF), []);
  assert.notDeepEqual(checkCompatibility(avroFormat as SchemaFormat, 'FORWARD_TRANSITIVE', fw[2] as ParsedSchema, prevF), []);
});
