/**
 * Decodes record keys and values in Confluent's wire format through the schema registry: a magic
 * byte 0, the schema id (int32, big-endian), then the payload. Avro payloads are Avro binary
 * (avsc), JSON Schema payloads are UTF-8 JSON, and Protobuf payloads start with the message
 * indexes (a zigzag varint count, then that many zigzag varints naming the message: the n-th
 * top-level message of the schema file, then the n-th nested one...; a single 0 byte stands for
 * [0]) followed by the message (protobufjs). Samsa's leniency: a Protobuf value whose message
 * indexes do not name a message of the schema, or whose message does not decode, is tried as the
 * schema's first message without indexes, the form @kafkajs/confluent-schema-registry writes
 * (answered with a note saying so). Schema references are loaded from the registry into
 * the same name space (Avro named types, Protobuf imports), at most REFS_MAX of them.
 *
 * The answer is JSON text: Avro bytes/fixed as strings of code points 0-255 (Avro's JSON encoding)
 * and longs as numbers; Protobuf through protobufjs's toObject (longs and enums as strings, bytes
 * as base64, default values left out, like Confluent's JsonFormat). A value that is not in the
 * wire format, or does not decode, is answered with the reason instead: the browser shows the
 * raw bytes then. Parsed schemas are cached by id (SCHEMAS_MAX); a failed look-up is not cached.
 * avsc and protobufjs are loaded on the first schema of their kind.
 */
import type avroModule from 'avsc';
import type protobufModule from 'protobufjs';
import type { RegistryClient, SchemaReference } from './registry-client.js';

const SCHEMAS_MAX = 1000;
const REFS_MAX = 100;
/** Values larger than this are not decoded (the browser shows their bytes). */
export const DECODE_MAX = 4 * 1024 * 1024;

export type Decoded = { schemaId: number; schemaType: string; json: string; truncated: boolean; note?: string } | { schemaId: number | null; error: string };

type Decode = (payload: Buffer) => { value: unknown; note?: string };

/** Avro's JSON form of bytes: each byte as the code point of the same value. */
function jsonSafe(v: unknown): string {
  return JSON.stringify(
    v,
    function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      if (Buffer.isBuffer(raw)) return raw.toString('latin1');
      if (typeof value === 'bigint') return value.toString();
      return value;
    },
    2,
  );
}

function readVarint(b: Buffer, pos: { at: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos.at >= b.length) throw new Error('message indexes run past the end of the value');
    const byte = b[pos.at++] as number;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new Error('a message index varint is too long');
  }
  return (result >>> 1) ^ -(result & 1);
}

export class SchemaDecoder {
  private readonly cache = new Map<number, Promise<{ schemaType: string; decode: Decode }>>();

  constructor(private readonly registry: RegistryClient) {}

  /** Loads the references of a schema (depth first, each once) and calls `add` with their text. */
  private async references(refs: readonly SchemaReference[], add: (name: string, schema: string) => void, seen: Set<string> = new Set()): Promise<void> {
    for (const r of refs) {
      const key = `${r.subject}/${r.version}`;
      if (seen.has(key)) continue;
      if (seen.size >= REFS_MAX) throw new Error(`more than ${REFS_MAX} schema references`);
      seen.add(key);
      const v = await this.registry.version(r.subject, r.version);
      await this.references(v.references, add, seen);
      add(r.name, v.schema);
    }
  }

  private async load(id: number): Promise<{ schemaType: string; decode: Decode }> {
    const s = await this.registry.byId(id);
    if (s.schemaType === 'AVRO') {
      const avro: typeof avroModule = (await import('avsc')).default;
      const registry: Record<string, avroModule.Type> = {};
      await this.references(s.references, (_name, text) => {
        avro.Type.forSchema(JSON.parse(text) as avroModule.Schema, { registry });
      });
      const type = avro.Type.forSchema(JSON.parse(s.schema) as avroModule.Schema, { registry });
      return { schemaType: 'AVRO', decode: (payload) => ({ value: type.fromBuffer(payload) as unknown }) };
    }
    if (s.schemaType === 'JSON') {
      return { schemaType: 'JSON', decode: (payload) => ({ value: JSON.parse(payload.toString('utf8')) as unknown }) };
    }
    if (s.schemaType === 'PROTOBUF') {
      const protobuf: typeof protobufModule = (await import('protobufjs')).default;
      const root = new protobuf.Root();
      await this.references(s.references, (name, text) => {
        protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true });
        void name;
      });
      const parsed = protobuf.parse(s.schema, root, { keepCase: true, alternateCommentMode: true });
      root.resolveAll();
      const ns: protobufModule.NamespaceBase = parsed.package !== undefined ? (root.lookup(parsed.package) as protobufModule.Namespace | null) ?? root : root;
      const messagesOf = (n: protobufModule.NamespaceBase): protobufModule.Type[] => n.nestedArray.filter((x): x is protobufModule.Type => x instanceof protobuf.Type);
      const asObject = (t: protobufModule.Type, body: Buffer): unknown => ({ [t.name]: t.toObject(t.decode(body), { longs: String, enums: String, bytes: String }) });
      return {
        schemaType: 'PROTOBUF',
        decode: (payload) => {
          try {
            const pos = { at: 0 };
            const count = readVarint(payload, pos);
            if (count < 0 || count > 100) throw new Error(`${count} message indexes`);
            const indexes = count === 0 ? [0] : Array.from({ length: count }, () => readVarint(payload, pos));
            let types = messagesOf(ns);
            let type: protobufModule.Type | undefined;
            for (const i of indexes) {
              type = types[i];
              if (type === undefined) throw new Error(`the schema has no message at index ${indexes.join('.')}`);
              types = messagesOf(type);
            }
            return { value: asObject(type as protobufModule.Type, payload.subarray(pos.at)) };
          } catch (e) {
            const first = messagesOf(ns)[0];
            if (first === undefined) throw e;
            try {
              return { value: asObject(first, payload), note: `no message indexes: decoded as ${first.name}` };
            } catch {
              throw e;
            }
          }
        },
      };
    }
    throw new Error(`schema type ${s.schemaType} is not supported`);
  }

  private schema(id: number): Promise<{ schemaType: string; decode: Decode }> {
    let p = this.cache.get(id);
    if (p === undefined) {
      if (this.cache.size >= SCHEMAS_MAX) this.cache.delete(this.cache.keys().next().value as number);
      p = this.load(id);
      p.catch(() => this.cache.delete(id));
      this.cache.set(id, p);
    }
    return p;
  }

  /** The decoded form of `b` (JSON text cut to `maxChars`), or why it is not decoded; null when `b` is not in the wire format. */
  async decode(b: Buffer, maxChars: number): Promise<Decoded | null> {
    if (b.length < 5 || b[0] !== 0) return null;
    const id = b.readInt32BE(1);
    if (b.length > DECODE_MAX) return { schemaId: id, error: `larger than ${DECODE_MAX} bytes: not decoded` };
    let schema;
    try {
      schema = await this.schema(id);
    } catch (e) {
      return { schemaId: id, error: `schema ${id}: ${e instanceof Error ? e.message : String(e)}` };
    }
    try {
      const { value, note } = schema.decode(b.subarray(5));
      const json = jsonSafe(value);
      return { schemaId: id, schemaType: schema.schemaType, json: json.length > maxChars ? json.slice(0, maxChars) : json, truncated: json.length > maxChars, ...(note !== undefined ? { note } : {}) };
    } catch (e) {
      return { schemaId: id, error: `does not decode as ${schema.schemaType} schema ${id}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}
