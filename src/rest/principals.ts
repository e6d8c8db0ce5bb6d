/**
 * The REST proxy's Kafka identities. Without authentication every request shares one
 * ClusterClient. With `sasl: 'PLAIN'`, every request must carry HTTP basic credentials, and they
 * become the SASL PLAIN username and password of the Kafka connections made for that principal:
 * one ClusterClient (one connection per broker) per distinct user and password, so Kafka's ACLs
 * apply to each HTTP user.
 *
 * Kafka's rule kept: a SASL connection sends SaslHandshake v1 naming the mechanism, then
 * SaslAuthenticate with the PLAIN message (authzid, NUL, user, NUL, password); a refused login is
 * SASL_AUTHENTICATION_FAILED (58), which the proxy answers 401 (error code 40101). Samsa's
 * deviations: PLAIN only (SCRAM waits for client-side SASL in src/client), at most maxPrincipals
 * identities are kept (the next one is refused with 429 / 42901), and credentials are checked by
 * the broker on the first connection of an identity, not by the proxy.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AdminError } from '../client/admin.js';
import { ClusterClient } from '../client/cluster-client.js';
import { KafkaConnection } from '../client/connection.js';
import type { SaslAuthenticateResponse } from '../protocol/generated/messages/sasl-authenticate.js';
import type { SaslHandshakeResponse } from '../protocol/generated/messages/sasl-handshake.js';
import { RestError, RestErrorCode } from './errors.js';

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

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

/** Opens a connection and logs in with SASL PLAIN. */
export async function openPlain(address: string, clientId: string, c: BasicCredentials): Promise<KafkaConnection> {
  const conn = await KafkaConnection.open(address, { clientId });
  try {
    const hs = await conn.request<SaslHandshakeResponse>(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
    if (hs.errorCode !== 0) throw new AdminError(`SaslHandshake (server mechanisms: ${hs.mechanisms.join(', ')})`, hs.errorCode);
    const auth = await conn.request<SaslAuthenticateResponse>(SASL_AUTHENTICATE, 2, { authBytes: Buffer.from(`\u0000${c.user}\u0000${c.password}`, 'utf8') });
    if (auth.errorCode !== 0) throw new AdminError('SaslAuthenticate', auth.errorCode, auth.errorMessage);
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  }
}

export interface PrincipalsOptions {
  bootstrap: readonly string[];
  clientId: string;
  /** Turns authentication on; null: one shared anonymous client. */
  sasl: 'PLAIN' | null;
  maxPrincipals: number;
}

export class Principals {
  private readonly shared: ClusterClient | null;
  private readonly byKey = new Map<string, ClusterClient>();

  constructor(private readonly opts: PrincipalsOptions) {
    this.shared = opts.sasl === null ? new ClusterClient({ bootstrap: opts.bootstrap, clientId: opts.clientId }) : null;
  }

  /** The identity a request acts as ('' without authentication); 401 without credentials. */
  principalOf(req: FastifyRequest): string {
    if (this.shared) return '';
    const c = parseBasicAuth(req.headers.authorization);
    if (!c) throw new RestError(RestErrorCode.AUTHENTICATION, 'Authentication required: HTTP basic credentials (the Kafka SASL PLAIN user)');
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
      client = new ClusterClient({ bootstrap: this.opts.bootstrap, clientId: this.opts.clientId, connect: (address) => openPlain(address, this.opts.clientId, creds) });
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
