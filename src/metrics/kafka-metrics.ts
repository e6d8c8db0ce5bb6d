/**
 * Kafka's broker MBeans read at scrape time, named as the Prometheus JMX exporter's Kafka rules
 * name them (lower-cased `kafka_<domain>_<type>_<name>`, `_total` for a meter's Count, MBean keys
 * as labels):
 *   kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec[,topic=T] → kafka_server_brokertopicmetrics_messagesin_total{topic}
 *   (BytesIn, BytesOut, BytesRejected, TotalProduceRequests, FailedProduceRequests,
 *   TotalFetchRequests, FailedFetchRequests, ReplicationBytesOut alike; the series without a
 *   topic label is the all-topics meter, as Kafka's MBean without a topic key)
 *   kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions → kafka_server_replicamanager_underreplicatedpartitions
 *   (UnderMinIsrPartitionCount, AtMinIsrPartitionCount, LeaderCount, PartitionCount; IsrShrinksPerSec
 *   and IsrExpandsPerSec → _isrshrinks_total / _isrexpands_total)
 *   kafka.controller:type=KafkaController,name=ActiveControllerCount / OfflinePartitionsCount /
 *   GlobalPartitionCount / GlobalTopicCount → kafka_controller_kafkacontroller_*
 *   kafka.log:type=Log,name=Size|LogEndOffset|LogStartOffset|NumLogSegments,topic=T,partition=P → kafka_log_log_*{topic,partition}
 *   kafka.server:type=socket-server-metrics,listener=L connection-count → kafka_server_socketservermetrics_connections{listener}
 *   (not ..._connection_count: promtool's lint refuses a gauge ending in _count);
 *   successful-authentication-total / failed-authentication-total →
 *   kafka_server_socketservermetrics_{successful,failed}_authentication_total{listener};
 *   successful-reauthentication-total / failed-reauthentication-total / expired-connections-killed-count →
 *   kafka_server_socketservermetrics_{successful,failed}_reauthentication_total{listener},
 *   kafka_server_socketservermetrics_expired_connections_killed_total{listener}
 * Nothing here runs on the request path: the gauges walk the hosted partitions when scraped.
 *
 * Deviations: the controller gauges come from the broker that is the controller (1 there, 0
 * elsewhere), as in Kafka; a single node is its own controller. ISR shrinks/expands count the ISR
 * changes this broker, as leader, committed (Kafka counts the same on the leader).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Partition } from '../broker/partition.js';
import type { MetadataImage } from '../metadata/image.js';
import { TOPIC_COUNTERS, type BrokerTopicStats, type TopicCounters } from './topic-stats.js';

export interface KafkaMetricSources {
  readonly topicStats: BrokerTopicStats;
  /** The partitions hosted here (undefined before the broker has started). */
  partitions(): Iterable<Partition>;
  image(): MetadataImage | undefined;
  isController(): boolean;
  isrChanges(): { shrinks: number; expands: number };
  connections(): { listener: string; count: number }[];
  /** Successful / failed authentications per listener (socket-server-metrics). */
  authentications(): { listener: string; successes: number; failures: number; reauthentications: number; failedReauthentications: number; expiredConnectionsKilled: number }[];
  /** metrics.partition.series.max: above this many hosted partitions, no per-partition kafka_log_log_* series. */
  readonly maxPartitionSeries: number;
}

const TOPIC_METRIC: Record<keyof TopicCounters, [string, string]> = {
  messagesIn: ['messagesin', 'Records appended for clients (MessagesInPerSec)'],
  bytesIn: ['bytesin', 'Record bytes received from clients (BytesInPerSec)'],
  bytesOut: ['bytesout', 'Record bytes sent to consumers (BytesOutPerSec)'],
  bytesRejected: ['bytesrejected', 'Record bytes of refused produce requests (BytesRejectedPerSec)'],
  totalProduceRequests: ['totalproducerequests', 'Produce requests, per partition (TotalProduceRequestsPerSec)'],
  failedProduceRequests: ['failedproducerequests', 'Failed produce requests, per partition (FailedProduceRequestsPerSec)'],
  totalFetchRequests: ['totalfetchrequests', 'Consumer fetch requests, per partition (TotalFetchRequestsPerSec)'],
  failedFetchRequests: ['failedfetchrequests', 'Failed consumer fetch requests, per partition (FailedFetchRequestsPerSec)'],
};

