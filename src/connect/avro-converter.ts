/**
 * Confluent's AvroConverter (io.confluent.connect.avro.AvroConverter): a record's Connect schema
 * becomes an Avro schema registered in a schema registry (Samsa's or Confluent's, over its HTTP
 * API) under `<topic>-value` / `<topic>-key`, and the bytes are the registry's wire format:
 * magic byte 0, the 4-byte big-endian schema id, then the Avro binary encoding. Reading takes the
 * writer's schema by id from the registry.
 *
 * Confluent's rules kept (AvroData): settings `schema.registry.url` (several: the first that
 * answers), `auto.register.schemas` (default true; false looks the schema up under the subject),
 * `basic.auth.credentials.source=USER_INFO` with `basic.auth.user.info`; a struct is a record
 * named after the Connect schema (unnamed: io.confluent.connect.avro.ConnectDefault), an optional
 * field is the union ["null", T] with default null; int8/int16 are Avro ints marked
 * "connect.type"; Timestamp is a long with logicalType timestamp-millis, Date an int with
 * logicalType date; null stays null (a tombstone); bytes with another magic byte are a
 * DataException ("Unknown magic byte!"). Samsa's deviations: a value without a schema gets one
 * inferred (schema-infer.ts) instead of being refused; maps always have string keys; unions other
 * than ["null", T] read as their first non-null branch; no Decimal, no schema references.
 */
import avro from 'avsc';
import { ConfigError, DataError, RetriableError, type ConnectSchema } from './api.js';
import type { ConnectData, Converter } from './converters.js';
import { inferSchema } from './schema-infer.js';

export const AVRO_CONVERTER_CLASS = 'io.confluent.connect.avro.AvroConverter';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const DEFAULT_NAMESPACE = 'io.confluent.connect.avro';
const TIMESTAMP = 'org.apache.kafka.connect.data.Timestamp';
const DATE = 'org.apache.kafka.connect.data.Date';

type AvroSchema = string | { [k: string]: unknown } | AvroSchema[];

/** A schema registry spoken to over Confluent's HTTP API; ids and schemas cached (an id never changes meaning). */
class RegistryClient {
  private readonly byId = new Map<number, Promise<string>>();
  private readonly ids = new Map<string, Promise<number>>();

