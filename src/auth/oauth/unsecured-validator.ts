/**
 * Kafka's OAuthBearerUnsecuredValidatorCallbackHandler, for development: the token is an
 * unsecured JWS (RFC 7515 compact form with `"alg":"none"` and an empty signature), so anyone can
 * make one; nothing is verified but its claims. Kafka's rules, in its order, each refusing the
 * token with status invalid_token (the scope check: insufficient_scope):
 * - three dot-separated base64url parts, no `..`; header and claims are JSON objects;
 * - `alg` is `none` and the signature part is empty;
 * - `exp` is present and a number; the principal claim (`sub`, or the JAAS option
 *   unsecuredValidatorPrincipalClaimName) is a non-blank string;
 * - `iat`, when present, is not after now plus the allowable clock skew;
 * - now minus the skew is before `exp`; `exp` is after `iat`;
 * - every scope of unsecuredValidatorRequiredScope (space-delimited) is in the scope claim
 *   (`scope`, or unsecuredValidatorScopeClaimName; a string or a list).
 * The skew is unsecuredValidatorAllowableClockSkewMs (default 0; a negative or non-integer value
 * is refused at start-up).
 */
import type { Clock } from '../../common/clock.js';
import { scopeOf, TokenErrorStatus, TokenValidationError, type BearerToken, type TokenValidator } from './token-validator.js';

export interface UnsecuredOptions {
  readonly principalClaimName: string;
  readonly scopeClaimName: string;
  readonly requiredScope: readonly string[];
  readonly allowableClockSkewMs: number;
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function jsonPart(part: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new TokenValidationError('malformed Base64 URL encoded value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenValidationError('malformed JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TokenValidationError('malformed JSON');
  return parsed as Record<string, unknown>;
}

function numberClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new TokenValidationError(`The '${name}' claim was not of type Number: ${typeof v}`);
  return v;
}

/** The claims of an unsecured JWS (structure checks only). */
export function parseUnsecuredJws(token: string): Record<string, unknown> {
  if (token.includes('..')) throw new TokenValidationError("Malformed compact serialization contains '..'");
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenValidationError('Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values');
  const header = jsonPart(parts[0] as string);
  const claims = jsonPart(parts[1] as string);
  if (header.alg === undefined || header.alg === null) throw new TokenValidationError('JWS header must have an Algorithm value');
  if (header.alg !== 'none') throw new TokenValidationError("Unsecured JWS must have 'none' for an algorithm");
  if (parts[2] !== '') throw new TokenValidationError('Unsecured JWS must not contain a digital signature');
  return claims;
}

export class UnsecuredJwsValidator implements TokenValidator {
  constructor(
    private readonly options: UnsecuredOptions,
    private readonly clock: Clock,
  ) {}

  validate(token: string): BearerToken {
    const o = this.options;
    const claims = parseUnsecuredJws(token);
    const scope = scopeOf(claims[o.scopeClaimName]);
    const exp = numberClaim(claims, 'exp');
    if (exp === undefined) throw new TokenValidationError('No expiration time in JWT');
    const principal = claims[o.principalClaimName];
    if (principal !== undefined && principal !== null && typeof principal !== 'string') {
      throw new TokenValidationError(`The '${o.principalClaimName}' claim was not of type String: ${typeof principal}`);
    }
    if (typeof principal !== 'string' || principal.trim() === '') throw new TokenValidationError(`No principal name in JWT claim: ${o.principalClaimName}`);
    const iat = numberClaim(claims, 'iat');
    const now = this.clock.now();
    const skew = o.allowableClockSkewMs;
    if (iat !== undefined && 1000 * iat > now + skew) {
      throw new TokenValidationError(`The Issued At value (${iat} seconds) was after the indicated time (${now} ms) plus allowable clock skew (${skew} ms)`);
    }
    if (now - skew >= 1000 * exp) {
      throw new TokenValidationError(`The indicated time (${now} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${exp} seconds)`);
    }
    if (iat !== undefined && exp <= iat) throw new TokenValidationError(`The Expiration Time time (${exp} seconds) was not after the Issued At time (${iat} seconds)`);
    for (const required of o.requiredScope) {
      if (!scope.includes(required)) {
        throw new TokenValidationError(`The provided scope ([${scope.join(', ')}]) was missing a required scope (${required}).  All required scope elements: [${o.requiredScope.join(', ')}]`, TokenErrorStatus.INSUFFICIENT_SCOPE, `[${o.requiredScope.join(', ')}]`);
      }
    }
    return { principal, expiresAtMs: Math.round(exp * 1000), scope };
  }
}
