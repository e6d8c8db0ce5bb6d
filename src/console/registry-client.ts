/**
 * The console's client of a Confluent-compatible schema registry (Samsa's src/registry, or
 * Confluent's): subjects, their versions, one version's schema, compatibility levels and schemas
 * by id, over HTTP with Confluent's content type. Registry failures become ApiErrors with the
 * registry's own error code and message (e.g. 40401 subject not found → 404).
 *
 * Confluent's rules: a registry behind HTTP basic authentication is logged in to with
 * `user:password` (its clients' basic.auth.user.info, or the URL's user info: service-http.ts);
 * a refused login (401) is answered 403 (REGISTRY_401 with Confluent's error body) with a hint.
 * Rules of its own: every request has a timeout and a bounded answer (service-http.ts); the URL
 * may arrive later (a broker's embedded registry on port 0 is known once it listens).
 */
import { ApiError } from './api-error.js';
import { failureStatus, serviceRequest, serviceTarget, type ServiceNames, type ServiceTarget } from './service-http.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const NAMES: ServiceNames = { what: 'the schema registry', unavailable: 'REGISTRY_UNAVAILABLE', tooLarge: 'REGISTRY_ANSWER_TOO_LARGE', hint: 'Check --schema-registry and that the registry is running.' };

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
  /**
   * @param baseUrl the registry's URL (a promise: known later)
   * @param userInfo `user:password` for HTTP basic authentication (null: the URL's user info, or none)
   */
  constructor(
    private readonly baseUrl: () => Promise<string>,
    private readonly userInfo: string | null = null,
  ) {}

  private async get<T>(path: string): Promise<T> {
    let target: ServiceTarget;
    try {
      target = serviceTarget(await this.baseUrl(), this.userInfo);
    } catch (e) {
      throw new ApiError(503, 'REGISTRY_UNAVAILABLE', `The schema registry is not available: ${e instanceof Error ? e.message : String(e)}`);
    }
    const res = await serviceRequest(target, NAMES, 'GET', path, { accept: CONTENT_TYPE });
    if (res.status < 200 || res.status >= 300) {
      const o = typeof res.body === 'object' && res.body !== null ? (res.body as { error_code?: unknown; message?: unknown }) : {};
      const login = res.status === 401 ? (target.authorization === null ? 'The schema registry asks for a login: give --schema-registry-basic-auth USER:PASSWORD (or basic.auth.user.info in --command-config).' : 'The schema registry refused the console\'s credentials (--schema-registry-basic-auth or basic.auth.user.info).') : null;
      throw new ApiError(failureStatus(res.status), typeof o.error_code === 'number' ? `REGISTRY_${o.error_code}` : `REGISTRY_HTTP_${res.status}`, typeof o.message === 'string' ? o.message : `The schema registry answered ${res.status}`, login);
    }
    return res.body as T;
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
