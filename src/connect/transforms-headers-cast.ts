/**
 * The single message transforms that change types or move data into headers, by Kafka's class
 * names under org.apache.kafka.connect.transforms.: Cast$Key|$Value (`spec`: "field:type,..." or
 * one type for the whole key/value; int8, int16, int32, int64, float32, float64, boolean,
 * string), HeaderFrom$Key|$Value (`fields`, `headers` of the same length, `operation` copy|move),
 * InsertHeader (`header`, `value.literal`) and DropHeaders (`headers`).
 *
 * Kafka's rules kept: Cast narrows numbers as Java does (truncation, then wrap-around to the
 * width), booleans cast to 1/0 and from a number by != 0, strings parse as numbers (a malformed
 * one is a DataException) and as booleans by "true" (any case); a cast field's schema type changes
 * with it; HeaderFrom with move removes the fields; a null key/value passes through untouched.
 * Samsa's deviation: headers are bytes here, so a header taken from a field is written as
 * SimpleHeaderConverter would write it (a string as UTF-8, a number or boolean as its text, a
 * struct, map or array as JSON, bytes as they are).
 */
import { ConfigError, DataError, type ConnectHeader, type ConnectRecord, type ConnectSchema } from './api.js';

const CAST_TYPES = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string'] as const;
type CastType = (typeof CAST_TYPES)[number];

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');

function castTo(type: CastType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'string') {
    if (Buffer.isBuffer(v)) return v.toString('base64');
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  if (type === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'bigint') return v !== 0n;
    if (typeof v === 'string') return v.trim().toLowerCase() === 'true';
    throw new DataError(`Unexpected type in Cast transformation: ${typeof v}`);
  }
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string') {
    const s = v.trim();
    const ok = type.startsWith('float') ? /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Infinity|NaN)$/.test(s) : /^[+-]?\d+$/.test(s);
    if (!ok) throw new DataError(`Cast transformation cannot parse "${v}" as ${type}`);
    n = Number(s);
  } else throw new DataError(`Unexpected type in Cast transformation: ${Buffer.isBuffer(v) ? 'bytes' : typeof v}`);
  switch (type) {
    case 'int8':
      return (Math.trunc(n) << 24) >> 24;
    case 'int16':
      return (Math.trunc(n) << 16) >> 16;
    case 'int32':
      return Math.trunc(n) | 0;
    case 'int64':
      return Number.isFinite(n) ? Math.trunc(n) : 0;
    case 'float32':
      return Math.fround(n);
    default:
      return n;
  }
}

function parseSpec(spec: string | undefined): { whole: CastType | null; fields: Map<string, CastType> } {
  const parts = list(spec);
  if (parts.length === 0) throw new ConfigError('Missing required configuration "spec" which has no default value.');
  const checkType = (t: string): CastType => {
    if (!(CAST_TYPES as readonly string[]).includes(t)) throw new ConfigError(`Invalid value ${t} for configuration spec: Cast transformations only support the types ${CAST_TYPES.join(', ')}`);
    return t as CastType;
  };
  if (parts.length === 1 && !(parts[0] as string).includes(':')) return { whole: checkType(parts[0] as string), fields: new Map() };
  const fields = new Map<string, CastType>();
  for (const p of parts) {
    const i = p.lastIndexOf(':');
    if (i <= 0) throw new ConfigError(`Invalid value ${spec ?? ''} for configuration spec: must be a list of field:type pairs, or one type for the whole value`);
    fields.set(p.slice(0, i).trim(), checkType(p.slice(i + 1).trim()));
  }
  return { whole: null, fields };
}

/** SimpleHeaderConverter's bytes of a Connect value. */
function headerBytes(v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'object') return Buffer.from(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)), 'utf8');
  return Buffer.from(String(v), 'utf8');
}

const asStruct = (v: unknown, what: string): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) throw new DataError(`Only Struct or Map objects supported for [${what}], found: ${v === null ? 'null' : typeof v}`);
  return v as Record<string, unknown>;
};

