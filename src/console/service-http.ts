/**
 * HTTP calls of the console to the services beside the cluster (the schema registry, Kafka
 * Connect): where they are, how the console logs in, and one bounded JSON request.
 *
 * Confluent's rules for the registry's HTTP basic authentication (its clients'
 * `basic.auth.credentials.source`): USER_INFO takes `basic.auth.user.info` = `user:password`;
 * URL takes the user info of the URL (`http://user:password@host:8081`). Samsa's deviations:
 * credentials given explicitly win over the URL's, and the URL's are always taken (fetch refuses
 * a URL with credentials, so they are moved into an Authorization header); the URL the console
 * shows in messages never carries the password.
 *
 * Rules of its own: every request has a timeout (REQUEST_MS) and an answer larger than
 * ANSWER_MAX is refused, so a misbehaving service cannot hold or flood a console page.
 */
import { ApiError } from './api-error.js';

const REQUEST_MS = 15_000;
const ANSWER_MAX = 16 * 1024 * 1024;

/** A service's base URL (no credentials, no trailing slash) and its Authorization header, if any. */
export interface ServiceTarget {
  readonly base: string;
  readonly authorization: string | null;
}

/** `user:password` as an HTTP basic Authorization header value. */
export function basicAuthorization(userInfo: string): string {
  return `Basic ${Buffer.from(userInfo, 'utf8').toString('base64')}`;
}

/**
 * The target of `url`: its user info (if any) moved into a basic Authorization header, unless
 * `userInfo` (`user:password`) is given, which wins. Throws Error for a URL that is not http(s).
 */
export function serviceTarget(url: string, userInfo: string | null = null): ServiceTarget {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an http(s) URL: ${u.protocol}`);
  let fromUrl: string | null = null;
  if (u.username !== '' || u.password !== '') fromUrl = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  const base = u.toString().replace(/\/+$/, '');
  const who = userInfo ?? fromUrl;
  return { base, authorization: who === null ? null : basicAuthorization(who) };
}

/** What a service answered: its HTTP status and the parsed JSON body (null when empty or not JSON). */
export interface ServiceAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface ServiceNames {
  /** In messages: "the schema registry", "Kafka Connect". */
  readonly what: string;
  /** The code of an unreachable service: REGISTRY_UNAVAILABLE, CONNECT_UNAVAILABLE. */
  readonly unavailable: string;
  /** The code of an answer too large: REGISTRY_ANSWER_TOO_LARGE, ... */
  readonly tooLarge: string;
  /** A hint for an unreachable service. */
  readonly hint: string;
}

/** One request with a timeout and a bounded answer; throws ApiError 503 when the service cannot be reached. */
export async function serviceRequest(target: ServiceTarget, names: ServiceNames, method: string, path: string, opts: { accept: string; body?: unknown }): Promise<ServiceAnswer> {
  const headers: Record<string, string> = { accept: opts.accept };
  if (target.authorization !== null) headers['authorization'] = target.authorization;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(target.base + path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}), signal: AbortSignal.timeout(REQUEST_MS) });
  } catch (e) {
    throw new ApiError(503, names.unavailable, `Cannot reach ${names.what} at ${target.base}: ${e instanceof Error ? e.message : String(e)}`, names.hint);
  }
  const size = Number(res.headers.get('content-length') ?? '0');
  if (size > ANSWER_MAX) {
    await res.body?.cancel().catch(() => undefined);
    throw new ApiError(502, names.tooLarge, `${names.what} answered ${size} bytes`);
  }
  const text = await res.text();
  if (text.length > ANSWER_MAX) throw new ApiError(502, names.tooLarge, `${names.what} answered ${text.length} characters`);
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

/** The console's status for a failure a service answered: 404, 409, 400, 403 (401 too) kept; 5xx → 502. */
export function failureStatus(status: number): number {
  if (status === 404 || status === 409) return status;
  if (status === 401 || status === 403) return 403;
  return status < 500 ? 400 : 502;
}
