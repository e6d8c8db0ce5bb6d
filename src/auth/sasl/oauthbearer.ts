/**
 * SASL/OAUTHBEARER server (RFC 7628, KIP-255; Kafka's OAuthBearerSaslServer). The client's one
 * message is the GS2 header and key-value pairs separated by 0x01:
 *   `n,[a=<authzid>],` 0x01 `auth=Bearer <token>` 0x01 [`<key>=<value>` 0x01 ...] 0x01
 * Kafka's rules: a message that does not match (or has no `auth`, or a scheme other than Bearer,
 * case-insensitive) fails; the token goes to the listener's validator (auth/oauth/); a refused
 * token is answered with the RFC 7628 error challenge `{"status":"invalid_token"}` (plus `scope`
 * for insufficient_scope), the client answers 0x01, and the exchange then fails with that JSON as
 * the message (SASL_AUTHENTICATION_FAILED); an authorization id other than the token's principal
 * fails; SASL extensions are accepted (Kafka's validators accept them all) and not used.
 * The token's `exp` is the credential lifetime that bounds the session (sasl-dispatcher.ts).
 */
import { SaslAuthenticationError, type SaslServerMechanism, type SaslStep } from './mechanism.js';
import { TokenErrorStatus, TokenValidationError, type BearerToken, type TokenValidator } from '../oauth/token-validator.js';

const SEP = '\u0001';
/** Kafka's saslname: 0x01-0x7F except `,` and `=`, which are written =2C and =3D. */
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const KEY = '[A-Za-z]+';
const VALUE = '[\\x21-\\x7E \\t\\r\\n]+';
const INITIAL = new RegExp(`^n,(?:a=(${SASLNAME}))?,${SEP}((?:${KEY}=${VALUE}${SEP})*)${SEP}$`);
const AUTH = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

export interface ClientInitialResponse {
  readonly authorizationId: string;
  readonly token: string;
  readonly extensions: ReadonlyMap<string, string>;
}

/** Parses the client's message; throws SaslAuthenticationError with Kafka's reasons. */
export function parseClientInitialResponse(message: Buffer): ClientInitialResponse {
  const m = INITIAL.exec(message.toString('utf8'));
  if (m === null) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
  const pairs = new Map<string, string>();
  for (const kv of (m[2] as string).split(SEP)) {
    if (kv === '') continue;
    const eq = kv.indexOf('=');
    pairs.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const auth = pairs.get('auth');
  if (auth === undefined) throw new SaslAuthenticationError("Invalid OAUTHBEARER client first message: 'auth' not specified");
  pairs.delete('auth');
  const a = AUTH.exec(auth);
  if (a === null) throw new SaslAuthenticationError("Invalid OAUTHBEARER client first message: invalid 'auth' format");
  if ((a[1] as string).toLowerCase() !== 'bearer') throw new SaslAuthenticationError(`Invalid scheme in OAUTHBEARER client first message: ${a[1]}`);
  return { authorizationId: m[1] ?? '', token: a[2] as string, extensions: pairs };
}

/** Kafka's JSON error challenge. */
function errorChallenge(e: TokenValidationError): string {
  const scope = e.status === TokenErrorStatus.INSUFFICIENT_SCOPE && e.scope !== null ? `, "scope":"${e.scope}"` : '';
  return `{"status":"${e.status}"${scope}}`;
}

export class OAuthBearerServer implements SaslServerMechanism {
  readonly mechanism = 'OAUTHBEARER';
  /** The error challenge sent, awaiting the client's 0x01. */
  private errorMessage: string | null = null;
  /** Why the last token was refused (for the broker's log). */
  refusal: string | null = null;

  constructor(private readonly validator: TokenValidator) {}

  evaluate(token: Buffer): SaslStep | Promise<SaslStep> {
    if (token.length === 1 && token[0] === 1 && this.errorMessage !== null) throw new SaslAuthenticationError(this.errorMessage);
    this.errorMessage = null;
    const initial = parseClientInitialResponse(token);
    let validated: BearerToken | Promise<BearerToken>;
    try {
      validated = this.validator.validate(initial.token);
    } catch (e) {
      return this.refused(e);
    }
    if (validated instanceof Promise) return validated.then((t) => this.accepted(t, initial), (e: unknown) => this.refused(e));
    return this.accepted(validated, initial);
  }

  private accepted(token: BearerToken, initial: ClientInitialResponse): SaslStep {
    if (initial.authorizationId !== '' && initial.authorizationId !== token.principal) {
      throw new SaslAuthenticationError(`Authentication failed: Client requested an authorization id (${initial.authorizationId}) that is different from the token's principal name (${token.principal})`);
    }
    return { done: true, response: Buffer.alloc(0), user: token.principal, credentialExpiresAtMs: token.expiresAtMs };
  }

  private refused(e: unknown): SaslStep {
    if (!(e instanceof TokenValidationError)) throw e;
    this.refusal = e.message;
    this.errorMessage = errorChallenge(e);
    return { done: false, challenge: Buffer.from(this.errorMessage, 'utf8') };
  }
}