/** Replica count of a partition as the metadata has it (1 when unknown). */
function replicaCount(image: MetadataImage | undefined, p: Partition): number {
  return image?.topic(p.topic)?.partitions[p.index]?.replicas.length ?? 1;
}

export function registerKafkaMetrics(registry: Registry, src: KafkaMetricSources): void {
  const registers = [registry];
  const stats = src.topicStats;
  for (const key of TOPIC_COUNTERS) {
    const [name, help] = TOPIC_METRIC[key];
    new Counter({
      name: `kafka_server_brokertopicmetrics_${name}_total`,
      help,
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        this.inc(stats.all[key]);
        for (const [topic, c] of stats.entries()) this.inc({ topic }, c[key]);
      },
    });
  }
  new Counter({ name: 'kafka_server_brokertopicmetrics_replicationbytesout_total', help: 'Record bytes sent to followers (ReplicationBytesOutPerSec)', registers, collect() {
    this.reset();
    this.inc(stats.replicationBytesOut);
  } });

  // ReplicaManager: one walk over the hosted partitions per scrape.
  interface Counts {
    leaders: number;
    partitions: number;
    underReplicated: number;
    underMinIsr: number;
    atMinIsr: number;
  }
  const count = (): Counts => {
    const c: Counts = { leaders: 0, partitions: 0, underReplicated: 0, underMinIsr: 0, atMinIsr: 0 };
    const image = src.image();
    for (const p of src.partitions()) {
      c.partitions++;
      if (!p.isLeader) continue;
      c.leaders++;
      const isr = p.isrSize;
      if (isr < replicaCount(image, p)) c.underReplicated++;
      const min = p.settings.minInsyncReplicas;
      if (isr < min) c.underMinIsr++;
      else if (isr === min) c.atMinIsr++;
    }
    return c;
  };
  let counts: Counts | null = null;
  const gauge = (name: string, help: string, pick: (c: Counts) => number, first = false): void => {
    new Gauge({
      name: `kafka_server_replicamanager_${name}`,
      help,
      registers,
      collect() {
        // The first of these gauges walks the partitions; the others reuse its counts (same scrape).
        if (first || counts === null) counts = count();
        this.set(pick(counts));
      },
    });
  };
  gauge('partitioncount', 'Partitions hosted on this broker (PartitionCount)', (c) => c.partitions, true);
  gauge('leadercount', 'Partitions this broker leads (LeaderCount)', (c) => c.leaders);
  gauge('underreplicatedpartitions', 'Led partitions whose ISR is smaller than their replica set (UnderReplicatedPartitions)', (c) => c.underReplicated);
  gauge('underminisrpartitioncount', 'Led partitions whose ISR is below min.insync.replicas (UnderMinIsrPartitionCount)', (c) => c.underMinIsr);
  gauge('atminisrpartitioncount', 'Led partitions whose ISR is exactly min.insync.replicas (AtMinIsrPartitionCount)', (c) => c.atMinIsr);
  new Counter({ name: 'kafka_server_replicamanager_isrshrinks_total', help: 'ISR shrinks committed by this broker as leader (IsrShrinksPerSec)', registers, collect() {
    this.reset();
    this.inc(src.isrChanges().shrinks);
  } });
  new Counter({ name: 'kafka_server_replicamanager_isrexpands_total', help: 'ISR expansions committed by this broker as leader (IsrExpandsPerSec)', registers, collect() {
    this.reset();
    this.inc(src.isrChanges().expands);
  } });

  // KafkaController: the cluster-wide view, reported by the controller.
  new Gauge({ name: 'kafka_controller_kafkacontroller_activecontrollercount', help: '1 on the active controller, else 0 (ActiveControllerCount)', registers, collect() {
    this.set(src.isController() ? 1 : 0);
  } });
  const controllerGauge = (name: string, help: string, value: (image: MetadataImage) => number): void => {
    new Gauge({ name: `kafka_controller_kafkacontroller_${name}`, help, registers, collect() {
      const image = src.image();
      this.set(image !== undefined && src.isController() ? value(image) : 0);
    } });
  };
  controllerGauge('offlinepartitionscount', 'Partitions without a leader (OfflinePartitionsCount; on the controller)', (image) => {
    let n = 0;
    for (const t of image.topics()) for (const p of t.partitions) if (p.leader < 0) n++;
    return n;
  });
  controllerGauge('globalpartitioncount', 'Partitions in the cluster (GlobalPartitionCount; on the controller)', (image) => {
    let n = 0;
    for (const t of image.topics()) n += t.partitions.length;
    return n;
  });
  controllerGauge('globaltopiccount', 'Topics in the cluster (GlobalTopicCount; on the controller)', (image) => image.topicCount);

  // kafka.log:type=Log per partition; a broker hosting more than metrics.partition.series.max
  // partitions leaves them out (a scrape of 100,000 partitions would block the event loop for seconds).
  const logGauge = (name: string, help: string, value: (p: Partition) => number): void => {
    new Gauge({ name: `kafka_log_log_${name}`, help, labelNames: ['topic', 'partition'], registers, collect() {
      this.reset();
      if ((counts ?? count()).partitions > src.maxPartitionSeries) return;
      for (const p of src.partitions()) if (!p.log.isClosed) this.set({ topic: p.topic, partition: String(p.index) }, value(p));
    } });
  };
  logGauge('size', 'Bytes of the partition log on disk (Size)', (p) => p.log.size());
  logGauge('logendoffset', 'Log end offset (LogEndOffset)', (p) => p.logEndOffset);
  logGauge('logstartoffset', 'Log start offset (LogStartOffset)', (p) => p.logStartOffset);
  logGauge('numlogsegments', 'Segments of the partition log (NumLogSegments)', (p) => p.log.segmentCount());

  new Gauge({ name: 'kafka_server_socketservermetrics_connections', help: 'Open client connections per listener (connection-count)', labelNames: ['listener'], registers, collect() {
    this.reset();
    for (const { listener, count } of src.connections()) this.set({ listener }, count);
  } });
  new Counter({ name: 'kafka_server_socketservermetrics_successful_authentication_total', help: 'Connections authenticated per listener (successful-authentication-total: PLAINTEXT and TLS channels ready, SASL exchanges succeeded)', labelNames: ['listener'], registers, collect() {
    this.reset();
    for (const { listener, successes } of src.authentications()) this.inc({ listener }, successes);
  } });
  new Counter({ name: 'kafka_server_socketservermetrics_failed_authentication_total', help: 'Failed authentications per listener (failed-authentication-total: TLS handshakes and SASL exchanges)', labelNames: ['listener'], registers, collect() {
    this.reset();
    for (const { listener, failures } of src.authentications()) this.inc({ listener }, failures);
  } });
  new Counter({ name: 'kafka_server_socketservermetrics_successful_reauthentication_total', help: 'Re-authentications on live connections per listener (successful-reauthentication-total, KIP-368)', labelNames: ['listener'], registers, collect() {
    this.reset();
    for (const { listener, reauthentications } of src.authentications()) this.inc({ listener }, reauthentications);
  } });
  new Counter({ name: 'kafka_server_socketservermetrics_failed_reauthentication_total', help: 'Failed re-authentications per listener (failed-reauthentication-total)', labelNames: ['listener'], registers, collect() {
    this.reset();
    for (const { listener, failedReauthentications } of src.authentications()) this.inc({ listener }, failedReauthentications);
  } });
  new Counter({ name: 'kafka_server_socketservermetrics_expired_connections_killed_total', help: 'Connections closed because their SASL session expired without re-authentication (expired-connections-killed-count)', labelNames: ['listener'], registers, collect() {
    this.reset();
    for (const { listener, expiredConnectionsKilled } of src.authentications()) this.inc({ listener }, expiredConnectionsKilled);
  } });
}
