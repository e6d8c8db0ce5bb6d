/**
 * Who is at the other end of a client connection, and the log context that names it: the
 * connection id, the listener and security protocol it was accepted on, the client's address,
 * the principal it authenticated as and the client id its requests carry. Kafka's connectionId
 * is "local-remote-index"; here the log fields are connectionId, listener, clientAddress, and
 * once known clientId and principal, so every line of one connection can be found by a field
 * (`logFields` gives the same fields to lines other components log about the connection).
 * Connection (connection.ts) extends this with the reading, dispatch and lifetime of the
 * connection; a subclass rather than a member, so the router's per-request noteClientId and the
 * handlers' principal reads stay one property away.
 */
import type { Socket } from 'node:net';
import type { SecurityProtocol } from '../common/security-protocol.js';
import type { Logger } from '../common/logger.js';
import type { ConnectionOptions, ConnectionPrincipal } from './connection-options.js';

export abstract class ConnectionIdentity {
  readonly id: number;
  readonly state = new Map<string, unknown>();
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  /**
   * Who the connection authenticated as: set at accept (PLAINTEXT: anonymous; SSL: from the client
   * certificate) or by SASL once it succeeds; null while a SASL listener's client has not yet.
   */
  principal: ConnectionPrincipal | null;
  /** The SASL mechanism the connection authenticated with (null: none). */
  saslMechanism: string | null = null;
  /** The logger the connection was given, and its child with the connection's fields. */
  private readonly baseLogger: Logger;
  protected logger: Logger;
  private clientId: string | null = null;
  private fields: Readonly<Record<string, string | number>> = {};

  constructor(accepted: Socket, opts: ConnectionOptions) {
    this.id = opts.id;
    this.remoteAddress = accepted.remoteAddress ?? '';
    this.remotePort = accepted.remotePort ?? 0;
    this.listenerName = opts.listenerName;
    this.baseLogger = opts.logger;
    this.logger = opts.logger;
    this.securityProtocol = opts.securityProtocol ?? 'PLAINTEXT';
    this.principal = opts.principal === undefined ? null : opts.principal;
    this.rebindLogger();
  }

  /** The context fields of this connection's log lines (connectionId, listener, clientAddress, clientId, principal). */
  get logFields(): Readonly<Record<string, string | number>> {
    return this.fields;
  }

  /** The client id of a request read on this connection (the log fields follow the latest one). */
  noteClientId(clientId: string | null): void {
    if (clientId === this.clientId || clientId === null || clientId === '') return;
    this.clientId = clientId;
    this.rebindLogger();
  }

  /** SASL succeeded: the principal and mechanism are set and the log fields name the principal. */
  protected setPrincipal(principal: ConnectionPrincipal, mechanism: string | null): void {
    this.principal = principal;
    this.saslMechanism = mechanism;
    this.rebindLogger();
  }

  private rebindLogger(): void {
    const f: Record<string, string | number> = { connectionId: this.id, listener: this.listenerName, clientAddress: `${this.remoteAddress}:${this.remotePort}` };
    if (this.clientId !== null) f['clientId'] = this.clientId;
    if (this.principal !== null) f['principal'] = `${this.principal.principalType}:${this.principal.name}`;
    this.fields = f;
    this.logger = this.baseLogger.bind(f);
  }
}
