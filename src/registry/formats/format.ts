/**
 * What the registry needs from a schema format: parse a schema (with the schemas its references
 * name, dependencies first) into a canonical text, and list why data written with one schema
 * could not be read with another (an empty list: it can). The compatibility modes
 * (compatibility.ts) are built on that one reader/writer question, as Confluent's are.
 */
import type { SchemaType } from '../types.js';

/** A referenced schema, resolved: the name the referring schema uses, and its text. */
export interface ResolvedReference {
  name: string;
  schema: string;
}

export interface ParsedSchema {
  readonly schemaType: SchemaType;
  /** The text stored and compared for de-duplication. */
  readonly canonical: string;
}

export interface SchemaFormat<P extends ParsedSchema = ParsedSchema> {
  readonly schemaType: SchemaType;
  /** Throws RegistryError 42201 when the schema is not valid. */
  parse(schema: string, references: readonly ResolvedReference[], normalize: boolean): P;
  /** Why `reader` cannot read data written with `writer` (empty when it can). */
  readIssues(reader: P, writer: P): string[];
}
