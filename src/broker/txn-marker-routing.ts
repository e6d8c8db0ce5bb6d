/**
 * Where the transaction coordinator's markers go in a cluster (txn/markers.ts MarkerRouting;
 * Kafka's TransactionMarkerChannelManager): the leader of each partition from the metadata image,
 * and WriteTxnMarkers requests to other leaders over one connection per broker (on the
 * inter-broker listener, like the replica fetchers'). A connection that fails is dropped and made
 * again on the next send; the caller retries after `backoff()`.
 *
 * Samsa's deviation: one request per partition and marker (Kafka batches a destination's markers
 * into one request per broker), so a retry concerns exactly one partition.
 */
import { ApiKey } from '../protocol/generated/api-keys.js';
import type { WriteTxnMarkersResponse } from '../protocol/generated/messages/write-txn-markers.js';
import { ProtocolClient } from '../client/protocol-client.js';
import type { ClientSecurity } from '../client/client-security.js';
import { ErrorCode } from '../common/error-codes.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { MetadataStore } from '../metadata/store.js';
import type { MarkerRouting, TxnMarker } from '../txn/markers.js';
import type { ReplicaManager } from './replica-manager.js';

const WRITE_TXN_MARKERS_VERSION = 1;

export interface TxnMarkerRoutingDeps {
  localId: number;
  metadata: Pick<MetadataStore, 'image'>;
  replicas: Pick<ReplicaManager, 'partition'>;
  /** The listener other brokers are reached on (inter.broker.listener.name). */
  listenerName: string;
  /** This broker's client security on that listener (config/inter-broker-security.ts); undefined: PLAINTEXT. */
  security: ClientSecurity | undefined;
  scheduler: Pick<Scheduler, 'schedule'>;
  /** Wait between two sends of one marker (retry.backoff.ms). */
  backoffMs: number;
  requestTimeoutMs: number;
  logger: Logger;
}

export class TxnMarkerRouting implements MarkerRouting {
  private readonly clients = new Map<number, Promise<ProtocolClient>>();
  private closed = false;

  constructor(private readonly deps: TxnMarkerRoutingDeps) {}

  leaderOf(topic: string, partition: number): 'local' | number | null {
    const meta = this.deps.metadata.image().topic(topic)?.partitions[partition];
    if (meta === undefined) return null;
    if (meta.leader !== this.deps.localId) return meta.leader;
    // Led here by the image; until this broker has applied it, there is no leader to write to yet.
    return this.deps.replicas.partition(topic, partition)?.isLeader === true ? 'local' : -1;
  }

  async send(brokerId: number, topic: string, partition: number, marker: TxnMarker): Promise<number> {
    const client = await this.client(brokerId);
    try {
      const r = await client.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, WRITE_TXN_MARKERS_VERSION, {
        markers: [{ producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactionResult: marker.commit, topics: [{ name: topic, partitionIndexes: [partition] }], coordinatorEpoch: marker.coordinatorEpoch }],
      });
      return r.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    } catch (e) {
      this.drop(brokerId, client);
      throw e;
    }
  }

  backoff(): Promise<void> {
    return new Promise((resolve) => this.deps.scheduler.schedule(this.deps.backoffMs, resolve));
  }

  /** Closes every connection; later sends fail. */
  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) void c.then((x) => x.close(), () => undefined);
    this.clients.clear();
  }

  private client(brokerId: number): Promise<ProtocolClient> {
    if (this.closed) return Promise.reject(new Error('the marker channel is closed'));
    const existing = this.clients.get(brokerId);
    if (existing !== undefined) return existing;
    const b = this.deps.metadata.image().broker(brokerId);
    const e = b?.endpoints.find((x) => x.listenerName === this.deps.listenerName) ?? b?.endpoints[0];
    if (e === undefined) return Promise.reject(new Error(`broker ${brokerId} is not registered`));
    const connecting = ProtocolClient.connect({ host: e.host, port: e.port, clientId: `samsa-txn-markers-${this.deps.localId}`, requestTimeoutMs: this.deps.requestTimeoutMs, ...(this.deps.security !== undefined ? { security: this.deps.security } : {}) });
    this.clients.set(brokerId, connecting);
    connecting.then(
      (c) => void c.whenClosed().then(() => this.drop(brokerId, c)),
      () => {
        if (this.clients.get(brokerId) === connecting) this.clients.delete(brokerId);
      },
    );
    return connecting;
  }

  private drop(brokerId: number, client: ProtocolClient): void {
    const current = this.clients.get(brokerId);
    if (current === undefined) return;
    void current.then((c) => {
      if (c === client && this.clients.get(brokerId) === current) this.clients.delete(brokerId);
    }, () => undefined);
    client.close();
  }
}
