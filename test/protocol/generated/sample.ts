// Builds populated sample messages (and their expected decoded form) from the generated schema table.
import { schemaStructs } from '../../../src/protocol/generated/schemas.js';
import type { SchemaField, SchemaMessage } from '../../../src/protocol/generated/schemas.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import * as generated from '../../../src/protocol/generated/index.js';
import type { Reader } from '../../../src/protocol/primitives/reader.js';
import type { Writer } from '../../../src/protocol/primitives/writer.js';

export type Decoder = (r: Reader, v: number) => unknown;
export type Encoder = (w: Writer, m: unknown, v: number) => void;

const table = generated as unknown as Record<string, unknown>;

export function decoderOf(name: string): Decoder {
  const f = table[`decode${name}`];
  if (typeof f !== 'function') throw new Error(`no decoder for ${name}`);
  return f as Decoder;
}

export function encoderOf(name: string): Encoder {
  const f = table[`encode${name}`];
  if (typeof f !== 'function') throw new Error(`no encoder for ${name}`);
  return f as Encoder;
}

export interface Range {
  lo: number;
  hi: number;
}

export function parseRange(s: string): Range | null {
  if (s === '' || s === 'none') return null;
  if (s.endsWith('+')) return { lo: Number(s.slice(0, -1)), hi: Number.POSITIVE_INFINITY };
  const i = s.indexOf('-');
  if (i > 0) return { lo: Number(s.slice(0, i)), hi: Number(s.slice(i + 1)) };
  return { lo: Number(s), hi: Number(s) };
}

export function inRange(s: string, v: number): boolean {
  const r = parseRange(s);
  return r !== null && v >= r.lo && v <= r.hi;
}

export function versionsOf(m: SchemaMessage): number[] {
  const r = parseRange(m.versions);
  if (r === null) return [];
  const out: number[] = [];
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}

type Value = unknown;

function structFields(name: string): readonly SchemaField[] {
  const s = schemaStructs[name];
  if (s === undefined) throw new Error(`unknown struct ${name}`);
  return s;
}

const PRIMS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records']);

/** The decoded default of a field that is absent in a version. */
export function defaultOf(field: SchemaField): Value {
  const [, type, , , , , def] = field;
  if (field.length > 6) {
    if (def === null) return null;
    if (type === 'int64') return BigInt(def as string);
    return def;
  }
  return typeDefault(type);
}

function typeDefault(type: string): Value {
  switch (type) {
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return 0;
  }
  if (type.startsWith('[]')) return [];
  // struct: every field at its default
  const o: Record<string, Value> = {};
  for (const f of structFields(type)) o[f[0]] = defaultOf(f);
  return o;
}

export interface SampleOptions {
  /** Use null for every field nullable in this version. */
  nulls: boolean;
  /** Give records fields as a list of buffers. */
  recordChunks: boolean;
}

export class SampleBuilder {
  private seed: number;
  constructor(
    private readonly version: number,
    private readonly flexible: boolean,
    private readonly opts: SampleOptions,
    seed = 1,
  ) {
    this.seed = seed;
  }

  private next(): number {
    this.seed = (this.seed * 7 + 3) % 1000;
    return this.seed;
  }

  /** Returns [input, expected decoded value] for a struct. */
  struct(name: string): [Record<string, Value>, Record<string, Value>] {
    const input: Record<string, Value> = {};
    const expected: Record<string, Value> = {};
    const v = this.version;
    for (const field of structFields(name)) {
      const [prop, type, versions, nullable, tagged] = field;
      const isTagged = tagged !== '' && this.flexible && inRange(tagged, v) && inRange(versions, v);
      const present = isTagged || inRange(versions, v);
      const [inVal, exVal] = this.value(type, present && inRange(nullable, v), field);
      input[prop] = inVal;
      expected[prop] = present ? exVal : defaultOf(field);
    }
    return [input, expected];
  }

  private value(type: string, nullable: boolean, field: SchemaField): [Value, Value] {
    if (nullable && this.opts.nulls) return [null, null];
    const n = this.next();
    const def = defaultOf(field);
    const pick = <T>(a: T, b: T): T => (a === def ? b : a);
    switch (type) {
      case 'bool':
        return [pick(true, false), pick(true, false)];
      case 'int8': {
        const x = pick((n % 100) + 1, (n % 100) + 2);
        return [x, x];
      }
      case 'int16': {
        const x = pick(-(n + 2), n + 2);
        return [x, x];
      }
      case 'uint16': {
        const x = pick(60000 + n, 1 + n);
        return [x, x];
      }
      case 'int32': {
        const x = pick(n % 2 === 0 ? 2_000_000_000 - n : -(n + 100_000), n + 7);
        return [x, x];
      }
      case 'uint32': {
        const x = 4_000_000_000 + n;
        return [x, x];
      }
      case 'int64': {
        const x = n % 2 === 0 ? -(2n ** 62n) - BigInt(n) : 2n ** 62n + BigInt(n);
        return [x, x];
      }
      case 'float64': {
        const x = n + 0.25;
        return [x, x];
      }
      case 'string': {
        const x = n % 3 === 0 ? `stré-${n}-✓` : `s${n}`;
        return [x, x];
      }
      case 'uuid': {
        const b = Buffer.alloc(16);
        for (let i = 0; i < 16; i++) b[i] = (n * 31 + i * 17) & 0xff;
        const x = b.toString('base64url');
        return [x, x];
      }
      case 'bytes': {
        const x = Buffer.from([n & 0xff, 0, 255, 7]);
        return [x, Buffer.from(x)];
      }
      case 'records': {
        if (this.opts.recordChunks) {
          const a = Buffer.alloc(300, n & 0xff);
          const b = Buffer.from([1, 2, 3]);
          return [[a, b], Buffer.concat([a, b])];
        }
        const x = Buffer.from([9, 8, 7, n & 0xff]);
        return [x, Buffer.from(x)];
      }
    }
    if (type.startsWith('[]')) {
      const el = type.slice(2);
      const ins: Value[] = [];
      const exs: Value[] = [];
      for (let i = 0; i < 2; i++) {
        const [a, b] = PRIMS.has(el) ? this.value(el, false, [field[0], el, '0+', '', '', -1]) : this.struct(el);
        ins.push(a);
        exs.push(b);
      }
      return [ins, exs];
    }
    return this.struct(type);
  }
}
