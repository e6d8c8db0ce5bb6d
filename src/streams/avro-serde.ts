/**
 * Avro serde through a schema registry (Confluent's KafkaAvroSerde wire format): a value is the
 * magic byte 0, the writer schema's registry id (4 bytes big-endian) and the Avro binary
 * encoding; reading resolves the writer schema to the serde's (reader) schema by Avro's schema
 * resolution rules.
 *
 * Kafka/Confluent rules kept: the subject is `<topic>-value` / `<topic>-key` (TopicNameStrategy)
 * unless named; with a schema and auto.register.schemas (the default) the schema is registered
 * under the subject (the registry answers with the existing id when it is already there); without
 * one the subject's latest schema is used; bytes without the magic byte, or with an unknown id,
 * fail to deserialize (the deserialization exception handler decides). Samsa's deviation: serdes
 * are synchronous, so the registry is asked once, when the serde is created (`await
 * avroSerde(...)`): the serde reads ids of every version the subject had then, and refresh()
 * learns later ones.
 */
import avro from 'avsc';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Serde } from './serdes.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

export interface AvroSerdeOptions {
  /** The registry's base URL, e.g. http://localhost:8081. */
  registryUrl: string;
  /** The subject (default: `<topic>-value`, or `<topic>-key` when isKey). */
  subject?: string;
  topic?: string;
  isKey?: boolean;
  /** The reader (and writer) schema; default: the subject's latest. */
  schema?: object | string;
  /** auto.register.schemas (default true). */
  autoRegister?: boolean;
}

export interface AvroSerde<T> extends Serde<T> {
  /** The id the serde writes with. */
  readonly schemaId: number;
  /** Learns the subject's versions registered since (for reading their ids). */
  refresh(): Promise<void>;
}

async function registry<T>(base: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`schema registry ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function avroSerde<T>(o: AvroSerdeOptions): Promise<AvroSerde<T>> {
  const subject = o.subject ?? (o.topic !== undefined ? `${o.topic}-${o.isKey ? 'key' : 'value'}` : undefined);
  if (subject === undefined) throw new Error('avroSerde needs a subject or a topic');
  const enc = encodeURIComponent(subject);
  let id: number;
  let reader: avro.Type;
  if (o.schema !== undefined) {
    const text = typeof o.schema === 'string' ? o.schema : JSON.stringify(o.schema);
    reader = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
    id = (o.autoRegister ?? true) ? (await registry<{ id: number }>(o.registryUrl, `/subjects/${enc}/versions`, { schema: text })).id : (await registry<{ id: number }>(o.registryUrl, `/subjects/${enc}`, { schema: text })).id;
  } else {
    const latest = await registry<{ id: number; schema: string }>(o.registryUrl, `/subjects/${enc}/versions/latest`);
    id = latest.id;
    reader = avro.Type.forSchema(JSON.parse(latest.schema) as avro.Schema);
  }
  const resolvers = new Map<number, avro.Type | Resolver>([[id, reader]]);
  const refresh = async (): Promise<void> => {
    for (const v of await registry<number[]>(o.registryUrl, `/subjects/${enc}/versions`)) {
      const s = await registry<{ id: number; schema: string }>(o.registryUrl, `/subjects/${enc}/versions/${v}`);
      if (resolvers.has(s.id)) continue;
      const writer = avro.Type.forSchema(JSON.parse(s.schema) as avro.Schema);
      resolvers.set(s.id, reader.createResolver(writer));
    }
  };
  await refresh();
  return {
    schemaId: id,
    refresh,
    serialize: (v) => {
      if (v === null || v === undefined) return null;
      const head = Buffer.alloc(5);
      head.writeInt32BE(id, 1);
      return Buffer.concat([head, reader.toBuffer(v)]);
    },
    deserialize: (d) => {
      if (d === null) return null as unknown as T;
      if (d.length < 5 || d[0] !== 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Unknown magic byte!');
      const writerId = d.readInt32BE(1);
      const r = resolvers.get(writerId);
      if (r === undefined) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Error retrieving Avro schema for id ${writerId} (subject ${subject})`);
      return (r === reader ? reader.fromBuffer(d.subarray(5)) : reader.fromBuffer(d.subarray(5), r as Resolver)) as T;
    },
  };
}
