/**
 * JSON Schema through ajv (draft-07 by default, 2020-12 when `$schema` says so; formats from
 * ajv-formats). A schema is valid when ajv compiles it; a referenced schema is added to the same
 * ajv instance under its reference name, so `"$ref": "<name>"` resolves. Canonical text: the JSON
 * without insignificant whitespace; with `normalize`, object keys sorted recursively.
 *
 * Compatibility: Confluent's JSON Schema rules (its SchemaDiff "difference types"), evaluated as
 * "every document the writer accepts, the reader accepts". Checked here, each named by
 * Confluent's difference type: TYPE_NARROWED / TYPE_CHANGED (incompatible; integer→number is
 * TYPE_EXTENDED), MAX_LENGTH_ADDED/DECREASED, MIN_LENGTH_ADDED/INCREASED, PATTERN_ADDED/CHANGED,
 * MAXIMUM_ADDED/DECREASED, MINIMUM_ADDED/INCREASED, EXCLUSIVE_*, MULTIPLE_OF_ADDED/CHANGED,
 * ENUM_ARRAY_NARROWED, CONST_ADDED/CHANGED, REQUIRED_ATTRIBUTE_ADDED,
 * PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL (a constrained property added where the writer allowed any
 * additional property), REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL (without a default),
 * PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL, ADDITIONAL_PROPERTIES_REMOVED/NARROWED,
 * MAX/MIN_PROPERTIES and MAX/MIN_ITEMS tightened, UNIQUE_ITEMS_ADDED, ITEMS changes (recursive),
 * COMBINED_TYPE_SUBSCHEMAS_CHANGED (a oneOf/anyOf alternative dropped), COMBINED_TYPE_CHANGED,
 * NOT_TYPE_ADDED. Compatible: the reverse changes, an empty reader schema, optional properties
 * added to a closed model, properties removed from an open model.
 * Samsa's deviations: `$ref` is followed for local pointers (#/definitions, #/$defs) and for
 * referenced schemas by name; `dependencies`, `if/then/else` and `patternProperties` are not
 * compared (a change there is treated as compatible).
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { invalidSchema } from '../errors.js';
import { SchemaType } from '../types.js';
import type { ParsedSchema, ResolvedReference, SchemaFormat } from './format.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface JsonSchema extends ParsedSchema {
  readonly root: Json;
  readonly refs: ReadonlyMap<string, Json>;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k] as Json);
    return out;
  }
  return v;
}

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw invalidSchema(`${what} is not JSON: ${(e as Error).message}`);
  }
}

export const jsonSchemaFormat: SchemaFormat<JsonSchema> = {
  schemaType: SchemaType.JSON,
  parse(schema, references: readonly ResolvedReference[], normalize) {
    const root = parseJson(schema, 'the schema');
    if (typeof root !== 'boolean' && (root === null || typeof root !== 'object' || Array.isArray(root))) throw invalidSchema('a JSON Schema is an object or a boolean');
    const draft2020 = typeof root === 'object' && typeof root['$schema'] === 'string' && /2019-09|2020-12/.test(root['$schema']);
    const ajv = (draft2020 ? new Ajv2020({ strict: false, allErrors: false }) : new Ajv({ strict: false, allErrors: false })) as Ajv;
    addFormats(ajv);
    const refs = new Map<string, Json>();
    try {
      for (const r of references) {
        const rs = parseJson(r.schema, `reference '${r.name}'`);
        refs.set(r.name, rs);
        if (typeof rs === 'object' && rs !== null && !Array.isArray(rs)) {
          const copy: Obj = { ...rs };
          delete copy['$id'];
          ajv.addSchema(copy, r.name);
        }
      }
      ajv.compile(root as Obj | boolean);
    } catch (e) {
      throw invalidSchema((e as Error).message);
    }
    return { schemaType: SchemaType.JSON, canonical: JSON.stringify(normalize ? sortKeys(root) : root), root, refs };
  },
  readIssues(reader, writer) {
    const issues: string[] = [];
    new JsonDiff(writer, reader, issues).compare(writer.root, reader.root, '#', 0);
    return issues;
  },
};

const isObj = (v: Json | undefined): v is Obj => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
const num = (o: Obj, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);

function types(o: Obj): Set<string> | null {
  const t = o['type'];
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t)) return new Set(t.filter((x): x is string => typeof x === 'string'));
  return null;
}

/** Does a type set accept values of type `t` (integer values are numbers)? */
function accepts(set: Set<string>, t: string): boolean {
  return set.has(t) || (t === 'integer' && set.has('number'));
}

/** Walks the writer ("original") and reader ("update") schemas side by side. */
class JsonDiff {
  constructor(
    private readonly writer: JsonSchema,
    private readonly reader: JsonSchema,
    private readonly issues: string[],
  ) {}

