/**
 * The first step of the gate: who is this connection? Kafka's rule: authentication happens once
 * per connection (SSL handshake, or SaslHandshake + SaslAuthenticate before any other request);
 * a PLAINTEXT connection is `User:ANONYMOUS`. Samsa today: PLAINTEXT only, so the one
 * implementation is `anonymousAuthenticator`; SASL/SSL plug in here (see docs/architecture.md).
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

export const anonymousAuthenticator: Authenticator = {
  authenticate(conn) {
    return Object.freeze({
      principal: ANONYMOUS,
      listenerName: conn.listenerName,
      securityProtocol: SecurityProtocol.PLAINTEXT,
      connectionId: conn.id,
      clientAddress: conn.remoteAddress,
    });
  },
};
