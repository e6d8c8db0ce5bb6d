/**
 * KIP-768's broker-side validator (Kafka's OAuthBearerValidatorCallbackHandler with
 * ValidatorAccessTokenValidator): the token is a JWS signed by a key of the identity provider's
 * JWKS, verified with the `jose` library. Kafka's rules, each refusing the token with status
 * invalid_token:
 * - the signature verifies with the JWKS key its header's `kid` names (an algorithm `none` or an
 *   unknown key is refused);
 * - `exp` and `iat` are required; `exp` (and `nbf`) are checked with
 *   sasl.oauthbearer.clock.skew.seconds of tolerance (default 30);
 * - `aud` must contain one of sasl.oauthbearer.expected.audience when set, `iss` must equal
 *   sasl.oauthbearer.expected.issuer when set;
 * - the principal claim (sasl.oauthbearer.sub.claim.name, default `sub`) is a non-blank string;
 *   the scope claim (sasl.oauthbearer.scope.claim.name) is a string or a list.
 * The JWKS comes from sasl.oauthbearer.jwks.endpoint.url: an http(s) URL is fetched when first
 * needed and again once sasl.oauthbearer.jwks.endpoint.refresh.ms has passed, or when a token names
 * a key the cached set lacks (at most every 30 s, jose's cool-down); a `file:` URL is read once at
 * start-up, as Kafka's JwksFileVerificationKeyResolver does.
 * Samsa deviation: Kafka refreshes an http(s) JWKS in the background on a timer; Samsa refreshes
 * on the first validation after the refresh interval (same keys, no idle fetching). `jose` is loaded
 * on the first validation (a broker without OAUTHBEARER never loads it: start-up time); a JWKS file
 * is read and its shape checked at start-up, its keys imported by jose on first use.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { Clock } from '../../common/clock.js';
import { ConfigError } from '../../common/errors.js';
import { scopeOf, TokenValidationError, type BearerToken, type TokenValidator } from './token-validator.js';

export interface JwksOptions {
  /** sasl.oauthbearer.jwks.endpoint.url. */
  readonly url: string;
  readonly refreshMs: number;
  readonly expectedAudience: readonly string[];
  readonly expectedIssuer: string | null;
  readonly subClaimName: string;
  readonly scopeClaimName: string;
  readonly clockSkewSeconds: number;
}

const URL_KEY = 'sasl.oauthbearer.jwks.endpoint.url';

/** The key resolver for the configured JWKS; throws ConfigError for a bad URL or an unreadable file. */
export function jwksKeys(url: string, refreshMs: number): JWTVerifyGetKey {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(URL_KEY, `Invalid value ${url} for configuration ${URL_KEY}: not a URL`);
  }
  if (parsed.protocol === 'file:') {
    let jwks: unknown;
    try {
      jwks = JSON.parse(readFileSync(fileURLToPath(parsed), 'utf8'));
    } catch (e) {
      throw new ConfigError(URL_KEY, `Cannot read the JWKS file of ${URL_KEY} ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!isJwksLike(jwks)) throw new ConfigError(URL_KEY, `The JWKS file of ${URL_KEY} ${url} is not a JSON Web Key Set: it needs a "keys" array of objects`);
    return lazyKeys((jose) => jose.createLocalJWKSet(jwks));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(URL_KEY, `Invalid value ${url} for configuration ${URL_KEY}: the URL must use http, https or file`);
  }
  return lazyKeys((jose) => jose.createRemoteJWKSet(parsed, { cacheMaxAge: refreshMs > 0 ? refreshMs : Infinity, timeoutDuration: 10_000 }));
}

function isJwksLike(v: unknown): v is JSONWebKeySet {
  if (typeof v !== 'object' || v === null) return false;
  const keys: unknown = Reflect.get(v, 'keys');
  return Array.isArray(keys) && keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k));
}

/** A key resolver made by jose once it is loaded (on the first token). */
function lazyKeys(make: (jose: typeof import('jose')) => JWTVerifyGetKey): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | null = null;
  return async (header, token) => {
    keys ??= import('jose').then(make);
    return (await keys)(header, token);
  };
}

export class JwksValidator implements TokenValidator {
  constructor(
    private readonly options: JwksOptions,
    private readonly keys: JWTVerifyGetKey,
    private readonly clock: Clock,
  ) {}

  async validate(token: string): Promise<BearerToken> {
    const o = this.options;
    // Kafka's SerializedJwt: three non-empty parts.
    const parts = token.trim().split('.');
    if (parts.length !== 3 || parts.some((p) => p === '')) throw new TokenValidationError(`Malformed JWT provided; expected three sections (header, payload, and signature), but ${parts.length} sections provided`);
    let payload: Record<string, unknown>;
    try {
      const { jwtVerify } = await import('jose');
      const verified = await jwtVerify(token, this.keys, {
        ...(o.expectedAudience.length > 0 ? { audience: [...o.expectedAudience] } : {}),
        ...(o.expectedIssuer !== null ? { issuer: o.expectedIssuer } : {}),
        clockTolerance: o.clockSkewSeconds,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['exp', 'iat'],
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (e) {
      throw new TokenValidationError(`Could not validate the access token: ${e instanceof Error ? e.message : String(e)}`);
    }
    const sub = payload[o.subClaimName];
    if (sub !== undefined && typeof sub !== 'string') throw new TokenValidationError(`Could not extract the '${o.subClaimName}' claim from the access token`);
    if (sub === undefined || sub.trim() === '') throw new TokenValidationError(`${o.subClaimName} value must be non-null and non-empty`);
    const exp = payload.exp;
    if (typeof exp !== 'number' || exp < 0) throw new TokenValidationError('exp value must be non-negative');
    return { principal: sub.trim(), expiresAtMs: Math.round(exp * 1000), scope: scopeOf(payload[o.scopeClaimName]) };
  }
}
