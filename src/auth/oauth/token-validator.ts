/**
 * What an OAUTHBEARER token validator gives the SASL server (Kafka's OAuthBearerValidatorCallback
 * answered with an OAuthBearerToken, or with an error status): the principal, the token's expiry
 * (the credential lifetime that bounds the session, KIP-368) and its scope. A refused token throws
 * TokenValidationError; its status and scope go to the client in the RFC 7628 JSON error
 * challenge (`{"status":"invalid_token"}`), its message only to the broker's log.
 */
export interface BearerToken {
  /** The session's principal name (the `sub` claim, or the configured one). */
  readonly principal: string;
  /** The token's expiry (`exp`), epoch milliseconds. */
  readonly expiresAtMs: number;
  readonly scope: readonly string[];
}

export interface TokenValidator {
  validate(token: string): BearerToken | Promise<BearerToken>;
}

export const TokenErrorStatus = {
  INVALID_TOKEN: 'invalid_token',
  INSUFFICIENT_SCOPE: 'insufficient_scope',
} as const;
export type TokenErrorStatus = (typeof TokenErrorStatus)[keyof typeof TokenErrorStatus];

export class TokenValidationError extends Error {
  constructor(
    message: string,
    readonly status: TokenErrorStatus = TokenErrorStatus.INVALID_TOKEN,
    /** The required scope (insufficient_scope), as Kafka lists it: `[a, b]`. */
    readonly scope: string | null = null,
  ) {
    super(message);
    this.name = 'TokenValidationError';
  }
}

/** Kafka's OAuthBearerScopeUtils: a space-delimited scope string or a list of scope strings. */
export function scopeOf(raw: unknown): string[] {
  if (typeof raw === 'string') return raw.split(' ').filter((s) => s !== '');
  if (Array.isArray(raw)) return raw.map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
  return [];
}
