/**
 * The console's client of a Confluent-compatible schema registry (Samsa's src/registry, or
 * Confluent's): subjects, their versions, one version's schema, compatibility levels and schemas
 * by id, over HTTP with Confluent's content type. Registry failures become ApiErrors with the
 * registry's own error code and message (e.g. 40401 subject not found → 404).
 *
 * Rules of its own: every request has a timeout (REQUEST_MS) and an answer larger than
 * ANSWER_MAX is refused, so a misbehaving registry cannot hold or flood a console page; the URL
 * may arrive later (a broker's embedded registry on port 0 is known once it listens).
 */
import { ApiError } from './api-error.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const REQUEST_MS = 15_000;
const ANSWER_MAX = 16 * 1024 * 1024;

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  /** AVRO (Confluent's default when absent), JSON or PROTOBUF. */
  schemaType: string;
  schema: string;
  references: SchemaReference[];
}

export interface SchemaById {
  schemaType: string;
  schema: string;
  references: SchemaReference[];
}

export class RegistryClient {
  constructor(private readonly baseUrl: () => Promise<string>) {}

  private async get<T>(path: string): Promise<T> {
    let base: string;
    try {
      base = (await this.baseUrl()).replace(/\/+$/, '');
    } catch (e) {
      throw new ApiError(503, 'REGISTRY_UNAVAILABLE', `The schema registry is not available: ${e instanceof Error ? e.message : String(e)}`);
    }
    let res: Response;
    try {
      res = await fetch(base + path, { headers: { accept: CONTENT_TYPE }, signal: AbortSignal.timeout(REQUEST_MS) });
    } catch (e) {
      throw new ApiError(503, 'REGISTRY_UNAVAILABLE', `Cannot reach the schema registry at ${base}: ${e instanceof Error ? e.message : String(e)}`, 'Check --schema-registry and that the registry is running.');
    }
    const size = Number(res.headers.get('content-length') ?? '0');
    if (size > ANSWER_MAX) throw new ApiError(502, 'REGISTRY_ANSWER_TOO_LARGE', `The schema registry answered ${size} bytes`);
    const text = await res.text();
    if (text.length > ANSWER_MAX) throw new ApiError(502, 'REGISTRY_ANSWER_TOO_LARGE', `The schema registry answered ${text.length} characters`);
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!res.ok) {
      const o = typeof body === 'object' && body !== null ? (body as { error_code?: unknown; message?: unknown }) : {};
      const status = res.status === 404 ? 404 : res.status === 401 || res.status === 403 ? 403 : res.status < 500 ? 400 : 502;
      throw new ApiError(status, typeof o.error_code === 'number' ? `REGISTRY_${o.error_code}` : `REGISTRY_HTTP_${res.status}`, typeof o.message === 'string' ? o.message : `The schema registry answered ${res.status}`);
    }
    return body as T;
  }

  subjects(): Promise<string[]> {
    return this.get<string[]>('/subjects');
  }

  versions(subject: string): Promise<number[]> {
    return this.get<number[]>(`/subjects/${encodeURIComponent(subject)}/versions`);
  }

  async version(subject: string, version: number | 'latest'): Promise<SchemaVersion> {
    const v = await this.get<{ subject: string; version: number; id: number; schemaType?: string; schema: string; references?: SchemaReference[] }>(`/subjects/${encodeURIComponent(subject)}/versions/${version}`);
    return { subject: v.subject, version: v.version, id: v.id, schemaType: v.schemaType ?? 'AVRO', schema: v.schema, references: v.references ?? [] };
  }

  async byId(id: number): Promise<SchemaById> {
    const s = await this.get<{ schemaType?: string; schema: string; references?: SchemaReference[] }>(`/schemas/ids/${id}`);
    return { schemaType: s.schemaType ?? 'AVRO', schema: s.schema, references: s.references ?? [] };
  }

  /** The subject's compatibility level and whether it is the subject's own or the global one. */
  async compatibility(subject: string | null): Promise<{ level: string; source: 'subject' | 'global' }> {
    if (subject !== null) {
      try {
        return { level: (await this.get<{ compatibilityLevel: string }>(`/config/${encodeURIComponent(subject)}`)).compatibilityLevel, source: 'subject' };
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 404) throw e;
      }
    }
    return { level: (await this.get<{ compatibilityLevel: string }>('/config')).compatibilityLevel, source: 'global' };
  }
}
