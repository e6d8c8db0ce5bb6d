/**
 * The CLI's connection: a ProtocolClient (protocol-client.ts) opened from a "host:port" string,
 * with client id 'samsa-cli' and a 30 s request timeout unless told otherwise, over TLS/SASL when
 * given a ClientSecurity (the CLI's --command-config).
 */
import type { ClientSecurity } from './client-security.js';
import { ClientConnectionError, ProtocolClient } from './protocol-client.js';

export { ClientConnectionError, RequestTimeoutError } from './protocol-client.js';
export { ClientAuthenticationError, type ClientSecurity } from './client-security.js';

/** Parses "host:port" (IPv6 as "[::1]:9092"). */
export function parseHostPort(s: string, defaultPort = 9092): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new ClientConnectionError(`invalid address '${s}', expected host:port`);
  return { host: m[1] as string, port: m[2] !== undefined ? Number(m[2]) : defaultPort };
}

export class KafkaConnection {
  private constructor(
    readonly client: ProtocolClient,
    /** How it was opened (TLS/SASL), for connections to other brokers of the same cluster. */
    readonly security: ClientSecurity | undefined,
  ) {}

  get clientId(): string {
    return this.client.clientId ?? '';
  }

  /** `timeoutMs` bounds the connect; `requestTimeoutMs` is the default of request() (30 s); `security` TLS/SASL (client-security.ts). */
  static async open(address: string, opts: { clientId?: string; timeoutMs?: number; requestTimeoutMs?: number; security?: ClientSecurity | undefined } = {}): Promise<KafkaConnection> {
    const { host, port } = parseHostPort(address);
    const client = await ProtocolClient.connect({ host, port, clientId: opts.clientId ?? 'samsa-cli', connectTimeoutMs: opts.timeoutMs ?? 10_000, requestTimeoutMs: opts.requestTimeoutMs ?? 30_000, ...(opts.security !== undefined ? { security: opts.security } : {}) });
    return new KafkaConnection(client, opts.security);
  }

  /** Sends a request and resolves with the decoded response body. */
  request<T>(apiKey: number, version: number, body: unknown, timeoutMs?: number): Promise<T> {
    return this.client.request<T>(apiKey, version, body, timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}
