/**
 * What a ProtocolClient needs to reach a TLS or SASL listener: TLS trust and (for mTLS) key
 * material, and SASL credentials; and the SASL exchange it runs once connected.
 *
 * Kafka's rules (its clients' SaslClientAuthenticator and SslFactory):
 * - TLS: the broker's certificate must chain to a trusted CA, and with
 *   `ssl.endpoint.identification.algorithm=https` (the default since Kafka 2.0) it must name the
 *   host connected to (DNS or IP subject alternative name); an empty algorithm turns only the
 *   host check off.
 * - SASL: SaslHandshake v1 names the mechanism (UNSUPPORTED_SASL_MECHANISM lists the enabled
 *   ones), then SaslAuthenticate carries the mechanism's tokens until it completes; a failure
 *   answers SASL_AUTHENTICATION_FAILED with a message and the broker closes the connection.
 *   PLAIN sends `\0user\0password` once; SCRAM runs scram-client.ts.
 * Samsa's deviations: no ApiVersions before SaslHandshake (every Samsa and Kafka broker serves
 * v1 of both SASL APIs), no re-authentication, no OAUTHBEARER/GSSAPI on the client side.
 */
import type { SecureContext } from 'node:tls';
import { ErrorCode } from '../common/error-codes.js';
import { ScramClient } from './scram-client.js';

export type ClientSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const CLIENT_SASL_MECHANISMS: readonly ClientSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface ClientTlsOptions {
  /** Trusted CA certificates (PEM); default the system CAs. */
  readonly ca?: string | Buffer;
  /** Client certificate chain and key (PEM) for mTLS. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** A PKCS12 key store (client certificate and key), instead of cert/key. */
  readonly pfx?: Buffer;
  /** Decrypts an encrypted key (or opens the PKCS12 store). */
  readonly passphrase?: string;
  /** A ready-made context (a broker's own key and trust stores), used instead of the fields above. */
  readonly secureContext?: SecureContext;
  /** ssl.endpoint.identification.algorithm=https: the certificate must name the host. Default true. */
  readonly verifyHostname?: boolean;
}

export interface ClientSaslOptions {
  readonly mechanism: ClientSaslMechanism;
  readonly username: string;
  readonly password: string;
}

export interface ClientSecurity {
  readonly tls?: ClientTlsOptions;
  readonly sasl?: ClientSaslOptions;
}

/** The broker refused the credentials (or the mechanism); the connection is closed. */
export class ClientAuthenticationError extends Error {
  constructor(
    message: string,
    /** Kafka's error code from the broker, when it answered with one. */
    readonly errorCode: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClientAuthenticationError';
  }
}

/** Sends one request and resolves with the decoded body (the connection's request()). */
export type SaslRequest = <T>(apiKey: number, version: number, body: unknown) => Promise<T>;

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

interface HandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}
interface AuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

/** Runs SaslHandshake + SaslAuthenticate; rejects with ClientAuthenticationError when refused. */
export async function authenticate(request: SaslRequest, sasl: ClientSaslOptions): Promise<void> {
  const hs = await request<HandshakeResponse>(SASL_HANDSHAKE, 1, { mechanism: sasl.mechanism });
  if (hs.errorCode !== ErrorCode.NONE) {
    const why = hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM ? `mechanism ${sasl.mechanism} is not enabled on this listener (enabled: ${hs.mechanisms.join(', ')})` : `error code ${hs.errorCode}`;
    throw new ClientAuthenticationError(`SASL handshake failed: ${why}`, hs.errorCode);
  }
  const step = async (token: Buffer): Promise<Buffer> => {
    const r = await request<AuthenticateResponse>(SASL_AUTHENTICATE, 2, { authBytes: token });
    if (r.errorCode !== ErrorCode.NONE) {
      throw new ClientAuthenticationError(`SASL ${sasl.mechanism} authentication of ${sasl.username} failed: ${r.errorMessage ?? `error code ${r.errorCode}`}`, r.errorCode);
    }
    return r.authBytes;
  };
  if (sasl.mechanism === 'PLAIN') {
    await step(Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'));
    return;
  }
  const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
  const serverFirst = await step(scram.first());
  let serverFinal: Buffer;
  try {
    serverFinal = await step(scram.final(serverFirst));
  } catch (e) {
    if (e instanceof ClientAuthenticationError) throw e;
    throw new ClientAuthenticationError(`SASL ${sasl.mechanism} authentication of ${sasl.username} failed: ${e instanceof Error ? e.message : String(e)}`, null, { cause: e });
  }
  try {
    scram.verify(serverFinal);
  } catch (e) {
    throw new ClientAuthenticationError(`SASL ${sasl.mechanism} authentication of ${sasl.username} failed: ${e instanceof Error ? e.message : String(e)}`, null, { cause: e });
  }
}
