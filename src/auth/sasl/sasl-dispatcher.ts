/**
 * Authentication on a SASL_PLAINTEXT or SASL_SSL listener (Kafka's SaslServerAuthenticator),
 * in front of the request router: until the connection has authenticated, only these requests
 * are served, in this order:
 *   ApiVersions (any number, before the handshake) → SaslHandshake → SaslAuthenticate ... (v1
 *   handshake) or raw size-prefixed SASL tokens (v0 handshake, no request header).
 * Kafka's rules, and what each violation gets:
 * - any other request before authentication completes: the connection is closed (Kafka's
 *   IllegalSaslStateException "Unexpected Kafka request of type ... during SASL handshake");
 * - a mechanism the listener does not enable: SaslHandshake answers UNSUPPORTED_SASL_MECHANISM
 *   with the enabled list, then the connection is closed;
 * - bad credentials: SaslAuthenticate answers SASL_AUTHENTICATION_FAILED with the reason, after
 *   connection.failed.authentication.delay.ms, then the connection is closed (v0 tokens: closed);
 *   each failure is logged at INFO;
 * - a frame larger than sasl.server.max.receive.size before authentication closes the connection
 *   as soon as its size prefix is read (the connection's frame limit until it authenticates).
 * Once authenticated, the connection's principal is `User:<name>` and every frame goes to the
 * router, which answers a second SaslHandshake / SaslAuthenticate with ILLEGAL_SASL_STATE.
 * Not implemented yet: re-authentication (connections.max.reauth.ms, KIP-368), OAUTHBEARER, GSSAPI.
 */
import { newAuthenticationCounts, type AuthenticationCounts } from '../../network/authentication-counts.js';
import { ErrorCode } from '../../common/error-codes.js';
import type { Logger } from '../../common/logger.js';
import type { Scheduler } from '../../common/scheduler.js';
import type { SaslSettings } from '../../config/listener-security.js';
import type { Connection, DispatchResult, FrameDispatcher } from '../../network/connection.js';
import { isFlexible } from '../../protocol/generated/flexible-versions.js';
import { decodeSaslAuthenticateRequest, encodeSaslAuthenticateResponse } from '../../protocol/generated/messages/sasl-authenticate.js';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse } from '../../protocol/generated/messages/sasl-handshake.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { SaslAuthenticationError, type SaslServerMechanism } from './mechanism.js';
import { PlainServer } from './plain.js';
import { ScramMechanism, ScramServer, type ScramCredentialSource } from './scram.js';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const STATE_KEY = 'sasl';

interface SaslState {
  phase: 'handshake' | 'authenticate' | 'raw-token';
  server: SaslServerMechanism | null;
}

export class SaslDispatcher implements FrameDispatcher {
  constructor(
    private readonly inner: FrameDispatcher,
    private readonly settings: SaslSettings,
    private readonly scram: ScramCredentialSource,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
    private readonly counts: AuthenticationCounts = newAuthenticationCounts(),
  ) {}

  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult> {
    if (conn.principal !== null) return this.inner.dispatch(frame, conn);
    if (frame.length > this.settings.maxReceiveSize) throw new Error(`Invalid SASL packet size ${frame.length} (sasl.server.max.receive.size ${this.settings.maxReceiveSize})`);
    let state = conn.state.get(STATE_KEY) as SaslState | undefined;
    if (state === undefined) {
      state = { phase: 'handshake', server: null };
      conn.state.set(STATE_KEY, state);
    }
    if (state.phase === 'raw-token') return this.rawToken(frame, conn, state);
    if (frame.length < 8) throw new Error(`request frame of ${frame.length} bytes is too short for a header`);
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    if (apiKey === API_VERSIONS && state.phase === 'handshake') return this.inner.dispatch(frame, conn);
    const r = new Reader(frame, 8);
    r.readNullableString();
    const flexible = isFlexible(apiKey, version);
    if (flexible) r.readTaggedFields();
    if (apiKey === SASL_HANDSHAKE && state.phase === 'handshake' && version >= 0 && version <= 1) {
      return this.handshake(decodeSaslHandshakeRequest(r, version).mechanism, version, correlationId, conn, state);
    }
    if (apiKey === SASL_AUTHENTICATE && state.phase === 'authenticate' && version >= 0 && version <= 2) {
      return this.authenticate(decodeSaslAuthenticateRequest(r, version).authBytes, version, flexible, correlationId, conn, state);
    }
    throw new Error(`Unexpected Kafka request of type ${apiKey} during SASL handshake`);
  }

