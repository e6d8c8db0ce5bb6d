/**
 * The first step of the gate: who is this connection? Kafka's rule: authentication happens once
 * per connection (SSL handshake, or SaslHandshake + SaslAuthenticate before any other request);
 * a PLAINTEXT connection is `User:ANONYMOUS`. The network layer authenticates (the TLS handshake
 * in network/server.ts, SASL in auth/sasl/sasl-dispatcher.ts) and records the principal on the
 * connection; `connectionAuthenticator` turns that into the session.
 */
import type { ConnectionInfo } from '../handler.js';
import { ANONYMOUS, SecurityProtocol, type Session } from './session.js';

export interface Authenticator {
  /**
   * The session of a connection. Called on the connection's first request; the router keeps the
   * answer for the connection's lifetime.
   */
  authenticate(conn: ConnectionInfo): Session;
}

/** The principal the connection authenticated as (anonymous before SASL completes: only ApiVersions gets there). */
export const connectionAuthenticator: Authenticator = {
  authenticate(conn) {
    return Object.freeze({
      principal: conn.principal ?? ANONYMOUS,
      listenerName: conn.listenerName,
      securityProtocol: conn.securityProtocol ?? SecurityProtocol.PLAINTEXT,
      connectionId: conn.id,
      clientAddress: conn.remoteAddress,
    });
  },
};

/** Kept for embedders that named it: the same as connectionAuthenticator. */
export const anonymousAuthenticator: Authenticator = connectionAuthenticator;
