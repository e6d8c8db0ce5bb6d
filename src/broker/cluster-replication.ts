/**
 * The replication side of a broker in a cluster: the replica fetchers (one per source broker,
 * connecting over the inter-broker listener), the replication throttles, and the ISR updater of
 * the partitions this broker leads.
 *
 * Kafka's rules kept: followers fetch with replica.fetch.wait.max.ms, replica.fetch.min.bytes,
 * replica.fetch.response.max.bytes, replica.fetch.max.bytes and replica.fetch.backoff.ms; a
 * request times out after replica.socket.timeout.ms on top of the fetch wait; a replica leaves the
 * ISR after replica.lag.time.max.ms and only registered brokers may join it. Samsa's deviation:
 * a source broker without an endpoint on the inter-broker listener is reached on its first one.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { InterBrokerSecurity } from '../config/inter-broker-security.js';
import type { MetadataStore } from '../metadata/store.js';
import { ProtocolClient } from '../client/protocol-client.js';
import { ReplicaFetcherManager } from '../replication/fetcher-manager.js';
import type { ReplicationStats } from '../replication/replication-stats.js';
import type { ClusterNode } from './cluster-node.js';
import { IsrUpdater } from './isr-updater.js';
import type { ReplicaManager } from './replica-manager.js';
import { replicationThrottles } from './replication-throttles.js';

export interface ClusterReplicationDeps {
  config: BrokerConfig;
  cluster: ClusterNode;
  metadata: MetadataStore;
  localId: number;
  replicas: ReplicaManager;
  stats: ReplicationStats;
  clock: Clock;
  scheduler: Scheduler;
  interBroker: InterBrokerSecurity;
  logger: Logger;
}

export interface ClusterReplication {
  throttles: ReturnType<typeof replicationThrottles>;
  fetchers: ReplicaFetcherManager;
  /** Started. */
  isrUpdater: IsrUpdater;
}

export function startClusterReplication(d: ClusterReplicationDeps): ClusterReplication {
  const { listenerName, security } = d.interBroker;
  const c = d.config;
  const throttles = replicationThrottles({ config: c, metadata: d.metadata, localId: d.localId, clock: d.clock });
  const fetchers = new ReplicaFetcherManager({
    throttle: throttles.follower,
    stats: d.stats,
    localId: d.localId,
    scheduler: d.scheduler,
    maxWaitMs: c.int('replica.fetch.wait.max.ms'),
    minBytes: c.int('replica.fetch.min.bytes'),
    maxBytes: c.int('replica.fetch.response.max.bytes'),
    partitionMaxBytes: c.int('replica.fetch.max.bytes'),
    backoffMs: c.int('replica.fetch.backoff.ms'),
    logger: d.logger.child('replica-fetcher'),
    connect: (brokerId) => {
      const b = d.metadata.image().broker(brokerId);
      const e = b?.endpoints.find((x) => x.listenerName === listenerName) ?? b?.endpoints[0];
      if (e === undefined) return Promise.reject(new Error(`broker ${brokerId} is not registered (no endpoint for ${listenerName})`));
      return ProtocolClient.connect({ host: e.host, port: e.port, clientId: `samsa-replica-${d.localId}`, requestTimeoutMs: c.int('replica.socket.timeout.ms') + c.int('replica.fetch.wait.max.ms'), ...(security !== undefined ? { security } : {}) });
    },
  });
  const store = d.cluster.store;
  const isrUpdater = new IsrUpdater({
    localId: d.localId,
    replicas: d.replicas,
    writer: store,
    scheduler: d.scheduler,
    lagTimeMaxMs: () => c.int('replica.lag.time.max.ms'),
    isrEligible: (id) => d.metadata.image().broker(id) !== undefined,
    logger: d.logger.child('isr'),
  });
  isrUpdater.start();
  return { throttles, fetchers, isrUpdater };
}