  frameFreeAfterReturn(apiKey: number): boolean {
    return this.inner.frameFreeAfterReturn?.(apiKey) ?? false;
  }

  responseWritten(chunks: Buffer[]): void {
    this.inner.responseWritten?.(chunks);
  }

  private handshake(mechanism: string, version: number, correlationId: number, conn: Connection, state: SaslState): DispatchResult {
    const enabled = this.settings.mechanisms;
    const w = new Writer(64);
    w.writeInt32(correlationId);
    const server = enabled.includes(mechanism as (typeof enabled)[number]) ? this.serverFor(mechanism) : null;
    encodeSaslHandshakeResponse(w, { errorCode: server === null ? ErrorCode.UNSUPPORTED_SASL_MECHANISM : ErrorCode.NONE, mechanisms: [...enabled] }, version);
    if (server === null) {
      this.counts.failures++;
      this.logger.info(`Failed authentication with ${conn.remoteAddress} (Unsupported SASL mechanism ${mechanism})`, conn.logFields);
      conn.closeAfterResponses(`unsupported SASL mechanism ${mechanism}`);
    } else {
      state.server = server;
      state.phase = version === 0 ? 'raw-token' : 'authenticate';
    }
    return w.toChunks();
  }

  private serverFor(mechanism: string): SaslServerMechanism | null {
    if (mechanism === 'PLAIN') return new PlainServer(this.settings.plainUsers);
    if (mechanism === ScramMechanism.SCRAM_SHA_256 || mechanism === ScramMechanism.SCRAM_SHA_512) return new ScramServer(mechanism, this.scram);
    return null;
  }

  private authenticate(token: Buffer, version: number, flexible: boolean, correlationId: number, conn: Connection, state: SaslState): DispatchResult | Promise<DispatchResult> {
    const respond = (errorCode: number, errorMessage: string | null, authBytes: Buffer): Buffer[] => {
      const w = new Writer(64 + authBytes.length);
      w.writeInt32(correlationId);
      if (flexible) w.writeUInt8(0);
      encodeSaslAuthenticateResponse(w, { errorCode, errorMessage, authBytes, sessionLifetimeMs: 0n }, version);
      return w.toChunks();
    };
    try {
      const step = (state.server as SaslServerMechanism).evaluate(token);
      if (!step.done) return respond(ErrorCode.NONE, null, step.challenge);
      this.succeeded(conn, state, step.user);
      return respond(ErrorCode.NONE, null, step.response);
    } catch (e) {
      const message = e instanceof SaslAuthenticationError ? e.message : 'Authentication failed';
      return this.failed(conn, state, message, respond(ErrorCode.SASL_AUTHENTICATION_FAILED, message, Buffer.alloc(0)));
    }
  }

  /** Handshake v0: the frame is the client's token and the answer is the server's, with no headers. */
  private rawToken(token: Buffer, conn: Connection, state: SaslState): DispatchResult | Promise<DispatchResult> {
    try {
      const step = (state.server as SaslServerMechanism).evaluate(Buffer.from(token));
      if (!step.done) return [step.challenge];
      this.succeeded(conn, state, step.user);
      return [step.response];
    } catch (e) {
      return this.failed(conn, state, e instanceof SaslAuthenticationError ? e.message : 'Authentication failed', null);
    }
  }

  private succeeded(conn: Connection, state: SaslState, user: string): void {
    this.counts.successes++;
    conn.authenticated(Object.freeze({ principalType: 'User', name: user }), state.server?.mechanism ?? null);
    conn.state.delete(STATE_KEY);
  }

  /** The failure answer (null: none) goes out after the delay, then the connection closes. */
  private failed(conn: Connection, state: SaslState, message: string, answer: Buffer[] | null): Promise<DispatchResult> {
    state.server = null;
    state.phase = 'handshake';
    this.counts.failures++;
    this.logger.info(`Failed authentication with ${conn.remoteAddress} (${message})`, conn.logFields);
    const delayMs = this.settings.failedAuthDelayMs;
    return new Promise((resolve) => {
      const done = (): void => {
        conn.closeAfterResponses('SASL authentication failed');
        resolve(answer);
      };
      if (delayMs > 0) this.scheduler.schedule(delayMs, done);
      else done();
    });
  }
}
