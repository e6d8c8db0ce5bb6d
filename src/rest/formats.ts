/**
 * The embedded formats of Confluent's REST Proxy: how the keys and values of a JSON request
 * become record bytes and back.
 *
 * Confluent's rules kept: `binary` carries base64 strings; `json` carries any JSON value, stored
 * as its UTF-8 JSON text; `avro`, `jsonschema` and `protobuf` carry JSON values checked against a
 * schema given inline (`value_schema`, registered under `<topic>-value` / `<topic>-key`) or by id
 * (`value_schema_id`), stored in the schema registry's wire format (magic byte 0, the 4-byte
 * schema id, then the Avro binary / JSON text / message-index list and Protobuf bytes). Avro
 * values use Avro's JSON encoding (unions wrapped as {"type": value}). A Protobuf schema's first
 * message is the record's type. Deviation: no Protobuf schema references.
 */
import avro from 'avsc';
import protobuf from 'protobufjs';
import { Ajv } from 'ajv';
import { jsonConversion, RestError, RestErrorCode } from './errors.js';
import type { RegisteredSchema, SchemaRegistryClient, SchemaType } from './schema-registry-client.js';

export const EMBEDDED_FORMATS = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const;
export type EmbeddedFormat = (typeof EMBEDDED_FORMATS)[number];

const SCHEMA_TYPE: Readonly<Record<'avro' | 'jsonschema' | 'protobuf', SchemaType>> = { avro: 'AVRO', jsonschema: 'JSON', protobuf: 'PROTOBUF' };

export function isEmbeddedFormat(s: string): s is EmbeddedFormat {
  return (EMBEDDED_FORMATS as readonly string[]).includes(s);
}

/** The embedded format named by a v2 media type (application/vnd.kafka.<format>.v2+json), or null. */
export function formatOfMediaType(mediaType: string | undefined): EmbeddedFormat | null {
  const m = /application\/vnd\.kafka\.([a-z]+)\.v2\+json/.exec(mediaType ?? '');
  const f = m?.[1];
  return f !== undefined && isEmbeddedFormat(f) ? f : null;
}

export const mediaTypeOf = (f: EmbeddedFormat): string => `application/vnd.kafka.${f}.v2+json`;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Serializes one side (key or value) of the records of a request. */
export interface SideEncoder {
  schemaId: number | null;
  encode(v: unknown): Buffer | null;
}

export interface SchemaSpec {
  schema?: unknown;
  schemaId?: unknown;
}

function wire(id: number, payload: Buffer, prefix?: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat(prefix ? [head, prefix, payload] : [head, payload]);
}

function firstMessage(root: protobuf.Root): protobuf.Type {
  const walk = (ns: protobuf.NamespaceBase): protobuf.Type | null => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Type) return o;
      if (o instanceof protobuf.Namespace) {
        const t = walk(o);
        if (t) return t;
      }
    }
    return null;
  };
  const t = walk(root);
  if (!t) throw new RestError(RestErrorCode.INVALID_SCHEMA, 'Invalid schema: the Protobuf schema has no message');
  return t;
}

/** The codec of a registered schema (compiled once per id). */
interface SchemaCodec {
  encode(v: unknown): Buffer;
  decode(payload: Buffer): unknown;
}

