/**
 * The `_schemas` topic's records in Confluent Schema Registry's JSON format, so a topic written by
 * either can be read by the other:
 *   SCHEMA          key {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}
 *                   value {"subject","version","id","schemaType"?,"references"?,"schema","deleted"}
 *                   (schemaType left out for AVRO); a null value is a hard-deleted version
 *   CONFIG          key {"keytype":"CONFIG","subject":s|null,"magic":0}  value {"compatibilityLevel":L} or null
 *   MODE            key {"keytype":"MODE","subject":s|null,"magic":0}    value {"mode":M} or null
 *   DELETE_SUBJECT  key {"keytype":"DELETE_SUBJECT","subject":s,"magic":0} value {"subject":s,"version":v}
 *                   (every version up to v soft-deleted)
 *   CLEAR_SUBJECT   key {"keytype":"CLEAR_SUBJECT","subject":s,"magic":0}  value {"subject":s}
 *   NOOP            key {"keytype":"NOOP","magic":0}                       value null
 * Keys are written with this exact field order, as compaction compares key bytes.
 *
 * Untrusted input: records of unknown key types are ignored (Confluent does the same); a record
 * whose JSON does not match its key type throws (the store logs and skips it).
 */
import { isCompatibilityLevel, isMode, isSchemaType, versionView, type CompatibilityLevel, type Mode, type SchemaReference, type SubjectVersion } from './types.js';

export type StoreEvent =
  | { kind: 'schema'; subject: string; version: number; value: SubjectVersion | null }
  | { kind: 'config'; subject: string | null; level: CompatibilityLevel | null }
  | { kind: 'mode'; subject: string | null; mode: Mode | null }
  | { kind: 'delete-subject'; subject: string; version: number }
  | { kind: 'clear-subject'; subject: string }
  | { kind: 'noop' };

export function schemaKey(subject: string, version: number): Buffer {
  return Buffer.from(JSON.stringify({ keytype: 'SCHEMA', subject, version, magic: 1 }));
}
export function configKey(subject: string | null): Buffer {
  return Buffer.from(JSON.stringify({ keytype: 'CONFIG', subject, magic: 0 }));
}
export function modeKey(subject: string | null): Buffer {
  return Buffer.from(JSON.stringify({ keytype: 'MODE', subject, magic: 0 }));
}
export function deleteSubjectKey(subject: string): Buffer {
  return Buffer.from(JSON.stringify({ keytype: 'DELETE_SUBJECT', subject, magic: 0 }));
}
export function noopKey(): Buffer {
  return Buffer.from(JSON.stringify({ keytype: 'NOOP', magic: 0 }));
}

export function schemaValue(v: SubjectVersion): Buffer {
  return Buffer.from(JSON.stringify({ ...versionView(v), deleted: v.deleted }));
}
export function configValue(level: CompatibilityLevel): Buffer {
  return Buffer.from(JSON.stringify({ compatibilityLevel: level }));
}
export function modeValue(mode: Mode): Buffer {
  return Buffer.from(JSON.stringify({ mode }));
}
export function deleteSubjectValue(subject: string, version: number): Buffer {
  return Buffer.from(JSON.stringify({ subject, version }));
}

function obj(buf: Buffer, what: string): Record<string, unknown> {
  const v: unknown = JSON.parse(buf.toString('utf8'));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}
function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`field '${k}' is not a string`);
  return v;
}
function int(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`field '${k}' is not an integer`);
  return v;
}
function optSubject(o: Record<string, unknown>): string | null {
  const v = o['subject'];
  return typeof v === 'string' ? v : null;
}

function references(v: unknown): SchemaReference[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error("field 'references' is not an array");
  return v.map((r: unknown) => {
    if (typeof r !== 'object' || r === null) throw new Error('a reference is not an object');
    const o = r as Record<string, unknown>;
    return { name: str(o, 'name'), subject: str(o, 'subject'), version: int(o, 'version') };
  });
}

/** Decodes one record of the topic; null for key types the registry does not know. */
export function decodeStoreRecord(key: Buffer, value: Buffer | null): StoreEvent | null {
  const k = obj(key, 'key');
  switch (k['keytype']) {
    case 'SCHEMA': {
      const subject = str(k, 'subject');
      const version = int(k, 'version');
      if (value === null) return { kind: 'schema', subject, version, value: null };
      const o = obj(value, 'value');
      const t = typeof o['schemaType'] === 'string' ? (o['schemaType'] as string) : 'AVRO';
      if (!isSchemaType(t)) throw new Error(`unknown schemaType '${t}'`);
      return {
        kind: 'schema',
        subject,
        version,
        value: { subject, version, id: int(o, 'id'), schemaType: t, references: references(o['references']), schema: str(o, 'schema'), deleted: o['deleted'] === true },
      };
    }
    case 'CONFIG': {
      const subject = optSubject(k);
      if (value === null) return { kind: 'config', subject, level: null };
      const o = obj(value, 'value');
      const level = o['compatibilityLevel'] ?? o['compatibility'];
      if (typeof level !== 'string' || !isCompatibilityLevel(level)) return { kind: 'config', subject, level: null };
      return { kind: 'config', subject, level };
    }
    case 'MODE': {
      const subject = optSubject(k);
      if (value === null) return { kind: 'mode', subject, mode: null };
      const mode = obj(value, 'value')['mode'];
      if (typeof mode !== 'string' || !isMode(mode)) return { kind: 'mode', subject, mode: null };
      return { kind: 'mode', subject, mode };
    }
    case 'DELETE_SUBJECT': {
      if (value === null) return null;
      const o = obj(value, 'value');
      return { kind: 'delete-subject', subject: str(o, 'subject'), version: int(o, 'version') };
    }
    case 'CLEAR_SUBJECT':
      return value === null ? null : { kind: 'clear-subject', subject: str(obj(value, 'value'), 'subject') };
    case 'NOOP':
      return { kind: 'noop' };
    default:
      return null;
  }
}
