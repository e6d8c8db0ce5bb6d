/**
 * TCP listener that hands each accepted socket to a Connection, and enforces Kafka's connection
 * limits: max.connections (broker-wide when the broker passes its shared count, as Kafka counts;
 * over it a new connection is closed), max.connection.creation.rate and the listener's own
 * listener.name.<l>.max.connection.creation.rate (network/connection-rate.ts: connections wait,
 * unread, until both rates allow them), listener.name.<l>.max.connections (connections wait,
 * unread, until one of the listener's closes, as Kafka's acceptor waits for a slot), the
 * connection_creation_rate quota of the client's address (network/ip-connection-rate.ts: a
 * connection over it is accepted, not served, and closed after its throttle time, as Kafka's
 * acceptor does), max.connections.per.ip with max.connections.per.ip.overrides (a connection over
 * the limit is closed at once, as Kafka's acceptor does), and connections.max.idle.ms (a
 * connection with no complete request for that long is closed; checked by a sweep, so it closes
 * within 1.25 times the limit). At most MAX_WAITING sockets wait (Kafka's are in the kernel's
 * accept backlog); more are closed.
 * An SSL listener runs the TLS handshake on the accepted socket (counted against the limits from
 * accept, as Kafka does) and hands the Connection the TLSSocket once it is secure, with the
 * client certificate's principal (ssl.client.auth: `required` refuses a client without a
 * trusted certificate in the handshake; `requested` takes one if offered, and refuses an
 * untrusted one, as Java's TLS engine does; `none` never asks). A handshake that does not finish
 * within the idle limit (connections.max.idle.ms, else 10 s) is dropped.
 * Samsa: PLAINTEXT and SASL_PLAINTEXT connections keep the raw-socket path (frame-reader.ts);
 * TLS connections keep Node's TLSSocket, whose decrypted bytes land straight in the frame
 * reader's buffers (tls-frame-input.ts; on a Node without that mode, 'data' chunks are copied in).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { SecurityProtocol } from '../common/security-protocol.js';
import { scheduleRepeating, systemScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import { BufferPool, POOL_MAX_BYTES } from '../common/buffer-pool.js';
import type { Logger } from '../common/logger.js';
import { Connection, type ConnectionPrincipal, type FrameDispatcher } from './connection.js';
import { unlimitedBudget, type RequestBudget } from './request-budget.js';
import type { ConnectionRateLimiter } from './connection-rate.js';
import { plainAddress, type IpConnectionRates } from './ip-connection-rate.js';
import { newAuthenticationCounts, type AuthenticationCounts } from './authentication-counts.js';
import { newZeroCopyStats, type ZeroCopyStats } from './zero-copy-send.js';

export interface ListenOptions {
  host: string;
  port: number;
  listenerName: string;
  maxFrameBytes: number;
  /** max.connections, read at each accept (a dynamic broker config). */
  maxConnections?: number | (() => number);
  /** max.connections.per.ip (default: unlimited), read at each accept. */
  maxConnectionsPerIp?: number | (() => number);
  /** max.connections.per.ip.overrides, parsed (host or address -> limit), read at each accept. */
  maxConnectionsPerIpOverrides?: ReadonlyMap<string, number> | (() => ReadonlyMap<string, number>);
  /** The broker's count of open connections over all its listeners (max.connections is broker-wide). */
  openConnections?: { count: number };
  /** max.connection.creation.rate, shared by the broker's listeners. */
  creationRate?: ConnectionRateLimiter;
  /** listener.name.<l>.max.connection.creation.rate: this listener's own. */
  listenerCreationRate?: ConnectionRateLimiter;
  /** listener.name.<l>.max.connections, read at each accept (default unlimited). */
  maxListenerConnections?: () => number;
  /** The connection_creation_rate quotas of client addresses (ip quota entities), shared by the broker's listeners. */
  ipConnectionRates?: IpConnectionRates;
  /**
   * The inter-broker listener of a broker with several (Kafka's protected listener): not held
   * back by the broker-wide max.connections and max.connection.creation.rate (its connections
   * still count in them); its own listener limits and the ip quotas apply.
   */
  protectedListener?: boolean;
  /** connections.max.idle.ms; <= 0 or absent: never closed for idleness. */
  idleMs?: number;
  /** The broker-wide request budget shared by every listener (default: unlimited). */
  budget?: RequestBudget;
  /** Time and the idle sweep's timer (default real time). */
  scheduler?: Scheduler;
  /** The broker's pool for large request frames (default: one for this listener). */
  framePool?: BufferPool;
  /** The broker's connection id sequence, shared by its listeners (default: this listener's own). */
  nextConnectionId?: () => number;
  /** The broker's logger, shared with the connections. */
  logger: Logger;
  /** The listener's security protocol (default PLAINTEXT). */
  securityProtocol?: SecurityProtocol;
  /** TLS for SSL and SASL_SSL listeners. */
  tls?: ListenerTls;
  /** This listener's authentication counters (the SASL dispatcher shares them; default: its own). */
  authentications?: AuthenticationCounts;
  /** SASL listeners: the largest frame read before authentication (sasl.server.max.receive.size). */
  preAuthMaxFrameBytes?: number;
  /** The broker's zero-copy send counters, shared by its listeners (default: this listener's own). */
  zeroCopyStats?: ZeroCopyStats;
}

