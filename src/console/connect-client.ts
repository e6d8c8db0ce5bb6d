/**
 * The console's client of Kafka Connect's REST API (Samsa's src/connect, or Apache Kafka's
 * workers): connectors with their statuses, configs, tasks and KIP-875 offsets, plug-ins, and
 * the actions on a connector (pause, resume, stop, restart, delete).
 *
 * Connect's rules: errors are `{"error_code": <HTTP status>, "message"}`; 404 is an unknown
 * connector or task, 409 a connector that exists or a request made during a rebalance, 400 a bad
 * config or request (offsets can be changed only on a STOPPED connector). The console keeps
 * those statuses (a 401 or 403 of a Connect behind basic authentication becomes 403, 5xx 502)
 * with the code `CONNECT_<status>` and Connect's message. A URL's user info
 * (http://user:password@host:8083) logs in with HTTP basic authentication (service-http.ts).
 */
import { ApiError } from './api-error.js';
import { failureStatus, serviceRequest, serviceTarget, type ServiceNames, type ServiceTarget } from './service-http.js';

const NAMES: ServiceNames = { what: 'Kafka Connect', unavailable: 'CONNECT_UNAVAILABLE', tooLarge: 'CONNECT_ANSWER_TOO_LARGE', hint: 'Check --connect (console.connect.url) and that the Connect worker is running.' };

export class ConnectClient {
  private readonly target: ServiceTarget;

  constructor(url: string) {
    this.target = serviceTarget(url);
  }

  /** The request's answer body when Connect answered 2xx; else an ApiError with Connect's status and message. */
  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const res = await serviceRequest(this.target, NAMES, method, path, { accept: 'application/json', ...(body !== undefined ? { body } : {}) });
    if (res.status >= 200 && res.status < 300) return res.body;
    const o = typeof res.body === 'object' && res.body !== null ? (res.body as { message?: unknown }) : {};
    const hint = res.status === 401 || res.status === 403 ? 'Kafka Connect refused the console: give its credentials in the URL (http://user:password@host:8083).' : null;
    throw new ApiError(failureStatus(res.status), `CONNECT_${res.status}`, typeof o.message === 'string' ? o.message : `Kafka Connect answered ${res.status}`, hint);
  }

  /** The path of a connector (and what follows), its name escaped. */
  static path(name: string, rest = ''): string {
    return `/connectors/${encodeURIComponent(name)}${rest}`;
  }
}
