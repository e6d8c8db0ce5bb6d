/**
 * The client side of SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802 / RFC 7677), as Kafka's
 * ScramSaslClient runs it over SaslAuthenticate:
 * client-first `n,,n=<user>,r=<cnonce>` → server-first `r=<nonce>,s=<salt>,i=<iterations>` →
 * client-final `c=biws,r=<nonce>,p=<proof>` → server-final `v=<signature>` (or `e=<error>`).
 * Kafka's rules kept: the server nonce must start with the client's, iterations below 4096 are
 * refused, the server's signature is checked (a server that does not know the password cannot
 * pass itself off as the broker), user names are escaped (`,` → `=2C`, `=` → `=3D`).
 * Samsa's deviation: no channel binding, no extensions (no delegation tokens), as Kafka's client.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** A SCRAM exchange the server broke off, or whose answer does not check out. */
export class ScramClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramClientError';
  }
}

/** Kafka's ScramMechanism.minIterations. */
const MIN_ITERATIONS = 4096;

function digest(m: ScramMechanismName): { hash: 'sha256' | 'sha512'; length: number } {
  return m === 'SCRAM-SHA-256' ? { hash: 'sha256', length: 32 } : { hash: 'sha512', length: 64 };
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new ScramClientError(`invalid SCRAM server message attribute '${part}'`);
    if (!out.has(part.slice(0, eq))) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** One SCRAM exchange: first() → final(serverFirst) → verify(serverFinal). */
export class ScramClient {
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | null = null;

  constructor(
    readonly mechanism: ScramMechanismName,
    username: string,
    private readonly password: string,
    /** The client nonce (injected by tests; default 24 random bytes, base64). */
    nonce: string = randomBytes(24).toString('base64'),
  ) {
    this.clientNonce = nonce;
    this.clientFirstBare = `n=${username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  }

  /** The client-first message. */
  first(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  /** The client-final message for the server-first one. */
  final(serverFirstBytes: Buffer): Buffer {
    const serverFirst = serverFirstBytes.toString('utf8');
    const attrs = attributes(serverFirst);
    const error = attrs.get('e');
    if (error !== undefined) throw new ScramClientError(`SCRAM server error: ${error}`);
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) throw new ScramClientError('invalid SCRAM server first message: the server nonce does not extend the client nonce');
    if (salt.length === 0) throw new ScramClientError('invalid SCRAM server first message: no salt');
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) throw new ScramClientError(`invalid SCRAM server first message: iterations ${attrs.get('i') ?? '(none)'} (at least ${MIN_ITERATIONS})`);
    const { hash, length } = digest(this.mechanism);
    const salted = pbkdf2Sync(this.password, salt, iterations, length, hash);
    const clientKey = createHmac(hash, salted).update('Client Key').digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = createHmac(hash, storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number);
    const serverKey = createHmac(hash, salted).update('Server Key').digest();
    this.serverSignature = createHmac(hash, serverKey).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server-final message (throws when the server did not prove it knows the credential). */
  verify(serverFinalBytes: Buffer): void {
    const attrs = attributes(serverFinalBytes.toString('utf8'));
    const error = attrs.get('e');
    if (error !== undefined) throw new ScramClientError(`SCRAM server error: ${error}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    const expected = this.serverSignature;
    if (expected === null || v.length !== expected.length || !timingSafeEqual(v, expected)) throw new ScramClientError('invalid SCRAM server final message: the server signature does not match');
  }
}
