/**
 * The REST proxy's client of a schema registry, over Confluent Schema Registry's HTTP API (so it
 * works with Samsa's registry or Confluent's): register a schema under a subject
 * (POST /subjects/{s}/versions), read a schema by id (GET /schemas/ids/{id}), and the latest
 * version of a subject (GET /subjects/{s}/versions/latest). Schemas read by id are cached (ids
 * never change meaning).
 *
 * Confluent's rule kept: the subject of a topic's value is `<topic>-value`, of its key
 * `<topic>-key` (TopicNameStrategy). Deviation: no authentication to the registry yet.
 */
import { RestError, RestErrorCode } from './errors.js';

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

export interface RegisteredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryClient {
  private readonly byId = new Map<number, RegisteredSchema>();

  /** A function resolves the URL on first use (a broker's own registry, started after the proxy). */
  constructor(private readonly baseUrl: string | (() => Promise<string>)) {}

  private async base(): Promise<string> {
    if (typeof this.baseUrl === 'string') return this.baseUrl;
    try {
      return await this.baseUrl();
    } catch (e) {
      throw new RestError(RestErrorCode.KAFKA_RETRIABLE_ERROR, `Schema registry not available: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async register(subject: string, schema: string, schemaType: SchemaType): Promise<RegisteredSchema> {
    const body: { schema: string; schemaType?: SchemaType } = { schema };
    if (schemaType !== 'AVRO') body.schemaType = schemaType;
    const res = await this.call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body);
    const out = { id: res.id, schemaType, schema };
    this.byId.set(res.id, out);
    return out;
  }

  async byIdOf(id: number): Promise<RegisteredSchema> {
    const known = this.byId.get(id);
    if (known) return known;
    const res = await this.call<{ schema: string; schemaType?: SchemaType }>('GET', `/schemas/ids/${id}`);
    const out = { id, schemaType: res.schemaType ?? 'AVRO', schema: res.schema };
    this.byId.set(id, out);
    return out;
  }

  async latest(subject: string): Promise<RegisteredSchema> {
    const res = await this.call<{ id: number; schema: string; schemaType?: SchemaType }>('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`);
    const out = { id: res.id, schemaType: res.schemaType ?? 'AVRO', schema: res.schema };
    this.byId.set(res.id, out);
    return out;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const baseUrl = await this.base();
    let res: Response;
    try {
      res = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { accept: CONTENT_TYPE, ...(body !== undefined ? { 'content-type': CONTENT_TYPE } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new RestError(RestErrorCode.KAFKA_RETRIABLE_ERROR, `Schema registry not reachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const message = typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String((parsed as { message: unknown }).message) : text;
      // A schema the registry refuses (invalid, incompatible) is the request's fault: 42205.
      if (res.status === 422 || res.status === 409) throw new RestError(RestErrorCode.INVALID_SCHEMA, `Invalid schema: ${message}`);
      if (res.status === 404) throw new RestError(RestErrorCode.INVALID_SCHEMA, `Schema not found: ${message}`);
      throw new RestError(RestErrorCode.KAFKA_ERROR, `Schema registry error ${res.status}: ${message}`);
    }
    return parsed as T;
  }
}
