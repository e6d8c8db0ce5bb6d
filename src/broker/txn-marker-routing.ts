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
import type { ClientSecurity } from '../client/client-security.js';
import { ErrorCode } from '../common/error-codes.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { MetadataStore } from '../metadata/store.js';
import type { MarkerRouting, TxnMarker } from '../txn/markers.js';
import { PeerConnections } from './peer-connections.js';
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
  private readonly peers: PeerConnections;

  constructor(private readonly deps: TxnMarkerRoutingDeps) {
    this.peers = new PeerConnections({
      metadata: deps.metadata,
      listenerName: deps.listenerName,
      clientId: `samsa-txn-markers-${deps.localId}`,
      requestTimeoutMs: deps.requestTimeoutMs,
      security: deps.security,
      unregistered: (brokerId) => new Error(`broker ${brokerId} is not registered`),
      closedError: () => new Error('the marker channel is closed'),
    });
  }

  leaderOf(topic: string, partition: number): 'local' | number | null {
    const meta = this.deps.metadata.image().topic(topic)?.partitions[partition];
    if (meta === undefined) return null;
    if (meta.leader !== this.deps.localId) return meta.leader;
    // Led here by the image; until this broker has applied it, there is no leader to write to yet.
    return this.deps.replicas.partition(topic, partition)?.isLeader === true ? 'local' : -1;
  }

  async send(brokerId: number, topic: string, partition: number, marker: TxnMarker): Promise<number> {
    const client = await this.peers.get(brokerId);
    try {
      const r = await client.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, WRITE_TXN_MARKERS_VERSION, {
        markers: [{ producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactionResult: marker.commit, topics: [{ name: topic, partitionIndexes: [partition] }], coordinatorEpoch: marker.coordinatorEpoch }],
      });
      return r.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    } catch (e) {
      this.peers.drop(brokerId, client);
      throw e;
    }
  }

  backoff(): Promise<void> {
    return new Promise((resolve) => this.deps.scheduler.schedule(this.deps.backoffMs, resolve));
  }

  /** Closes every connection; later sends fail. */
  close(): void {
    this.peers.close();
  }
}
