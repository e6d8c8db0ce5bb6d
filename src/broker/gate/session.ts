/**
 * Who sent a request, and over what: Kafka's RequestContext identity (principal, listener,
 * security protocol, connection id, client address). Kafka's rule: the principal is established
 * once per connection by the listener's authenticator (SASL/SSL), and is `User:ANONYMOUS` on a
 * PLAINTEXT listener (and on an SSL listener without a client certificate).
 */

import { SecurityProtocol } from '../../common/security-protocol.js';

export { SecurityProtocol };

/** Kafka's KafkaPrincipal: a type and a name, written `User:alice`. */
export interface KafkaPrincipal {
  readonly principalType: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ principalType: 'User', name: 'ANONYMOUS' });

export function principalToString(p: KafkaPrincipal): string {
  return `${p.principalType}:${p.name}`;
}

/** The identity of one connection, fixed once it is authenticated. */
export interface Session {
  readonly principal: KafkaPrincipal;
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  readonly connectionId: number;
  /** The peer's IP address (IPv4-mapped IPv6 addresses as sent by the socket). */
  readonly clientAddress: string;
}
