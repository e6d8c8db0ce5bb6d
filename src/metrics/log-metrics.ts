/**
 * Kafka's log MBeans, named as the Prometheus JMX exporter's Kafka rules name them:
 *   kafka.log:type=LogFlushStats,name=LogFlushRateAndTimeMs → kafka_log_logflushstats_logflushrateandtimems
 *     (a histogram in milliseconds: _count is the number of flushes, its rate Kafka's flush rate)
 *   kafka.log:type=LogManager,name=OfflineLogDirectoryCount → kafka_log_logmanager_offlinelogdirectorycount
 * A flush is one call that fsyncs a log's unflushed segments (flush.messages / flush.ms reached,
 * a segment rolled, a log moved or closed), timed around the fsync calls, never per record; a
 * flush with nothing to fsync is not counted (Kafka's flush returns early then too).
 * Deviation: Kafka's Timer exports percentile gauges; here it is a Prometheus histogram (as
 * request-metrics.ts's TotalTimeMs), so percentiles come from histogram_quantile().
 */
import { Gauge, Histogram, type Registry } from 'prom-client';

/** Milliseconds: page-cache fsyncs of a few KiB to slow disks. */
const FLUSH_TIME_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

export interface LogMetricSources {
  /** Configured log dirs that failed (offline until restart). */
  offlineLogDirectoryCount(): number;
}

/** Registers the log metrics; returns the flush timer to observe each flush with. */
export function registerLogMetrics(registry: Registry, src: LogMetricSources): Histogram {
  const registers = [registry];
  new Gauge({ name: 'kafka_log_logmanager_offlinelogdirectorycount', help: 'Log directories that failed and are offline (OfflineLogDirectoryCount)', registers, collect() {
    this.set(src.offlineLogDirectoryCount());
  } });
  return new Histogram({ name: 'kafka_log_logflushstats_logflushrateandtimems', help: 'Log flushes (fsync of unflushed segments) and their duration in ms (LogFlushRateAndTimeMs)', buckets: FLUSH_TIME_BUCKETS_MS, registers });
}
