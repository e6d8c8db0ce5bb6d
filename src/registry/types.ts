/**
 * The registry's data model, as Confluent Schema Registry defines it: a subject holds versions
 * 1..n, each pointing at a schema (a type, the schema text and its references) with a global id;
 * the same schema under two subjects has one id. Compatibility levels and modes per subject,
 * falling back to the global ones.
 */

export const SchemaType = { AVRO: 'AVRO', JSON: 'JSON', PROTOBUF: 'PROTOBUF' } as const;
export type SchemaType = (typeof SchemaType)[keyof typeof SchemaType];

export function isSchemaType(s: string): s is SchemaType {
  return Object.hasOwn(SchemaType, s);
}

export const CompatibilityLevel = {
  NONE: 'NONE',
  BACKWARD: 'BACKWARD',
  BACKWARD_TRANSITIVE: 'BACKWARD_TRANSITIVE',
  FORWARD: 'FORWARD',
  FORWARD_TRANSITIVE: 'FORWARD_TRANSITIVE',
  FULL: 'FULL',
  FULL_TRANSITIVE: 'FULL_TRANSITIVE',
} as const;
export type CompatibilityLevel = (typeof CompatibilityLevel)[keyof typeof CompatibilityLevel];

export function isCompatibilityLevel(s: string): s is CompatibilityLevel {
  return Object.hasOwn(CompatibilityLevel, s);
}

export const Mode = { READWRITE: 'READWRITE', READONLY: 'READONLY', READONLY_OVERRIDE: 'READONLY_OVERRIDE', IMPORT: 'IMPORT' } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

export function isMode(s: string): s is Mode {
  return Object.hasOwn(Mode, s);
}

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** One version of a subject, as stored in `_schemas` (Confluent's SchemaValue). */
export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  references: SchemaReference[];
  schema: string;
  deleted: boolean;
}

/** What a client sends to register, look up or test a schema. */
export interface SchemaInput {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** A version as the API shows it and as its `_schemas` record holds it (with `deleted`): schemaType left out for AVRO, references when any. */
export interface VersionView {
  subject: string;
  version: number;
  id: number;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  schema: string;
}

export function versionView(v: SubjectVersion): VersionView {
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    ...(v.schemaType !== SchemaType.AVRO ? { schemaType: v.schemaType } : {}),
    ...(v.references.length > 0 ? { references: v.references } : {}),
    schema: v.schema,
  };
}
