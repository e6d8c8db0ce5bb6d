/**
 * Single message transforms (SMTs) and predicates, configured as Kafka Connect does:
 * `transforms=a,b`, `transforms.a.type=<class>`, `transforms.a.<setting>=...`,
 * `transforms.a.predicate=p`, `transforms.a.negate=true`, `predicates=p`,
 * `predicates.p.type=<class>`, `predicates.p.<setting>=...`.
 *
 * Kafka's classes answered to (with $Key/$Value variants where Kafka has them): InsertField,
 * ReplaceField (include/exclude, with the older whitelist/blacklist names, renames), MaskField
 * (fields, replacement), ValueToKey (fields), ExtractField (field), TimestampRouter (topic.format,
 * timestamp.format), RegexRouter (regex, replacement), Filter, and those of
 * transforms-headers-cast.ts (Cast, HeaderFrom, InsertHeader, DropHeaders); predicates TopicNameMatches
 * (pattern), HasHeaderKey (name), RecordIsTombstone. Samsa's deviations: records are schemaless
 * values (a struct is a plain object), so a transform that needs a struct accepts any object;
 * timestamp.format knows the yyyy MM dd HH mm ss tokens only.
 */
import { ConfigError, DataError, type ConnectRecord } from './api.js';
import { makeHeaderOrCastTransform } from './transforms-headers-cast.js';

export interface Transform {
  (r: ConnectRecord): ConnectRecord | null;
  /** The configured class (for the DLQ's __connect.errors.class.name). */
  className?: string;
}
type Predicate = (r: ConnectRecord) => boolean;

const PKG = 'org.apache.kafka.connect.transforms.';
const PRED_PKG = 'org.apache.kafka.connect.transforms.predicates.';

/** The simple name of a transform class: "InsertField$Value" for either spelling. */
function simpleName(cls: string, pkg: string): string {
  const c = cls.trim();
  return c.startsWith(pkg) ? c.slice(pkg.length) : c;
}

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) throw new DataError(`Only Map objects supported in absence of schema for [${what}], found: ${v === null ? 'null' : typeof v}`);
  return v as Record<string, unknown>;
}

/** Applies `f` to the key or the value of a record (the $Key / $Value variants). */
function onPart(which: 'Key' | 'Value', f: (v: unknown, r: ConnectRecord) => unknown): Transform {
  return (r) => (which === 'Key' ? { ...r, key: f(r.key, r), keySchema: null } : { ...r, value: f(r.value, r), valueSchema: null });
}

function masked(v: unknown, replacement: string | undefined): unknown {
  if (replacement !== undefined) {
    if (typeof v === 'number') return Number(replacement);
    if (typeof v === 'boolean') return replacement === 'true';
    return replacement;
  }
  if (typeof v === 'number') return 0;
  if (typeof v === 'boolean') return false;
  if (typeof v === 'string') return '';
  if (Array.isArray(v)) return [];
  if (v !== null && typeof v === 'object') return {};
  return null;
}

function formatTimestamp(ms: number, format: string): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return format
    .replace(/yyyy/g, String(d.getUTCFullYear()))
    .replace(/MM/g, pad(d.getUTCMonth() + 1))
    .replace(/dd/g, pad(d.getUTCDate()))
    .replace(/HH/g, pad(d.getUTCHours()))
    .replace(/mm/g, pad(d.getUTCMinutes()))
    .replace(/ss/g, pad(d.getUTCSeconds()));
}

/** A Java replacement string ($1, \$) as a JS one. */
const javaReplacement = (s: string): string => s.replace(/\\\$/g, '$$$$');

/** Transforms and predicates of loaded plug-ins (PluginRegistry). */
export interface TransformLookup {
  transform(cls: string): { create(settings: (k: string) => string | undefined): (r: ConnectRecord) => ConnectRecord | null } | undefined;
  predicate(cls: string): { create(settings: (k: string) => string | undefined): (r: ConnectRecord) => boolean } | undefined;
}