  constructor(
    private readonly urls: string[],
    private readonly auth: string | null,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let last: unknown = null;
    for (const base of this.urls) {
      let res: Response;
      try {
        res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
          method,
          headers: { accept: CONTENT_TYPE, ...(body !== undefined ? { 'content-type': CONTENT_TYPE } : {}), ...(this.auth !== null ? { authorization: `Basic ${Buffer.from(this.auth).toString('base64')}` } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        last = e;
        continue;
      }
      const text = await res.text();
      if (res.status >= 500) {
        last = new Error(`HTTP ${res.status} ${text}`);
        continue;
      }
      if (res.status >= 400) throw new DataError(`Schema registry ${method} ${path}: HTTP ${res.status} ${text}`);
      return JSON.parse(text) as T;
    }
    throw new RetriableError(`Schema registry not reachable at ${this.urls.join(', ')}: ${last instanceof Error ? last.message : String(last)}`);
  }

  /** The id of `schema` under `subject` (registered when `register`). */
  idOf(subject: string, schema: string, register: boolean): Promise<number> {
    const k = `${subject}\u0000${schema}`;
    let p = this.ids.get(k);
    if (!p) {
      p = this.call<{ id: number }>('POST', register ? `/subjects/${encodeURIComponent(subject)}/versions` : `/subjects/${encodeURIComponent(subject)}`, { schema }).then((r) => r.id);
      p.catch(() => this.ids.delete(k));
      this.ids.set(k, p);
    }
    return p;
  }

  schema(id: number): Promise<string> {
    let p = this.byId.get(id);
    if (!p) {
      p = this.call<{ schema: string; schemaType?: string }>('GET', `/schemas/ids/${id}`).then((r) => {
        if (r.schemaType !== undefined && r.schemaType !== 'AVRO') throw new DataError(`Schema ${id} is a ${r.schemaType} schema, not Avro`);
        return r.schema;
      });
      p.catch(() => this.byId.delete(id));
      this.byId.set(id, p);
    }
    return p;
  }
}

/** Connect schema → Avro schema (AvroData.fromConnectSchema). */
function toAvroSchema(s: ConnectSchema, names: { n: number }): AvroSchema {
  const base = ((): AvroSchema => {
    if (s.name === TIMESTAMP) return { type: 'long', 'connect.version': 1, 'connect.name': TIMESTAMP, logicalType: 'timestamp-millis' };
    if (s.name === DATE) return { type: 'int', 'connect.version': 1, 'connect.name': DATE, logicalType: 'date' };
    switch (s.type) {
      case 'int8':
      case 'int16':
        return { type: 'int', 'connect.type': s.type };
      case 'int32':
        return 'int';
      case 'int64':
        return 'long';
      case 'float32':
      case 'float':
        return 'float';
      case 'float64':
      case 'double':
        return 'double';
      case 'boolean':
        return 'boolean';
      case 'string':
        return 'string';
      case 'bytes':
        return 'bytes';
      case 'array':
        return { type: 'array', items: toAvroSchema(s.items ?? { type: 'string' }, names) };
      case 'map':
        return { type: 'map', values: toAvroSchema(s.values ?? { type: 'string' }, names) };
      case 'struct': {
        names.n++;
        const name = s.name ?? (names.n === 1 ? 'ConnectDefault' : `ConnectDefault${names.n}`);
        const full = s.name === undefined ? { name, namespace: DEFAULT_NAMESPACE } : { name: name.replace(/[^A-Za-z0-9_.]/g, '_') };
        const fields = (s.fields ?? []).map((f) => {
          const t = toAvroSchema({ ...f, optional: false }, names);
          return f.optional === true ? { name: f.field ?? '', type: ['null', t], default: null } : { name: f.field ?? '', type: t };
        });
        return { type: 'record', ...full, fields, ...(s.name !== undefined ? { 'connect.name': s.name } : {}) };
      }
      default:
        throw new DataError(`AvroConverter cannot convert a Connect schema of type ${s.type}`);
    }
  })();
  return base;
}

/** Avro schema (JSON) → Connect schema (AvroData.toConnectSchema); `named` holds the named types seen so far. */
function toConnectSchema(a: AvroSchema, named: Map<string, AvroSchema>, optional = false): ConnectSchema {
  const opt = optional ? { optional: true } : {};
  if (Array.isArray(a)) {
    const nonNull = a.filter((b) => b !== 'null');
    return toConnectSchema(nonNull[0] ?? 'null', named, nonNull.length < a.length || optional);
  }
  if (typeof a === 'string') {
    const ref = named.get(a) ?? named.get(`${DEFAULT_NAMESPACE}.${a}`);
    if (ref !== undefined) return toConnectSchema(ref, named, optional);
    return toConnectSchema({ type: a }, named, optional);
  }
  const type = a['type'];
  // {"type": <a schema>} or {"type": "<a named type>"}: the inner schema.
  if (typeof type !== 'string') return toConnectSchema(type as AvroSchema, named, optional);
  if (named.has(type)) return toConnectSchema(named.get(type) as AvroSchema, named, optional);
  const logical = a['logicalType'];
  switch (type) {
    case 'int': {
      if (logical === 'date') return { type: 'int32', name: DATE, ...opt };
      const ct = a['connect.type'];
      return { type: ct === 'int8' || ct === 'int16' ? ct : 'int32', ...opt };
    }
    case 'long':
      return logical === 'timestamp-millis' ? { type: 'int64', name: TIMESTAMP, ...opt } : { type: 'int64', ...opt };
    case 'float':
      return { type: 'float32', ...opt };
    case 'double':
      return { type: 'float64', ...opt };
    case 'boolean':
      return { type: 'boolean', ...opt };
    case 'bytes':
      return { type: 'bytes', ...opt };
    case 'fixed':
    case 'enum':
      if (typeof a['name'] === 'string') named.set(a['name'], a);
      return { type: type === 'fixed' ? 'bytes' : 'string', ...opt };
    case 'array':
      return { type: 'array', items: toConnectSchema(a['items'] as AvroSchema, named), ...opt };
    case 'map':
      return { type: 'map', keys: { type: 'string' }, values: toConnectSchema(a['values'] as AvroSchema, named), ...opt };
    case 'record': {
      const name = typeof a['name'] === 'string' ? a['name'] : '';
      const full = name.includes('.') || typeof a['namespace'] !== 'string' ? name : `${a['namespace']}.${name}`;
      named.set(full, a);
      named.set(name, a);
      const connectName = a['connect.name'];
      const nameOf = typeof connectName === 'string' ? connectName : full.startsWith(`${DEFAULT_NAMESPACE}.ConnectDefault`) ? undefined : full;
      const fields = Array.isArray(a['fields']) ? (a['fields'] as { name: string; type: AvroSchema }[]) : [];
      return { type: 'struct', ...(nameOf !== undefined ? { name: nameOf } : {}), fields: fields.map((f) => ({ ...toConnectSchema(f.type, named), field: f.name })), ...opt };
    }
    default:
      return { type: 'string', ...opt };
  }
}

/** A Connect value as avsc encodes it under the Avro schema made of `s`. */
function toAvroValue(s: ConnectSchema, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (s.type) {
    case 'int64':
      return typeof v === 'bigint' ? Number(v) : v;
    case 'bytes':
      return Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'base64') : v;
    case 'array':
      return Array.isArray(v) ? v.map((x) => toAvroValue(s.items ?? { type: 'string' }, x)) : v;
    case 'map':
      return typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toAvroValue(s.values ?? { type: 'string' }, x)])) : v;
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) throw new DataError(`AvroConverter: a struct schema for a value of type ${typeof v}`);
      const o = v as Record<string, unknown>;
      return Object.fromEntries((s.fields ?? []).map((f) => [f.field ?? '', toAvroValue(f, o[f.field ?? ''])]));
    }
    default:
      return v;
  }
}

