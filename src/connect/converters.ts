/**
 * Converters between Connect values and record bytes, chosen by `key.converter` /
 * `value.converter` (worker or connector config, the connector's wins) with their settings under
 * the `key.converter.` / `value.converter.` prefixes.
 *
 * Kafka's rules kept: StringConverter writes UTF-8 text (a non-string value is written as its
 * string form) and reads bytes as a string; ByteArrayConverter passes bytes through (a non-Buffer
 * value is a DataException); JsonConverter with `schemas.enable=true` (the default) writes and
 * expects the {"schema":..., "payload":...} envelope, with false plain JSON; null stays null (a
 * tombstone); io.confluent.connect.avro.AvroConverter (avro-converter.ts) writes the schema
 * registry's wire format. Samsa's deviations: JsonConverter infers a schema from the value when the record
 * has none; bytes in JSON are base64 as in Kafka, but read back as a string unless the envelope
 * says "bytes".
 */
import { ConfigError, DataError, type ConnectSchema } from './api.js';
import { createAvroConverter, AVRO_CONVERTER_CLASS } from './avro-converter.js';
import { inferSchema } from './schema-infer.js';

export { inferSchema };

/** Converts a record's key or value; a converter that talks to a schema registry answers promises. */
export interface Converter {
  fromConnectData(topic: string, schema: ConnectSchema | null | undefined, value: unknown): Buffer | null | Promise<Buffer | null>;
  toConnectData(topic: string, bytes: Buffer | null): ConnectData | Promise<ConnectData>;
}

export interface ConnectData {
  schema: ConnectSchema | null;
  value: unknown;
}

export const CONVERTER_CLASSES = {
  string: 'org.apache.kafka.connect.storage.StringConverter',
  json: 'org.apache.kafka.connect.json.JsonConverter',
  bytes: 'org.apache.kafka.connect.converters.ByteArrayConverter',
  avro: AVRO_CONVERTER_CLASS,
} as const;

const alias = (cls: string): string => cls.slice(cls.lastIndexOf('.') + 1);

class StringConverter implements Converter {
  fromConnectData(_topic: string, _schema: ConnectSchema | null | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return Buffer.from(value);
    return Buffer.from(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value), 'utf8');
  }
  toConnectData(_topic: string, bytes: Buffer | null): { schema: ConnectSchema | null; value: unknown } {
    return { schema: { type: 'string', optional: true }, value: bytes === null ? null : bytes.toString('utf8') };
  }
}

class ByteArrayConverter implements Converter {
  fromConnectData(_topic: string, _schema: ConnectSchema | null | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (!Buffer.isBuffer(value)) throw new DataError('ByteArrayConverter is not compatible with objects of type ' + typeof value);
    return value;
  }
  toConnectData(_topic: string, bytes: Buffer | null): { schema: ConnectSchema | null; value: unknown } {
    return { schema: { type: 'bytes', optional: true }, value: bytes };
  }
}

function toJsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}

function fromJsonValue(schema: ConnectSchema | null, value: unknown): unknown {
  if (value === null || schema === null) return value;
  if (schema.type === 'bytes' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (schema.type === 'struct' && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of schema.fields ?? []) if (f.field !== undefined) out[f.field] = fromJsonValue(f, obj[f.field] ?? null);
    return out;
  }
  return value;
}

class JsonConverter implements Converter {
  constructor(private readonly schemasEnable: boolean) {}
  fromConnectData(_topic: string, schema: ConnectSchema | null | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) return this.schemasEnable ? Buffer.from('{"schema":null,"payload":null}') : null;
    const payload = toJsonValue(value);
    return Buffer.from(JSON.stringify(this.schemasEnable ? { schema: schema ?? inferSchema(value), payload } : payload), 'utf8');
  }
  toConnectData(_topic: string, bytes: Buffer | null): { schema: ConnectSchema | null; value: unknown } {
    if (bytes === null || bytes.length === 0) return { schema: null, value: null };
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new DataError(`Converting byte[] to Kafka Connect data failed due to serialization error: ${(e as Error).message}`);
    }
    if (!this.schemasEnable) return { schema: null, value: parsed };
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('schema' in parsed) || !('payload' in parsed) || Object.keys(parsed).length !== 2) {
      throw new DataError('JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.');
    }
    const env = parsed as { schema: ConnectSchema | null; payload: unknown };
    return { schema: env.schema, value: fromJsonValue(env.schema, env.payload) };
  }
}

/** Converters of loaded plug-ins (PluginRegistry). */
export interface ConverterLookup {
  converter(cls: string): { create(settings: (k: string) => string | undefined, isKey: boolean): Converter } | undefined;
}

/** The converter named by `config[prefix]` (a class name or its simple name), with its prefixed settings. */
export function createConverter(config: Readonly<Record<string, string>>, prefix: 'key.converter' | 'value.converter' | 'header.converter', fallback: string = CONVERTER_CLASSES.json, plugins?: ConverterLookup): Converter {
  const cls = (config[prefix] ?? fallback).trim();
  const sub = (k: string): string | undefined => config[`${prefix}.${k}`];
  const custom = plugins?.converter(cls);
  if (custom) return custom.create(sub, prefix === 'key.converter');
  if (cls === CONVERTER_CLASSES.string || cls === alias(CONVERTER_CLASSES.string)) return new StringConverter();
  if (cls === CONVERTER_CLASSES.bytes || cls === alias(CONVERTER_CLASSES.bytes)) return new ByteArrayConverter();
  if (cls === CONVERTER_CLASSES.json || cls === alias(CONVERTER_CLASSES.json)) return new JsonConverter((sub('schemas.enable') ?? 'true').toLowerCase() !== 'false');
  if (cls === CONVERTER_CLASSES.avro || cls === alias(CONVERTER_CLASSES.avro)) return createAvroConverter(prefix === 'key.converter', sub);
  throw new ConfigError(`Invalid value ${cls} for configuration ${prefix}: Class ${cls} could not be found.`);
}
