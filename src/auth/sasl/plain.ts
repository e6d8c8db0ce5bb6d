/**
 * SASL/PLAIN server (RFC 4616, Kafka's PlainSaslServer): one client token
 * `authzid NUL authcid NUL passwd` (UTF-8), checked against the listener's JAAS users.
 * Kafka's rules and messages: exactly three fields; an empty username or password fails; an
 * authorization id other than the username fails; a wrong password or an unknown user fails
 * alike ("Invalid username or password"). Passwords are compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslServerMechanism, type SaslStep } from './mechanism.js';

export class PlainServer implements SaslServerMechanism {
  readonly mechanism = 'PLAIN';
  private done = false;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): SaslStep {
    if (this.done) throw new SaslAuthenticationError('Authentication failed: PLAIN takes a single client token');
    this.done = true;
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
    const [authzid, username, password] = parts as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    const expected = this.users.get(username);
    if (expected === undefined || !sameSecret(expected, password)) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    return { done: true, response: Buffer.alloc(0), user: username };
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Lengths differ: still compare equal-length buffers so the time does not depend on where they differ.
  return timingSafeEqual(x, x.length === y.length ? y : x) && x.length === y.length;
}