/** A value avsc decoded as a plain Connect value (records become plain objects). */
function fromAvroValue(s: ConnectSchema, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (s.type === 'struct' && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries((s.fields ?? []).map((f) => [f.field ?? '', fromAvroValue(f, o[f.field ?? ''])]));
  }
  if (s.type === 'array' && Array.isArray(v)) return v.map((x) => fromAvroValue(s.items ?? { type: 'string' }, x));
  if (s.type === 'map' && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromAvroValue(s.values ?? { type: 'string' }, x)]));
  return v;
}

class AvroConverter implements Converter {
  /** Avro types and their Connect schemas by schema text (parsing is the costly part). */
  private readonly types = new Map<string, { text: string; type: avro.Type; connect: ConnectSchema | null }>();
  /** The Avro schema text of a Connect schema object (records of one source share theirs). */
  private readonly schemaTexts = new WeakMap<ConnectSchema, string>();

  constructor(
    private readonly isKey: boolean,
    private readonly registry: RegistryClient,
    private readonly autoRegister: boolean,
  ) {}

  private parsed(schema: string): { text: string; type: avro.Type; connect: ConnectSchema | null } {
    let t = this.types.get(schema);
    if (!t) {
      t = { text: schema, type: avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { wrapUnions: false }), connect: null };
      if (this.types.size > 1000) this.types.clear();
      this.types.set(schema, t);
    }
    return t;
  }

  async fromConnectData(topic: string, schema: ConnectSchema | null | undefined, value: unknown): Promise<Buffer | null> {
    if (value === null || value === undefined) return null;
    const s = schema ?? inferSchema(value);
    let text = schema ? this.schemaTexts.get(schema) : undefined;
    if (text === undefined) {
      text = JSON.stringify(toAvroSchema({ ...s, optional: false }, { n: 0 }));
      if (schema) this.schemaTexts.set(schema, text);
    }
    const { type } = this.parsed(text);
    let payload: Buffer;
    try {
      payload = type.toBuffer(toAvroValue(s, value));
    } catch (e) {
      throw new DataError(`Failed to serialize Avro data from topic ${topic}: ${(e as Error).message}`);
    }
    const id = await this.registry.idOf(`${topic}-${this.isKey ? 'key' : 'value'}`, text, this.autoRegister);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(id, 1);
    return Buffer.concat([head, payload]);
  }

  async toConnectData(topic: string, bytes: Buffer | null): Promise<ConnectData> {
    if (bytes === null) return { schema: null, value: null };
    if (bytes.length < 5 || bytes[0] !== 0) throw new DataError(`Failed to deserialize data for topic ${topic} to Avro: Unknown magic byte!`);
    const id = bytes.readUInt32BE(1);
    const p = this.parsed(await this.registry.schema(id));
    const type = p.type;
    let decoded: unknown;
    try {
      decoded = type.fromBuffer(bytes.subarray(5));
    } catch (e) {
      throw new DataError(`Failed to deserialize data for topic ${topic} to Avro (schema id ${id}): ${(e as Error).message}`);
    }
    p.connect ??= toConnectSchema(JSON.parse(p.text) as AvroSchema, new Map());
    const schema = p.connect;
    return { schema, value: fromAvroValue(schema, decoded) };
  }
}

/** The converter of `key.converter` / `value.converter` = AvroConverter with its prefixed settings. */
export function createAvroConverter(isKey: boolean, sub: (k: string) => string | undefined): Converter {
  const urls = (sub('schema.registry.url') ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) throw new ConfigError(`Missing required configuration "${isKey ? 'key' : 'value'}.converter.schema.registry.url" which has no default value.`);
  const source = (sub('basic.auth.credentials.source') ?? 'URL').toUpperCase();
  const info = sub('basic.auth.user.info');
  const auth = source === 'USER_INFO' && info ? info : null;
  return new AvroConverter(isKey, new RegistryClient(urls, auth), (sub('auto.register.schemas') ?? 'true').toLowerCase() !== 'false');
}