function compile(s: RegisteredSchema): SchemaCodec {
  try {
    switch (s.schemaType) {
      case 'AVRO': {
        const type = avro.Type.forSchema(JSON.parse(s.schema) as avro.Schema, { wrapUnions: true });
        return {
          encode: (v) => wire(s.id, type.toBuffer(type.fromString(JSON.stringify(v)))),
          decode: (p) => JSON.parse(type.toString(type.fromBuffer(p))) as unknown,
        };
      }
      case 'JSON': {
        // An Ajv of its own: Ajv keeps every schema it compiled by its $id and refuses a second one
        // with the same $id (another version of the subject, or another proxy in the process).
        const ajv = new Ajv({ strict: false, allErrors: false });
        const validate = ajv.compile(JSON.parse(s.schema) as object);
        return {
          encode: (v) => {
            if (!validate(v)) throw new Error(ajv.errorsText(validate.errors));
            return wire(s.id, Buffer.from(JSON.stringify(v), 'utf8'));
          },
          decode: (p) => JSON.parse(p.toString('utf8')) as unknown,
        };
      }
      case 'PROTOBUF': {
        const type = firstMessage(protobuf.parse(s.schema, { keepCase: true }).root);
        return {
          encode: (v) => {
            const err = type.verify(v as Record<string, unknown>);
            if (err) throw new Error(err);
            return wire(s.id, Buffer.from(type.encode(type.fromObject(v as Record<string, unknown>)).finish()), Buffer.from([0]));
          },
          decode: (p) => {
            // The message-index list: a zigzag varint count (0 = the first message), then the indexes.
            let pos = 0;
            const varint = (): number => {
              let shift = 0;
              let out = 0;
              for (;;) {
                const b = p[pos++];
                if (b === undefined) throw new Error('truncated message indexes');
                out |= (b & 0x7f) << shift;
                if ((b & 0x80) === 0) return (out >>> 1) ^ -(out & 1);
                shift += 7;
                if (shift > 28) throw new Error('malformed message indexes');
              }
            };
            const n = varint();
            for (let i = 0; i < n; i++) varint();
            return type.toObject(type.decode(p.subarray(pos)), { longs: String, enums: String, bytes: String, defaults: true });
          },
        };
      }
    }
  } catch (e) {
    if (e instanceof RestError) throw e;
    throw new RestError(RestErrorCode.INVALID_SCHEMA, `Invalid schema: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export class RecordFormats {
  private readonly codecs = new Map<number, SchemaCodec>();

  constructor(private readonly registry: SchemaRegistryClient | null) {}

  private codecOf(s: RegisteredSchema): SchemaCodec {
    let c = this.codecs.get(s.id);
    if (!c) this.codecs.set(s.id, (c = compile(s)));
    return c;
  }

  /** The encoder of one side of a produce request; `present` says whether any record has that side. */
  async encoder(format: EmbeddedFormat, topic: string, side: 'key' | 'value', spec: SchemaSpec, present: boolean): Promise<SideEncoder> {
    if (format === 'binary') {
      return {
        schemaId: null,
        encode: (v) => {
          if (v === null || v === undefined) return null;
          if (typeof v !== 'string' || !BASE64.test(v)) throw jsonConversion(`the ${side} is not a base64 string`);
          return Buffer.from(v, 'base64');
        },
      };
    }
    if (format === 'json') return { schemaId: null, encode: (v) => (v === null || v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8')) };
    const hasSpec = (spec.schema !== undefined && spec.schema !== null) || (spec.schemaId !== undefined && spec.schemaId !== null);
    if (!hasSpec) {
      if (present) throw side === 'key' ? new RestError(RestErrorCode.KEY_SCHEMA_MISSING, 'Request includes keys but does not include key schema') : new RestError(RestErrorCode.VALUE_SCHEMA_MISSING, 'Request includes values but does not include value schema');
      return { schemaId: null, encode: () => null };
    }
    if (!this.registry) throw new RestError(RestErrorCode.INVALID_SCHEMA, 'Invalid schema: no schema registry is configured (schema.registry.url)');
    let registered: RegisteredSchema;
    if (spec.schemaId !== undefined && spec.schemaId !== null) {
      if (typeof spec.schemaId !== 'number' || !Number.isInteger(spec.schemaId)) throw jsonConversion(`${side}_schema_id must be an integer`);
      registered = await this.registry.byIdOf(spec.schemaId);
    } else {
      const text = typeof spec.schema === 'string' ? spec.schema : JSON.stringify(spec.schema);
      registered = await this.registry.register(`${topic}-${side}`, text, SCHEMA_TYPE[format]);
    }
    const codec = this.codecOf(registered);
    return {
      schemaId: registered.id,
      encode: (v) => {
        if (v === null || v === undefined) return null;
        try {
          return codec.encode(v);
        } catch (e) {
          throw jsonConversion(e instanceof Error ? e.message : String(e));
        }
      },
    };
  }

  /** A record's key or value as the consumer's format shows it. */
  async decode(format: EmbeddedFormat, bytes: Buffer | null): Promise<unknown> {
    if (bytes === null) return null;
    switch (format) {
      case 'binary':
        return bytes.toString('base64');
      case 'json':
        try {
          return JSON.parse(bytes.toString('utf8')) as unknown;
        } catch (e) {
          throw new RestError(RestErrorCode.KAFKA_ERROR, `Kafka error: the record is not JSON (${e instanceof Error ? e.message : String(e)})`);
        }
      default: {
        if (!this.registry) throw new RestError(RestErrorCode.KAFKA_ERROR, 'Kafka error: no schema registry is configured (schema.registry.url)');
        if (bytes.length < 5 || bytes[0] !== 0) throw new RestError(RestErrorCode.KAFKA_ERROR, 'Kafka error: the record is not in the schema registry wire format');
        const codec = this.codecOf(await this.registry.byIdOf(bytes.readUInt32BE(1)));
        try {
          return codec.decode(bytes.subarray(5));
        } catch (e) {
          throw new RestError(RestErrorCode.KAFKA_ERROR, `Kafka error: cannot decode the record (${e instanceof Error ? e.message : String(e)})`);
        }
      }
    }
  }
}
