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
 * router, which answers a second SaslHandshake / SaslAuthenticate with ILLEGAL_SASL_STATE, unless
 * the session has a lifetime (re-authentication, KIP-368, Kafka's rules):
 * - the session lifetime is connections.max.reauth.ms of the mechanism (0: none), bounded by the
 *   credential's remaining lifetime (OAUTHBEARER: the token's `exp`, which bounds it even when
 *   connections.max.reauth.ms is 0); SaslAuthenticate v1+ answers it in session_lifetime_ms;
 * - a SaslHandshake on an authenticated connection whose session has a lifetime starts
 *   re-authentication (at most once a second; otherwise ILLEGAL_SASL_STATE from the router): the
 *   exchange runs again on the live connection, any other request meanwhile closes it; another
 *   mechanism than the session's fails the exchange ("not supported for re-authentication"); a
 *   different principal fails it ("Cannot change principals during re-authentication"); a
 *   failure closes the connection; success extends the session by a new lifetime;
 * - a request other than that SaslHandshake arriving after the session expired closes the
 *   connection without an answer (Kafka's expired-connections-killed).
 * Not implemented: GSSAPI, delegation tokens.
 */
import { newAuthenticationCounts, type AuthenticationCounts } from '../../network/authentication-counts.js';
import { ErrorCode } from '../../common/error-codes.js';
import type { Logger } from '../../common/logger.js';
import type { Scheduler } from '../../common/scheduler.js';
import type { SaslSettings } from '../../config/listener-security.js';
import type { Connection, ConnectionPrincipal, DispatchResult, FrameDispatcher } from '../../network/connection.js';
import { isFlexible } from '../../protocol/generated/flexible-versions.js';
import { decodeSaslAuthenticateRequest, encodeSaslAuthenticateResponse } from '../../protocol/generated/messages/sasl-authenticate.js';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse } from '../../protocol/generated/messages/sasl-handshake.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { SaslAuthenticationError, type SaslServerMechanism, type SaslStep } from './mechanism.js';
import { OAuthBearerServer } from './oauthbearer.js';
import { PlainServer } from './plain.js';
import { ScramMechanism, ScramServer, type ScramCredentialSource } from './scram.js';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const STATE_KEY = 'sasl';
const SESSION_KEY = 'sasl-session';
/** Kafka's KafkaChannel.MIN_REAUTH_INTERVAL_ONE_SECOND_NANOS. */
const MIN_REAUTH_INTERVAL_MS = 1000;

interface SaslState {
  phase: 'handshake' | 'authenticate' | 'raw-token';
  server: SaslServerMechanism | null;
  /** Re-authenticating: the session's principal and mechanism. */
  reauth: { principal: ConnectionPrincipal; mechanism: string } | null;
  /** Re-authentication asked for another mechanism: the next token fails with this. */
  badMechanism: string | null;
}

/** An authenticated connection's session (Kafka's serverSessionExpirationTimeNanos). */
interface SaslSession {
  /** Scheduler time after which only a re-authentication is served; null: never. */
  expiresAt: number | null;
  lastReauthStart: number;
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
    let state = conn.state.get(STATE_KEY) as SaslState | undefined;
    if (conn.principal !== null && state === undefined) {
      const session = conn.state.get(SESSION_KEY) as SaslSession | undefined;
      if (session === undefined || session.expiresAt === null) return this.inner.dispatch(frame, conn);
      state = this.maybeBeginReauthentication(frame, conn, session);
      if (state === undefined) {
        if (this.scheduler.now() > session.expiresAt) {
          this.counts.expiredConnectionsKilled++;
          throw new Error(`SASL session expired ${this.scheduler.now() - session.expiresAt} ms ago without re-authentication`);
        }
        return this.inner.dispatch(frame, conn);
      }
    }
    if (frame.length > this.settings.maxReceiveSize) throw new Error(`Invalid SASL packet size ${frame.length} (sasl.server.max.receive.size ${this.settings.maxReceiveSize})`);
    if (state === undefined) {
      state = { phase: 'handshake', server: null, reauth: null, badMechanism: null };
      conn.state.set(STATE_KEY, state);
    }
    if (state.phase === 'raw-token') return this.rawToken(frame, conn, state);
    if (frame.length < 8) throw new Error(`request frame of ${frame.length} bytes is too short for a header`);
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    if (apiKey === API_VERSIONS && state.phase === 'handshake' && state.reauth === null) return this.inner.dispatch(frame, conn);
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

