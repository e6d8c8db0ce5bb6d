/**
 * A broker's replication counters (replication/replication-stats.ts) on its registry, read at
 * scrape time, with the names the Prometheus JMX exporter's Kafka rules give Kafka's MBeans:
 *   kafka.server:type=BrokerTopicMetrics,name=ReplicationBytesInPerSec → kafka_server_brokertopicmetrics_replicationbytesin_total
 *   kafka.server:type=FetcherStats,name=RequestsPerSec|BytesPerSec,clientId=ReplicaFetcherThread-0-<source>
 *     → kafka_server_fetcherstats_requests_total{clientid} / kafka_server_fetcherstats_bytes_total{clientid}
 *   kafka.server:type=ReplicaFetcherManager,name=MaxLag,clientId=Replica → kafka_server_replicafetchermanager_maxlag{clientid="Replica"}
 *   kafka.network:type=RequestMetrics,name=RequestsPerSec,request=FetchFollower,version=V → the
 *     FetchFollower series of kafka_network_requestmetrics_requests_total (request-metrics.ts)
 * Samsa's own, under samsa_replication_*: empty replica fetches, OffsetForLeaderEpoch requests
 * sent, long-poll wakeups, high-watermark moves of replicated leaders.
 *
 * Deviations: FetcherStats carry only the clientId key (Kafka's thread name, fetcher id 0: one
 * fetcher per source broker), not brokerHost/brokerPort; their bytes are the record bytes
 * appended (whole batches), as ReplicationBytesIn. ReplicationBytesIn has no per-topic series.
 * MinFetchRate, DeadThreadCount and FailedPartitionsCount are not exported (no threads; a
 * partition in error waits for the metadata instead of failing).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReplicationCounters, ReplicationStats } from '../replication/replication-stats.js';

export interface ReplicationMetricSources {
  readonly replicationStats: Pick<ReplicationStats, keyof ReplicationCounters | 'sources' | 'maxLag' | 'followerFetchVersions'>;
}

/** Kafka's clientId of the fetcher of source broker `id` (ReplicaFetcherThread-<fetcherId>-<sourceBrokerId>). */
export function fetcherClientId(sourceId: number): string {
  return `ReplicaFetcherThread-0-${sourceId}`;
}

const SAMSA_COUNTERS: readonly [keyof ReplicationCounters, string, string][] = [
  ['emptyReplicaFetches', 'samsa_replication_empty_replica_fetches_total', 'Replica fetches answered without records'],
  ['truncationRequests', 'samsa_replication_truncation_requests_total', 'OffsetForLeaderEpoch requests sent by the replica fetchers (truncation before following)'],
  ['longPollWakeups', 'samsa_replication_long_poll_wakeups_total', 'Waiting fetches (follower or consumer) woken by an append'],
  ['highWatermarkMoves', 'samsa_replication_high_watermark_moves_total', 'High watermark moves of the replicated partitions led here'],
];

export function registerReplicationMetrics(registry: Registry, src: ReplicationMetricSources): void {
  const registers = [registry];
  const stats = src.replicationStats;
  new Counter({ name: 'kafka_server_brokertopicmetrics_replicationbytesin_total', help: 'Record bytes appended from leaders (ReplicationBytesInPerSec)', registers, collect() {
    this.reset();
    this.inc(stats.replicationBytesIn);
  } });
  new Counter({ name: 'kafka_server_fetcherstats_requests_total', help: 'Fetch requests answered to the replica fetcher of a source broker (FetcherStats RequestsPerSec)', labelNames: ['clientid'], registers, collect() {
    this.reset();
    for (const [id, s] of stats.sources) this.inc({ clientid: fetcherClientId(id) }, s.requests);
  } });
  new Counter({ name: 'kafka_server_fetcherstats_bytes_total', help: 'Record bytes the replica fetcher of a source broker appended (FetcherStats BytesPerSec)', labelNames: ['clientid'], registers, collect() {
    this.reset();
    for (const [id, s] of stats.sources) this.inc({ clientid: fetcherClientId(id) }, s.bytes);
  } });
  new Gauge({ name: 'kafka_server_replicafetchermanager_maxlag', help: 'Largest lag, in records, of a followed partition behind its leader (ReplicaFetcherManager MaxLag)', labelNames: ['clientid'], registers, collect() {
    this.set({ clientid: 'Replica' }, stats.maxLag());
  } });
  for (const [key, name, help] of SAMSA_COUNTERS) {
    new Counter({ name, help, registers, collect() {
      this.reset();
      this.inc(stats[key]);
    } });
  }
}