export interface ListenerTls {
  readonly secureContext: SecureContext;
  readonly clientAuth: 'none' | 'requested' | 'required';
  /**
   * The principal of a client certificate's subject (RFC 2253 DN); throws to refuse the
   * connection (no ssl.principal.mapping.rules rule applies).
   */
  principalOf(subjectDn: string): ConnectionPrincipal;
}

const ANONYMOUS_PRINCIPAL: ConnectionPrincipal = Object.freeze({ principalType: 'User', name: 'ANONYMOUS' });
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Sockets held unread by the creation rates or the listener's max.connections (Node's default listen backlog). */
const MAX_WAITING = 511;
const UNLIMITED = 2147483647;

export class KafkaServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly budget: RequestBudget;
  private readonly clock: Scheduler;
  private readonly framePool: BufferPool;
  private readonly nextConnectionId: () => number;
  private sweep: TimerHandle | null = null;
  /** TLS sockets whose handshake is still running. */
  private readonly handshaking = new Set<TLSSocket>();
  /** Open connections (TLS handshakes included), shared by the broker's listeners when it passes its count. */
  private readonly openCount: { count: number };
  /** Sockets waiting for the connection creation rate, in arrival order (paused, nothing read). */
  private readonly waiting: Socket[] = [];
  private waitTimer: TimerHandle | null = null;
  private readonly authCounts: AuthenticationCounts;
  /** This listener's open connections (TLS handshakes included), for listener.name.<l>.max.connections. */
  private listenerOpen = 0;
  /** Sockets throttled by their address's connection_creation_rate, closed when their timer fires. */
  private readonly throttled = new Map<Socket, TimerHandle>();
  private throttledSoFar = 0;
  private readonly zeroCopyStats: ZeroCopyStats;

  constructor(private readonly dispatcher: FrameDispatcher, private readonly opts: ListenOptions) {
    this.budget = opts.budget ?? unlimitedBudget();
    this.clock = opts.scheduler ?? systemScheduler;
    this.framePool = opts.framePool ?? new BufferPool(POOL_MAX_BYTES);
    let seq = 0;
    this.nextConnectionId = opts.nextConnectionId ?? (() => ++seq);
    this.openCount = opts.openConnections ?? { count: 0 };
    this.authCounts = opts.authentications ?? newAuthenticationCounts();
    this.zeroCopyStats = opts.zeroCopyStats ?? newZeroCopyStats();
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      // Paused: the Connection moves the socket into frame-reading mode before anything is read.
      const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket: Socket) => this.accept(socket));
      server.once('error', reject);
      const host = this.opts.host === '' ? undefined : this.opts.host;
      server.listen({ port: this.opts.port, host }, () => {
        server.off('error', reject);
        this.server = server;
        const idleMs = this.opts.idleMs ?? 0;
        if (idleMs > 0) {
          this.sweep = scheduleRepeating(this.clock, Math.max(Math.min(Math.floor(idleMs / 4), 30_000), 10), () => this.closeIdle(idleMs));
        }
        const addr = server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('listener has no TCP address'));
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Successful and failed authentications on this listener (socket-server-metrics). */
  get authentications(): AuthenticationCounts {
    return this.authCounts;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private limitFor(ip: string): number {
    const given = this.opts.maxConnectionsPerIpOverrides;
    const overrides = typeof given === 'function' ? given() : given;
    if (overrides !== undefined && overrides.size > 0) {
      const o = overrides.get(ip) ?? overrides.get(plainAddress(ip));
      if (o !== undefined) return o;
    }
    const limit = this.opts.maxConnectionsPerIp;
    return (typeof limit === 'function' ? limit() : limit) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Connections throttled by their address's connection_creation_rate and not closed yet. */
  get throttledCount(): number {
    return this.throttled.size;
  }

  /** Connections throttled by their address's connection_creation_rate since the listener started. */
  get throttledTotal(): number {
    return this.throttledSoFar;
  }

  private listenerMax(): number {
    return this.opts.maxListenerConnections?.() ?? UNLIMITED;
  }

  private accept(socket: Socket): void {
    const rate = this.opts.protectedListener === true ? undefined : this.opts.creationRate;
    const own = this.opts.listenerCreationRate;
    if ((rate !== undefined && !rate.unlimited) || (own !== undefined && !own.unlimited) || this.listenerMax() < UNLIMITED || this.waiting.length > 0) {
      if (this.waiting.length >= MAX_WAITING) {
        this.opts.logger.debug(`closing connection from ${socket.remoteAddress ?? '?'}: ${MAX_WAITING} connections already wait for the connection limits`);
        socket.destroy();
        return;
      }
      this.waiting.push(socket);
      this.admitWaiting();
      return;
    }
    this.admit(socket);
  }

  /**
   * Accepts waiting sockets while the creation rates and the listener's max.connections allow;
   * schedules the next try for a rate (a closing connection tries again for the count).
   */
  private admitWaiting(): void {
    if (this.waitTimer !== null) return;
    const rates = [this.opts.protectedListener === true ? undefined : this.opts.creationRate, this.opts.listenerCreationRate].filter((r): r is ConnectionRateLimiter => r !== undefined && !r.unlimited);
    while (this.waiting.length > 0) {
      if (this.listenerOpen >= this.listenerMax()) return;
      const delay = Math.max(0, ...rates.map((r) => r.delayMs()));
      if (delay > 0) {
        this.waitTimer = this.clock.schedule(delay, () => {
          this.waitTimer = null;
          this.admitWaiting();
        });
        return;
      }
      const socket = this.waiting.shift() as Socket;
      if (socket.destroyed) continue;
      for (const r of rates) r.accepted();
      this.admit(socket, rates);
    }
  }

  /** `rates`: the creation rates that counted this connection (un-counted when its address's quota throttles it). */
  private admit(socket: Socket, rates: readonly ConnectionRateLimiter[] = []): void {
    // Counted here: the accepted socket objects are handed over (see adoptFrameSocket), so the
    // net.Server's own count does not see them.
    const max = typeof this.opts.maxConnections === 'function' ? this.opts.maxConnections() : this.opts.maxConnections;
    if (max !== undefined && this.openCount.count >= max && this.opts.protectedListener !== true) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? '';
    const ipThrottle = this.opts.ipConnectionRates?.record(plainAddress(ip)) ?? 0;
    if (ipThrottle > 0) return this.throttle(socket, ip, ipThrottle, rates);
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.limitFor(ip)) {
      this.opts.logger.debug(`closing connection from ${ip}: max.connections.per.ip (${this.limitFor(ip)}) reached`);
      socket.destroy();
      return;
    }
    this.perIp.set(ip, fromIp + 1);
    this.openCount.count++;
    this.listenerOpen++;
    const tls = this.opts.tls;
    if (tls !== undefined) return this.handshake(socket, tls, ip);
    this.open(socket, ip, this.opts.securityProtocol === SecurityProtocol.SASL_PLAINTEXT ? null : ANONYMOUS_PRINCIPAL);
  }

  /** A connection over its address's connection_creation_rate: not served, closed after `ms` (Kafka's delayed close). */
  private throttle(socket: Socket, ip: string, ms: number, rates: readonly ConnectionRateLimiter[]): void {
    for (const r of rates) r.unrecord();
    this.throttledSoFar++;
    this.opts.logger.debug(`throttling connection from ${ip} for ${ms} ms: connection_creation_rate quota of the address`);
    const close = (): void => {
      const timer = this.throttled.get(socket);
      if (timer === undefined) return;
      timer.cancel();
      this.throttled.delete(socket);
      socket.destroy();
    };
    this.throttled.set(socket, this.clock.schedule(ms, close));
    socket.once('close', close);
  }

  /** Runs the TLS handshake; the connection opens once it is secure (with the client certificate's principal). */
  private handshake(socket: Socket, tls: ListenerTls, ip: string): void {
    const t = new TLSSocket(socket, {
      isServer: true,
      secureContext: tls.secureContext,
      requestCert: tls.clientAuth !== 'none',
      rejectUnauthorized: tls.clientAuth === 'required',
    });
    this.handshaking.add(t);
    const idle = this.opts.idleMs ?? 0;
    const timer = this.clock.schedule(idle > 0 ? Math.min(idle, HANDSHAKE_TIMEOUT_MS) : HANDSHAKE_TIMEOUT_MS, () => fail('TLS handshake timed out'));
    let done = false;
    const fail = (why: string): void => {
      if (done) return;
      done = true;
      timer.cancel();
      this.handshaking.delete(t);
      this.authCounts.failures++;
      this.opts.logger.info(`Failed authentication with ${ip} (SSL handshake failed: ${why})`);
      t.destroy();
      this.release(ip);
    };
    t.once('error', (e: Error) => fail(e.message));
    t.once('close', () => fail('connection closed'));
    t.once('secure', () => {
      if (done) return;
      let principal: ConnectionPrincipal = ANONYMOUS_PRINCIPAL;
      try {
        const cert = t.getPeerX509Certificate();
        if (cert !== undefined) {
          // `requested`: a certificate offered must be trusted (Java's engine refuses it otherwise).
          // A TLSSocket made outside tls.Server does not set `authorized`: ask the handle, as tls.Server does.
          const handle = (t as unknown as { _handle: { verifyError(): Error | null } | null })._handle;
          const verifyError = handle === null ? new Error('no TLS handle') : handle.verifyError();
          if (verifyError !== null) throw new Error(`untrusted client certificate: ${verifyError.message}`);
          principal = tls.principalOf(cert.subject);
        } else if (tls.clientAuth === 'required') {
          throw new Error('no client certificate');
        }
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
      done = true;
      timer.cancel();
      this.handshaking.delete(t);
      t.removeAllListeners('error');
      t.removeAllListeners('close');
      const sasl = this.opts.securityProtocol === SecurityProtocol.SASL_SSL;
      this.open(t, ip, sasl ? null : principal);
    });
  }

  private open(socket: Socket, ip: string, principal: ConnectionPrincipal | null): void {
    // A channel ready without SASL is an authentication as Kafka counts them (PLAINTEXT, a TLS handshake done).
    if (principal !== null) this.authCounts.successes++;
    const conn = new Connection(socket, this.dispatcher, {
      securityProtocol: this.opts.securityProtocol ?? SecurityProtocol.PLAINTEXT,
      principal,
      ...(this.opts.preAuthMaxFrameBytes !== undefined ? { preAuthMaxFrameBytes: this.opts.preAuthMaxFrameBytes } : {}),
      maxFrameBytes: this.opts.maxFrameBytes,
      listenerName: this.opts.listenerName,
      budget: this.budget,
      onClose: (c) => this.forget(c, ip),
      id: this.nextConnectionId(),
      framePool: this.framePool,
      scheduler: this.clock,
      logger: this.opts.logger,
      zeroCopyStats: this.zeroCopyStats,
    });
    this.connections.add(conn);
    conn.idleFor(this.clock.now(), 0);
  }

  private forget(c: Connection, ip: string): void {
    // Called once per connection (its teardown).
    this.connections.delete(c);
    this.release(ip);
  }

  private release(ip: string): void {
    this.openCount.count--;
    this.listenerOpen--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    // A slot of listener.name.<l>.max.connections may be free for a waiting connection.
    if (this.waiting.length > 0 && this.server !== null) this.admitWaiting();
  }

  private closeIdle(idleMs: number): void {
    const now = this.clock.now();
    for (const c of this.connections) {
      if (c.idleFor(now, idleMs)) c.close(`no complete request for ${idleMs} ms (connections.max.idle.ms)`);
    }
  }

  close(): Promise<void> {
    this.sweep?.cancel();
    this.sweep = null;
    for (const c of [...this.connections]) c.close();
    for (const t of [...this.handshaking]) t.destroy();
    this.waitTimer?.cancel();
    this.waitTimer = null;
    for (const s of this.waiting.splice(0)) s.destroy();
    for (const [s, timer] of [...this.throttled]) {
      timer.cancel();
      s.destroy();
    }
    this.throttled.clear();
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
