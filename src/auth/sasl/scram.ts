/**
 * SASL/SCRAM-SHA-256 and SCRAM-SHA-512 server (RFC 5802 / RFC 7677, Kafka's ScramSaslServer).
 * Exchange: client-first `n,,n=<user>,r=<cnonce>` → server-first `r=<cnonce><snonce>,s=<salt>,i=<n>`
 * → client-final `c=biws,r=<nonce>,p=<proof>` → server-final `v=<signature>`.
 * Credentials are stored salted, as Kafka stores them: salt, iterations, StoredKey = H(ClientKey)
 * and ServerKey, where ClientKey = HMAC(SaltedPassword, "Client Key"), ServerKey =
 * HMAC(SaltedPassword, "Server Key"); the password itself is never kept.
 * Kafka's rules: an unknown user fails at the first message; channel binding (`p=` in the GS2
 * header) and delegation tokens (the `tokenauth` extension) are refused; the client-final nonce
 * must end with the combined nonce (librdkafka repeats its own nonce in front of it); the proof is checked against StoredKey in constant time. Usernames
 * are decoded from SCRAM's `=2C` / `=3D` escapes.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslServerMechanism, type SaslStep } from './mechanism.js';

export const ScramMechanism = {
  SCRAM_SHA_256: 'SCRAM-SHA-256',
  SCRAM_SHA_512: 'SCRAM-SHA-512',
} as const;
export type ScramMechanism = (typeof ScramMechanism)[keyof typeof ScramMechanism];

/** Kafka's ScramMechanism ids in AlterUserScramCredentials / DescribeUserScramCredentials. */
export const SCRAM_MECHANISM_IDS: ReadonlyMap<number, ScramMechanism> = new Map([
  [1, ScramMechanism.SCRAM_SHA_256],
  [2, ScramMechanism.SCRAM_SHA_512],
]);
export function scramMechanismId(m: ScramMechanism): number {
  return m === ScramMechanism.SCRAM_SHA_256 ? 1 : 2;
}
/** Kafka's bounds on iterations (ScramMechanism.minIterations, and its 16384 upper limit). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

/** Where the server finds a user's credential (the metadata image). */
export interface ScramCredentialSource {
  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined;
}

export function hashOf(m: ScramMechanism): 'sha256' | 'sha512' {
  return m === ScramMechanism.SCRAM_SHA_256 ? 'sha256' : 'sha512';
}

function hmac(m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hashOf(m), key).update(data).digest();
}

/** The stored form of a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, saltedPassword, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: createHash(hashOf(m)).update(clientKey).digest(),
    serverKey: hmac(m, saltedPassword, 'Server Key'),
  };
}

function decodeName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new SaslAuthenticationError('Invalid username encoding in SCRAM client-first message');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    // Attributes are one letter; extensions (Kafka's `tokenauth=true`) may be longer.
    const eq = part.indexOf('=');
    if (eq < 1) throw new SaslAuthenticationError(`Invalid SCRAM message attribute '${part}'`);
    if (!out.has(part.slice(0, eq))) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

export class ScramServer implements SaslServerMechanism {
  private state: 'first' | 'final' | 'done' = 'first';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private user = '';
  private credential: ScramCredential | undefined;

  /** `serverNonce`: the random part of the nonce (injected by tests; default 24 random bytes, base64). */
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly credentials: ScramCredentialSource,
    private readonly serverNonce: () => string = () => randomBytes(24).toString('base64'),
  ) {}

  private failed(): SaslAuthenticationError {
    return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
  }

  evaluate(token: Buffer): SaslStep {
    const message = token.toString('utf8');
    if (this.state === 'first') return this.first(message);
    if (this.state === 'final') return this.final(message);
    throw new SaslAuthenticationError('Unexpected SCRAM message after authentication completed');
  }

  private first(message: string): SaslStep {
    // gs2-header: cbind-flag "," [authzid] ","
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/.exec(message);
    if (m === null) throw new SaslAuthenticationError('Invalid SCRAM client first message');
    if ((m[1] as string).startsWith('p=')) throw new SaslAuthenticationError('SCRAM channel binding is not supported');
    this.gs2Header = message.slice(0, message.length - (m[3] as string).length);
    this.clientFirstBare = m[3] as string;
    const attrs = attributes(this.clientFirstBare);
    if (attrs.get('tokenauth') === 'true') throw new SaslAuthenticationError('Delegation token authentication is not supported');
    const name = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (name === undefined || clientNonce === undefined || clientNonce === '') throw new SaslAuthenticationError('Invalid SCRAM client first message: missing n or r');
    this.user = decodeName(name);
    const authzid = m[2] === undefined ? '' : decodeName((m[2] as string).slice(2));
    if (authzid !== '' && authzid !== this.user) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    this.credential = this.credentials.scramCredential(this.user, this.mechanism);
    if (this.credential === undefined) throw this.failed();
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return { done: false, challenge: Buffer.from(this.serverFirst, 'utf8') };
  }

  private final(message: string): SaslStep {
    this.state = 'done';
    const p = message.lastIndexOf(',p=');
    if (p < 0) throw new SaslAuthenticationError('Invalid SCRAM client final message: no proof');
    const withoutProof = message.slice(0, p);
    const attrs = attributes(message);
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) throw new SaslAuthenticationError('Invalid SCRAM client final message: channel binding does not match');
    // Kafka's rule is `endsWith`, not equality: librdkafka sends its client nonce before the combined one.
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw new SaslAuthenticationError('Invalid SCRAM client final message: nonce does not match');
    const cred = this.credential as ScramCredential;
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, cred.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw this.failed();
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = (proof[i] as number) ^ (clientSignature[i] as number);
    const computed = createHash(hashOf(this.mechanism)).update(clientKey).digest();
    if (!timingSafeEqual(computed, cred.storedKey)) throw this.failed();
    const serverSignature = hmac(this.mechanism, cred.serverKey, authMessage);
    return { done: true, response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: this.user };
  }
}
