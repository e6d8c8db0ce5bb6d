/**
 * One connection per other broker for broker-to-broker requests (WriteTxnMarkers, the share
 * state RPCs), as Kafka's InterBrokerSendThread keeps one per destination: made on first use to
 * the broker's endpoint of the inter-broker listener (its first endpoint otherwise), with the
 * inter-broker security, shared while it is open, forgotten when it closes or fails so the next
 * request connects again.
 */
import type { ClientSecurity } from '../client/client-security.js';
import { ProtocolClient } from '../client/protocol-client.js';
import type { MetadataStore } from '../metadata/store.js';

export interface PeerConnectionsOptions {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly listenerName: string;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly security?: ClientSecurity | undefined;
  /** What a request to a broker with no registered endpoint fails with. */
  readonly unregistered: (brokerId: number) => Error;
  /** What a request after close() fails with. */
  readonly closedError: () => Error;
}

export class PeerConnections {
  private readonly clients = new Map<number, Promise<ProtocolClient>>();
  private closed = false;

  constructor(private readonly opts: PeerConnectionsOptions) {}

  /** The open (or opening) connection to `brokerId`. */
  get(brokerId: number): Promise<ProtocolClient> {
    if (this.closed) return Promise.reject(this.opts.closedError());
    const existing = this.clients.get(brokerId);
    if (existing !== undefined) return existing;
    const b = this.opts.metadata.image().broker(brokerId);
    const e = b?.endpoints.find((x) => x.listenerName === this.opts.listenerName) ?? b?.endpoints[0];
    if (e === undefined) return Promise.reject(this.opts.unregistered(brokerId));
    const o = this.opts;
    const connecting = ProtocolClient.connect({ host: e.host, port: e.port, clientId: o.clientId, requestTimeoutMs: o.requestTimeoutMs, ...(o.security !== undefined ? { security: o.security } : {}) });
    this.clients.set(brokerId, connecting);
    connecting.then(
      (c) => void c.whenClosed().then(() => this.drop(brokerId, c)),
      () => {
        if (this.clients.get(brokerId) === connecting) this.clients.delete(brokerId);
      },
    );
    return connecting;
  }

  /** Closes `client` (a connection a request failed on) and forgets it if it is still the current one. */
  drop(brokerId: number, client: ProtocolClient): void {
    const current = this.clients.get(brokerId);
    if (current === undefined) return;
    void current.then((c) => {
      if (c === client && this.clients.get(brokerId) === current) this.clients.delete(brokerId);
    }, () => undefined);
    client.close();
  }

  /** Closes every connection; later requests fail with closedError(). */
  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) void c.then((x) => x.close(), () => undefined);
    this.clients.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
