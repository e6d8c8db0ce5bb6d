/**
 * OAUTHBEARER test material: unsecured JWS tokens (`alg: none`, as Kafka's unsecured login module
 * makes them), the SASL client message of KIP-255, signing keys made with jose, and a JWKS served
 * from a local HTTP server on a free port (counting its fetches).
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export const OAUTH_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';
export const JWKS_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

/** An unsecured JWS with these claims (header {"alg":"none"}, empty signature). */
export function unsecuredToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'none' })}.${b64(claims)}.`;
}

/** Claims for `sub` valid from `nowMs` for `lifetimeS` seconds. */
export function claimsFor(sub: string, nowMs: number, lifetimeS = 3600, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return { sub, iat, exp: iat + lifetimeS, ...extra };
}

/** The client's SASL/OAUTHBEARER message: `n,[a=authzid],^Aauth=Bearer <token>^A^A`. */
export function oauthMessage(token: string, authzid = ''): Buffer {
  return Buffer.from(`n,${authzid === '' ? '' : `a=${authzid}`},\u0001auth=Bearer ${token}\u0001\u0001`, 'utf8');
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly publicJwk: JWK;
  sign(claims: JWTPayload, kid?: string): Promise<string>;
}

export async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    publicJwk,
    sign: (claims, k = kid) => new SignJWT(claims).setProtectedHeader({ alg, kid: k, typ: 'JWT' }).sign(privateKey),
  };
}

export interface JwksServer {
  readonly url: string;
  /** GETs served so far. */
  readonly fetches: number;
  close(): Promise<void>;
}

export async function serveJwks(keys: readonly JWK[]): Promise<JwksServer> {
  let fetches = 0;
  const body = JSON.stringify({ keys });
  const server: Server = createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get fetches() {
      return fetches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