  /** A SaslHandshake on an authenticated connection whose session has a lifetime: the re-authentication state, else undefined. */
  private maybeBeginReauthentication(frame: Buffer, conn: Connection, session: SaslSession): SaslState | undefined {
    if (frame.length < 2 || frame.readInt16BE(0) !== SASL_HANDSHAKE || conn.principal === null) return undefined;
    const now = this.scheduler.now();
    if (now - session.lastReauthStart < MIN_REAUTH_INTERVAL_MS) return undefined;
    session.lastReauthStart = now;
    const state: SaslState = { phase: 'handshake', server: null, reauth: { principal: conn.principal, mechanism: conn.saslMechanism ?? '' }, badMechanism: null };
    conn.state.set(STATE_KEY, state);
    return state;
  }

  frameFreeAfterReturn(apiKey: number): boolean {
    return this.inner.frameFreeAfterReturn?.(apiKey) ?? false;
  }

  responseWritten(chunks: Buffer[]): void {
    this.inner.responseWritten?.(chunks);
  }

  get timesRequests(): boolean {
    return this.inner.timesRequests === true;
  }

  requestTimed(apiKey: number, queueMs: number, localMs: number, remoteMs: number, responseQueueMs: number, sendMs: number): void {
    this.inner.requestTimed?.(apiKey, queueMs, localMs, remoteMs, responseQueueMs, sendMs);
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
      if (state.reauth !== null && state.reauth.mechanism !== mechanism) {
        // Kafka answers the handshake, then fails the exchange (REAUTH_BAD_MECHANISM).
        state.badMechanism = `SASL mechanism '${mechanism}' requested by client is not supported for re-authentication of mechanism '${state.reauth.mechanism}'`;
      }
    }
    return w.toChunks();
  }

  private serverFor(mechanism: string): SaslServerMechanism | null {
    if (mechanism === 'PLAIN') return new PlainServer(this.settings.plainUsers);
    if (mechanism === ScramMechanism.SCRAM_SHA_256 || mechanism === ScramMechanism.SCRAM_SHA_512) return new ScramServer(mechanism, this.scram);
    if (mechanism === 'OAUTHBEARER' && this.settings.oauth !== null) return new OAuthBearerServer(this.settings.oauth);
    return null;
  }

  /** Runs the mechanism on one client token (a bad re-authentication mechanism fails it). */
  private evaluate(token: Buffer, state: SaslState): SaslStep | Promise<SaslStep> {
    if (state.badMechanism !== null) throw new SaslAuthenticationError(state.badMechanism);
    return (state.server as SaslServerMechanism).evaluate(token);
  }

  private authenticate(token: Buffer, version: number, flexible: boolean, correlationId: number, conn: Connection, state: SaslState): DispatchResult | Promise<DispatchResult> {
    const respond = (errorCode: number, errorMessage: string | null, authBytes: Buffer, sessionLifetimeMs = 0): Buffer[] => {
      const w = new Writer(64 + authBytes.length);
      w.writeInt32(correlationId);
      if (flexible) w.writeUInt8(0);
      encodeSaslAuthenticateResponse(w, { errorCode, errorMessage, authBytes, sessionLifetimeMs: BigInt(sessionLifetimeMs) }, version);
      return w.toChunks();
    };
    const fail = (e: unknown): Promise<DispatchResult> => {
      const message = this.failureMessage(e, state);
      return this.failed(conn, state, message, respond(ErrorCode.SASL_AUTHENTICATION_FAILED, message, Buffer.alloc(0)));
    };
    const next = (step: SaslStep): DispatchResult | Promise<DispatchResult> => {
      if (!step.done) return respond(ErrorCode.NONE, null, step.challenge);
      const lifetimeMs = this.succeeded(conn, state, step);
      return respond(ErrorCode.NONE, null, step.response, lifetimeMs);
    };
    try {
      const step = this.evaluate(token, state);
      if (step instanceof Promise) return step.then(next).catch(fail);
      return next(step);
    } catch (e) {
      return fail(e);
    }
  }

  /** The message the client gets: a SaslAuthenticationError's, else Kafka's generic one. */
  private failureMessage(e: unknown, state: SaslState): string {
    if (e instanceof SaslAuthenticationError) return e.message;
    if (!(e instanceof Error)) return 'Authentication failed';
    this.logger.warn(`SASL ${state.server?.mechanism ?? ''} failed unexpectedly`, e);
    return `Authentication failed during ${state.reauth === null ? 'authentication' : 're-authentication'} due to invalid credentials with SASL mechanism ${state.server?.mechanism ?? ''}`;
  }

  /** Handshake v0: the frame is the client's token and the answer is the server's, with no headers. */
  private rawToken(token: Buffer, conn: Connection, state: SaslState): DispatchResult | Promise<DispatchResult> {
    const fail = (e: unknown): Promise<DispatchResult> => this.failed(conn, state, this.failureMessage(e, state), null);
    const next = (step: SaslStep): DispatchResult => {
      if (!step.done) return [step.challenge];
      this.succeeded(conn, state, step);
      return [step.response];
    };
    try {
      const step = this.evaluate(Buffer.from(token), state);
      if (step instanceof Promise) return step.then(next).catch(fail);
      return next(step);
    } catch (e) {
      return fail(e);
    }
  }

  /**
   * The exchange completed: the principal is set (a re-authentication must keep it) and the
   * session lifetime is computed as Kafka's SaslServerAuthenticator does; returns it (ms, 0: none).
   */
  private succeeded(conn: Connection, state: SaslState, step: SaslStep & { done: true }): number {
    const mechanism = state.server?.mechanism ?? '';
    const principal: ConnectionPrincipal = Object.freeze({ principalType: 'User', name: step.user });
    const previous = state.reauth?.principal;
    if (previous !== undefined && (previous.principalType !== principal.principalType || previous.name !== principal.name)) {
      throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${previous.principalType}.${previous.name}: ${principal.principalType}.${principal.name}`);
    }
    const now = this.scheduler.now();
    const maxReauthMs = this.settings.maxReauthMs.get(mechanism) ?? 0;
    const credentialExpiry = step.credentialExpiresAtMs;
    let lifetimeMs = 0;
    let expiresAt: number | null = null;
    if (credentialExpiry !== undefined || maxReauthMs > 0) {
      // Kafka's calcCompletionTimesAndReturnSessionLifetimeMs: the smaller of the two that are set.
      // The broker's clock is wall-clock time, as a token's `exp` is.
      const remaining = credentialExpiry === undefined ? Infinity : credentialExpiry - now;
      lifetimeMs = Math.max(0, Math.min(remaining, maxReauthMs > 0 ? maxReauthMs : Infinity));
      expiresAt = now + lifetimeMs;
    }
    const session = conn.state.get(SESSION_KEY) as SaslSession | undefined;
    if (session === undefined) conn.state.set(SESSION_KEY, { expiresAt, lastReauthStart: Number.NEGATIVE_INFINITY } satisfies SaslSession);
    else session.expiresAt = expiresAt;
    if (state.reauth === null) this.counts.successes++;
    else this.counts.reauthentications++;
    if (state.reauth !== null) this.logger.debug(`connection ${conn.id} re-authenticated as ${principal.principalType}:${principal.name}; session lifetime ${lifetimeMs} ms`);
    conn.authenticated(principal, mechanism === '' ? null : mechanism);
    conn.state.delete(STATE_KEY);
    return lifetimeMs;
  }


  /** The failure answer (null: none) goes out after the delay, then the connection closes. */
  private failed(conn: Connection, state: SaslState, message: string, answer: Buffer[] | null): Promise<DispatchResult> {
    const refusal = state.server instanceof OAuthBearerServer ? state.server.refusal : null;
    state.server = null;
    state.phase = 'handshake';
    if (state.reauth === null) this.counts.failures++;
    else this.counts.failedReauthentications++;
    const what = state.reauth === null ? 'authentication' : 're-authentication';
    this.logger.info(`Failed ${what} with ${conn.remoteAddress} (${message}${refusal === null ? '' : `: ${refusal}`})`, conn.logFields);
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