  private deref(s: Json | undefined, side: JsonSchema, depth: number): Json | undefined {
    let cur = s;
    for (let i = 0; i < 16 && isObj(cur) && typeof cur['$ref'] === 'string'; i++) {
      const ref = cur['$ref'];
      if (ref.startsWith('#/')) {
        let node: Json | undefined = side.root;
        for (const part of ref.slice(2).split('/')) node = isObj(node) ? node[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))] : undefined;
        cur = node;
      } else {
        cur = side.refs.get(ref) ?? side.refs.get(ref.replace(/#.*$/, ''));
      }
    }
    return depth > 32 ? undefined : cur;
  }

  private add(type: string, path: string, detail = ''): void {
    this.issues.push(`${type} at ${path}${detail ? `: ${detail}` : ''}`);
  }

  compare(w0: Json | undefined, r0: Json | undefined, path: string, depth: number): void {
    if (depth > 64) return;
    const w = this.deref(w0, this.writer, depth);
    const r = this.deref(r0, this.reader, depth);
    if (r === undefined || r === true || (isObj(r) && Object.keys(r).length === 0)) return;
    if (w === false) return;
    if (r === false) return this.add('SCHEMA_REMOVED', path, 'the reader accepts nothing');
    if (!isObj(r)) return;
    const wo: Obj = isObj(w) ? w : {};

    // Combined types.
    for (const k of ['oneOf', 'anyOf'] as const) {
      const ra = r[k];
      if (Array.isArray(ra)) {
        const wa = wo[k];
        const alternatives = Array.isArray(wa) ? wa : Array.isArray(wo['oneOf']) ? wo['oneOf'] : Array.isArray(wo['anyOf']) ? wo['anyOf'] : [wo];
        for (const [i, alt] of alternatives.entries()) {
          if (!ra.some((x) => this.quiet(alt, x, depth))) this.add(Array.isArray(wa) ? 'COMBINED_TYPE_SUBSCHEMAS_CHANGED' : 'SUM_TYPE_NARROWED', `${path}/${k}`, `writer alternative ${i} is accepted by no reader alternative`);
        }
        return;
      }
    }
    if (Array.isArray(r['allOf'])) {
      const wa = Array.isArray(wo['allOf']) ? wo['allOf'] : [wo];
      for (const [i, part] of r['allOf'].entries()) {
        if (!wa.some((x) => this.quiet(x, part, depth))) this.add('COMBINED_TYPE_CHANGED', `${path}/allOf/${i}`, 'a reader constraint the writer does not imply');
      }
      return;
    }
    if (Array.isArray(wo['oneOf']) || Array.isArray(wo['anyOf'])) {
      const wa = (wo['oneOf'] ?? wo['anyOf']) as Json[];
      for (const [i, alt] of wa.entries()) if (!this.quiet(alt, r, depth)) this.add('COMBINED_TYPE_CHANGED', path, `writer alternative ${i} is not accepted by the reader`);
      return;
    }
    if (r['not'] !== undefined && JSON.stringify(r['not']) !== JSON.stringify(wo['not'])) this.add('NOT_TYPE_ADDED', path);

    // Types.
    const rt = types(r);
    const wt = types(wo);
    if (rt) {
      if (!wt) this.add('TYPE_NARROWED', path, `reader requires ${[...rt].join('|')}, writer allows any type`);
      else {
        const missing = [...wt].filter((t) => !accepts(rt, t));
        if (missing.length === wt.size) this.add('TYPE_CHANGED', path, `${[...wt].join('|')} -> ${[...rt].join('|')}`);
        else if (missing.length > 0) this.add('TYPE_NARROWED', path, `${missing.join('|')} no longer accepted`);
      }
    }

    // enum / const.
    if (Array.isArray(r['enum'])) {
      const re = r['enum'].map((x) => JSON.stringify(x));
      if (!Array.isArray(wo['enum'])) this.add('ENUM_ARRAY_NARROWED', path, 'enum added');
      else for (const x of wo['enum']) if (!re.includes(JSON.stringify(x))) this.add('ENUM_ARRAY_NARROWED', path, `value ${JSON.stringify(x)} removed`);
    }
    if (r['const'] !== undefined && JSON.stringify(r['const']) !== JSON.stringify(wo['const'])) this.add(wo['const'] === undefined ? 'CONST_ADDED' : 'CONST_CHANGED', path);

    // Bounds: an upper bound must not go down or appear, a lower bound must not go up or appear.
    const upper = (k: string, name: string): void => {
      const rv = num(r, k);
      const wv = num(wo, k);
      if (rv === undefined) return;
      if (wv === undefined) this.add(`${name}_ADDED`, path);
      else if (rv < wv) this.add(`${name}_DECREASED`, path, `${wv} -> ${rv}`);
    };
    const lower = (k: string, name: string): void => {
      const rv = num(r, k);
      const wv = num(wo, k);
      if (rv === undefined) return;
      if (wv === undefined) this.add(`${name}_ADDED`, path);
      else if (rv > wv) this.add(`${name}_INCREASED`, path, `${wv} -> ${rv}`);
    };
    upper('maxLength', 'MAX_LENGTH');
    lower('minLength', 'MIN_LENGTH');
    upper('maximum', 'MAXIMUM');
    lower('minimum', 'MINIMUM');
    upper('exclusiveMaximum', 'EXCLUSIVE_MAXIMUM');
    lower('exclusiveMinimum', 'EXCLUSIVE_MINIMUM');
    upper('maxItems', 'MAX_ITEMS');
    lower('minItems', 'MIN_ITEMS');
    upper('maxProperties', 'MAX_PROPERTIES');
    lower('minProperties', 'MIN_PROPERTIES');
    const rm = num(r, 'multipleOf');
    const wm = num(wo, 'multipleOf');
    if (rm !== undefined && (wm === undefined || wm % rm !== 0)) this.add(wm === undefined ? 'MULTIPLE_OF_ADDED' : 'MULTIPLE_OF_CHANGED', path);
    if (typeof r['pattern'] === 'string' && r['pattern'] !== wo['pattern']) this.add(wo['pattern'] === undefined ? 'PATTERN_ADDED' : 'PATTERN_CHANGED', path);
    if (r['uniqueItems'] === true && wo['uniqueItems'] !== true) this.add('UNIQUE_ITEMS_ADDED', path);

    this.compareObject(wo, r, path, depth);
    // Arrays.
    if (r['items'] !== undefined) {
      if (Array.isArray(r['items']) || Array.isArray(wo['items'])) {
        if (JSON.stringify(r['items']) !== JSON.stringify(wo['items'])) this.add('ITEMS_CHANGED', `${path}/items`);
      } else this.compare(wo['items'] ?? true, r['items'], `${path}/items`, depth + 1);
    }
  }