type Part = 'Key' | 'Value';
const get = (r: ConnectRecord, p: Part): { v: unknown; s: ConnectSchema | null | undefined } => (p === 'Key' ? { v: r.key, s: r.keySchema } : { v: r.value, s: r.valueSchema });
const set = (r: ConnectRecord, p: Part, v: unknown, s: ConnectSchema | null | undefined): ConnectRecord => (p === 'Key' ? { ...r, key: v, keySchema: s ?? null } : { ...r, value: v, valueSchema: s ?? null });

/** The transform of one of these classes (simple name, e.g. "Cast$Value"), or null when it is none of them. */
export function makeHeaderOrCastTransform(base: string, part: string | undefined, c: (k: string) => string | undefined): ((r: ConnectRecord) => ConnectRecord) | null {
  const which: Part = part === 'Key' ? 'Key' : 'Value';
  const needPart = (): void => {
    if (part !== 'Key' && part !== 'Value') throw new ConfigError(`Class org.apache.kafka.connect.transforms.${base} could not be found (use ${base}$Key or ${base}$Value).`);
  };
  switch (base) {
    case 'Cast': {
      needPart();
      const { whole, fields } = parseSpec(c('spec'));
      return (r) => {
        const { v, s } = get(r, which);
        if (v === null || v === undefined) return r;
        if (whole !== null) return set(r, which, castTo(whole, v), s ? { ...s, type: whole } : s);
        const o = { ...asStruct(v, 'cast types') };
        for (const [f, t] of fields) if (f in o) o[f] = castTo(t, o[f]);
        const schema = s?.type === 'struct' ? { ...s, fields: (s.fields ?? []).map((fs) => (fs.field !== undefined && fields.has(fs.field) ? { ...fs, type: fields.get(fs.field) as CastType } : fs)) } : s;
        return set(r, which, o, schema);
      };
    }
    case 'HeaderFrom': {
      needPart();
      const from = list(c('fields'));
      const to = list(c('headers'));
      if (from.length === 0) throw new ConfigError('Missing required configuration "fields" which has no default value.');
      if (from.length !== to.length) throw new ConfigError(`'fields' config must have the same number of elements as 'headers' config.`);
      const op = (c('operation') ?? '').toLowerCase();
      if (op !== 'copy' && op !== 'move') throw new ConfigError(`Invalid value ${c('operation') ?? ''} for configuration operation: String must be one of: move, copy`);
      return (r) => {
        const { v, s } = get(r, which);
        if (v === null || v === undefined) return r;
        const o = asStruct(v, 'header from');
        const headers: ConnectHeader[] = [...r.headers, ...from.map((f, i) => ({ key: to[i] as string, value: headerBytes(o[f]) }))];
        if (op === 'copy') return { ...r, headers };
        const moved = new Set(from);
        const rest = Object.fromEntries(Object.entries(o).filter(([k]) => !moved.has(k)));
        const schema = s?.type === 'struct' ? { ...s, fields: (s.fields ?? []).filter((fs) => fs.field === undefined || !moved.has(fs.field)) } : s;
        return { ...set(r, which, rest, schema), headers };
      };
    }
    case 'InsertHeader': {
      const header = c('header');
      const literal = c('value.literal');
      if (!header) throw new ConfigError('Missing required configuration "header" which has no default value.');
      if (literal === undefined) throw new ConfigError('Missing required configuration "value.literal" which has no default value.');
      return (r) => ({ ...r, headers: [...r.headers, { key: header, value: Buffer.from(literal, 'utf8') }] });
    }
    case 'DropHeaders': {
      const names = new Set(list(c('headers')));
      if (names.size === 0) throw new ConfigError('Missing required configuration "headers" which has no default value.');
      return (r) => ({ ...r, headers: r.headers.filter((h) => !names.has(h.key)) });
    }
    default:
      return null;
  }
}