function makeTransform(cls: string, c: (k: string) => string | undefined, plugins?: TransformLookup): Transform {
  const custom = plugins?.transform(cls);
  if (custom) return custom.create(c);
  const name = simpleName(cls, PKG);
  const [base, part] = name.split('$') as [string, string | undefined];
  const which: 'Key' | 'Value' = part === 'Key' ? 'Key' : 'Value';
  const needPart = (): void => {
    if (part !== 'Key' && part !== 'Value') throw new ConfigError(`Class ${cls} could not be found (use ${PKG}${base}$Key or $Value).`);
  };
  switch (base) {
    case 'InsertField': {
      needPart();
      const field = (k: string): string | undefined => {
        const v = c(k);
        return v === undefined || v === '' ? undefined : v.replace(/[!?]$/, '');
      };
      const [topicF, partF, offF, tsF, staticF] = [field('topic.field'), field('partition.field'), field('offset.field'), field('timestamp.field'), field('static.field')];
      const staticV = c('static.value');
      return onPart(which, (v, r) => {
        const o = { ...asObject(v, 'field insertion') };
        if (topicF) o[topicF] = r.topic;
        if (partF) o[partF] = r.kafkaPartition;
        if (offF) o[offF] = r.kafkaOffset === undefined ? null : Number(r.kafkaOffset);
        if (tsF) o[tsF] = r.timestamp;
        if (staticF) o[staticF] = staticV ?? null;
        return o;
      });
    }
    case 'ReplaceField': {
      needPart();
      const include = list(c('include') ?? c('whitelist'));
      const exclude = new Set(list(c('exclude') ?? c('blacklist')));
      const renames = new Map(list(c('renames')).map((p) => {
        const [from, to] = p.split(':');
        if (!from || !to) throw new ConfigError(`Invalid rename mapping: ${p}`);
        return [from, to] as const;
      }));
      return onPart(which, (v) => {
        if (v === null) return null;
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(asObject(v, 'field replacement'))) {
          if (exclude.has(k) || (include.length > 0 && !include.includes(k))) continue;
          out[renames.get(k) ?? k] = x;
        }
        return out;
      });
    }
    case 'MaskField': {
      needPart();
      const fields = list(c('fields'));
      if (fields.length === 0) throw new ConfigError('Missing required configuration "fields" which has no default value.');
      const replacement = c('replacement');
      return onPart(which, (v) => {
        if (v === null) return null;
        const o = { ...asObject(v, 'masking') };
        for (const f of fields) if (f in o) o[f] = masked(o[f], replacement);
        return o;
      });
    }
    case 'ValueToKey': {
      const fields = list(c('fields'));
      if (fields.length === 0) throw new ConfigError('Missing required configuration "fields" which has no default value.');
      return (r) => {
        const v = asObject(r.value, 'copying fields from value to key');
        return { ...r, key: Object.fromEntries(fields.map((f) => [f, v[f] ?? null])), keySchema: null };
      };
    }
    case 'ExtractField': {
      needPart();
      const f = c('field');
      if (!f) throw new ConfigError('Missing required configuration "field" which has no default value.');
      return onPart(which, (v) => (v === null ? null : (asObject(v, 'field extraction')[f] ?? null)));
    }
    case 'TimestampRouter': {
      const topicFormat = c('topic.format') ?? '${topic}-${timestamp}';
      const tsFormat = c('timestamp.format') ?? 'yyyyMMdd';
      return (r) => {
        if (r.timestamp === null) throw new DataError(`Timestamp missing on record: ${r.topic}`);
        return { ...r, topic: topicFormat.replace(/\$\{topic\}/g, r.topic).replace(/\$\{timestamp\}/g, formatTimestamp(r.timestamp, tsFormat)) };
      };
    }
    case 'RegexRouter': {
      const regex = c('regex');
      const replacement = c('replacement');
      if (regex === undefined || replacement === undefined) throw new ConfigError('RegexRouter requires "regex" and "replacement".');
      const re = new RegExp(`^(?:${regex})$`);
      return (r) => (re.test(r.topic) ? { ...r, topic: r.topic.replace(re, javaReplacement(replacement)) } : r);
    }
    case 'Filter':
      return () => null;
    default: {
      const t = makeHeaderOrCastTransform(base, part, c);
      if (t !== null) return t;
      throw new ConfigError(`Invalid value ${cls} for configuration transforms: Class ${cls} could not be found.`);
    }
  }
}

function makePredicate(cls: string, c: (k: string) => string | undefined, plugins?: TransformLookup): Predicate {
  const custom = plugins?.predicate(cls);
  if (custom) return custom.create(c);
  switch (simpleName(cls, PRED_PKG)) {
    case 'TopicNameMatches': {
      const pattern = c('pattern');
      if (!pattern) throw new ConfigError('Missing required configuration "pattern" which has no default value.');
      const re = new RegExp(`^(?:${pattern})$`);
      return (r) => re.test(r.topic);
    }
    case 'HasHeaderKey': {
      const name = c('name');
      if (!name) throw new ConfigError('Missing required configuration "name" which has no default value.');
      return (r) => r.headers.some((h) => h.key === name);
    }
    case 'RecordIsTombstone':
      return (r) => r.value === null;
    default:
      throw new ConfigError(`Invalid value ${cls} for configuration predicates: Class ${cls} could not be found.`);
  }
}

/** The chain of a connector's `transforms`, each guarded by its predicate; validates the config. */
export function buildTransforms(config: Readonly<Record<string, string>>, plugins?: TransformLookup): Transform[] {
  const predicates = new Map<string, Predicate>();
  for (const p of list(config['predicates'])) {
    const type = config[`predicates.${p}.type`];
    if (!type) throw new ConfigError(`Missing required configuration "predicates.${p}.type" which has no default value.`);
    predicates.set(p, makePredicate(type, (k) => config[`predicates.${p}.${k}`], plugins));
  }
  return list(config['transforms']).map((t) => {
    const type = config[`transforms.${t}.type`];
    if (!type) throw new ConfigError(`Missing required configuration "transforms.${t}.type" which has no default value.`);
    const f: Transform = makeTransform(type, (k) => config[`transforms.${t}.${k}`], plugins);
    f.className = type;
    const pname = config[`transforms.${t}.predicate`];
    if (pname === undefined || pname === '') return f;
    const p = predicates.get(pname);
    if (!p) throw new ConfigError(`Invalid value ${pname} for configuration transforms.${t}.predicate: the predicate is not defined in "predicates".`);
    const negate = (config[`transforms.${t}.negate`] ?? 'false').toLowerCase() === 'true';
    const guarded: Transform = (r) => (p(r) !== negate ? f(r) : r);
    guarded.className = type;
    return guarded;
  });
}

/** Runs the chain; null when a transform dropped the record. */
export function applyTransforms(chain: readonly Transform[], r: ConnectRecord): ConnectRecord | null {
  let cur: ConnectRecord | null = r;
  for (const t of chain) {
    if (cur === null) return null;
    cur = t(cur);
  }
  return cur;
}