  private compareObject(wo: Obj, r: Obj, path: string, depth: number): void {
    const rp = isObj(r['properties']) ? r['properties'] : {};
    const wp = isObj(wo['properties']) ? wo['properties'] : {};
    const rReq = new Set(Array.isArray(r['required']) ? r['required'].filter((x): x is string => typeof x === 'string') : []);
    const wReq = new Set(Array.isArray(wo['required']) ? wo['required'].filter((x): x is string => typeof x === 'string') : []);
    const wAdd = wo['additionalProperties'];
    const rAdd = r['additionalProperties'];
    const wOpen = wAdd === undefined || wAdd === true;
    const rClosed = rAdd === false;

    for (const [name, rs] of Object.entries(rp)) {
      const p = `${path}/properties/${name}`;
      if (Object.hasOwn(wp, name)) {
        this.compare(wp[name], rs, p, depth + 1);
        if (rReq.has(name) && !wReq.has(name)) this.add('REQUIRED_ATTRIBUTE_ADDED', p);
        continue;
      }
      if (wOpen) {
        const empty = rs === true || (isObj(rs) && Object.keys(rs).length === 0);
        if (!empty) this.add('PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', p, 'the writer allowed any value under this name');
      } else if (isObj(wAdd)) {
        this.compare(wAdd, rs, p, depth + 1);
      }
      if (rReq.has(name) && !(isObj(rs) && rs['default'] !== undefined)) this.add('REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', p);
    }
    for (const [name, ws] of Object.entries(wp)) {
      if (Object.hasOwn(rp, name)) continue;
      const p = `${path}/properties/${name}`;
      if (rClosed) this.add('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', p);
      else if (isObj(rAdd)) this.compare(ws, rAdd, p, depth + 1);
    }
    for (const name of rReq) if (!Object.hasOwn(rp, name) && !wReq.has(name)) this.add('REQUIRED_ATTRIBUTE_ADDED', `${path}/required/${name}`);
    if (rAdd === false && wAdd !== false) this.add('ADDITIONAL_PROPERTIES_REMOVED', path);
    else if (isObj(rAdd) && Object.keys(rAdd).length > 0) {
      if (wOpen) this.add('ADDITIONAL_PROPERTIES_NARROWED', path);
      else if (isObj(wAdd)) this.compare(wAdd, rAdd, `${path}/additionalProperties`, depth + 1);
    }
  }

  /** Is `r` compatible with `w` (no issue), without recording anything? */
  private quiet(w: Json | undefined, r: Json | undefined, depth: number): boolean {
    const sub: string[] = [];
    new JsonDiff(this.writer, this.reader, sub).compare(w, r, '#', depth + 1);
    return sub.length === 0;
  }
}
