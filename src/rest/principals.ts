/**
 * The REST proxy's Kafka identities. Without authentication every request shares one
 * ClusterClient, whose connections use the proxy's own client security (TLS and/or SASL, e.g. from
 * `samsa rest --command-config`). With `sasl` set to a mechanism (PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512), every request must carry HTTP basic credentials, and they become the SASL
 * username and password of the Kafka connections made for that principal (over the proxy's TLS
 * settings, if any): one ClusterClient (one connection per broker) per distinct user and
 * password, so Kafka's ACLs apply to each HTTP user.
 *
 * Kafka's rule kept: the SASL exchange is the Kafka clients' (src/client/client-security.ts); a
 * refused login is SASL_AUTHENTICATION_FAILED (58), which the proxy answers 401 (error code 40101).
 * Samsa's deviations: at most maxPrincipals identities are kept (the next one is refused with
 * 429 / 42901), and credentials are checked by the broker on the first connection of an identity,
 * not by the proxy; Confluent's own REST proxy needs its commercial security plugins for this.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ClientSaslMechanism, ClientSecurity } from '../client/client-security.js';
import { ClusterClient } from '../client/cluster-client.js';
import { KafkaConnection } from '../client/connection.js';
import { RestError, RestErrorCode } from './errors.js';

export interface BasicCredentials {
  user: string;
  password: string;
}

/** The credentials of an `Authorization: Basic ...` header, or null. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export interface PrincipalsOptions {
  bootstrap: readonly string[];
  clientId: string;
  /** Turns authentication on (HTTP basic credentials as this mechanism's login); null: one shared client. */
  sasl: ClientSaslMechanism | null;
  /** The proxy's own TLS (and, without `sasl`, SASL) settings of every Kafka connection. */
  security?: ClientSecurity | undefined;
  maxPrincipals: number;
}

export class Principals {
  private readonly shared: ClusterClient | null;
  private readonly byKey = new Map<string, ClusterClient>();

  constructor(private readonly opts: PrincipalsOptions) {
    const security = opts.security;
    this.shared = opts.sasl === null ? new ClusterClient({ bootstrap: opts.bootstrap, clientId: opts.clientId, connect: (address) => KafkaConnection.open(address, { clientId: opts.clientId, security }) }) : null;
  }

  /** The identity a request acts as ('' without authentication); 401 without credentials. */
  principalOf(req: FastifyRequest): string {
    if (this.shared) return '';
    const c = parseBasicAuth(req.headers.authorization);
    if (!c) throw new RestError(RestErrorCode.AUTHENTICATION, `Authentication required: HTTP basic credentials (the Kafka SASL ${this.opts.sasl ?? ''} user)`);
    return `${c.user}\u0000${createHash('sha256').update(c.password).digest('hex')}`;
  }

  /** The cluster client of the request's principal (its first connection checks the credentials). */
  async clusterFor(req: FastifyRequest): Promise<ClusterClient> {
    if (this.shared) return this.shared;
    const key = this.principalOf(req);
    let client = this.byKey.get(key);
    if (!client) {
      if (this.byKey.size >= this.opts.maxPrincipals) throw new RestError(RestErrorCode.TOO_MANY_INSTANCES, `Too many distinct principals: at most ${this.opts.maxPrincipals}`);
      const creds = parseBasicAuth(req.headers.authorization) as BasicCredentials;
      const security: ClientSecurity = { ...(this.opts.security?.tls !== undefined ? { tls: this.opts.security.tls } : {}), sasl: { mechanism: this.opts.sasl as ClientSaslMechanism, username: creds.user, password: creds.password } };
      client = new ClusterClient({ bootstrap: this.opts.bootstrap, clientId: this.opts.clientId, connect: (address) => KafkaConnection.open(address, { clientId: this.opts.clientId, security }) });
      this.byKey.set(key, client);
      try {
        await client.any();
      } catch (e) {
        // Wrong credentials (or no cluster): keep nothing for them.
        this.byKey.delete(key);
        client.close();
        throw e;
      }
    }
    return client;
  }

  close(): void {
    this.shared?.close();
    for (const c of this.byKey.values()) c.close();
    this.byKey.clear();
  }
}
