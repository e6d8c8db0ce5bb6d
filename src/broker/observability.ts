/**
 * A broker's observability wiring: its own Prometheus registry (never prom-client's global one,
 * so two brokers in one process export apart), filled from the broker's parts at scrape time
 * (metrics/kafka-metrics.ts, replication-metrics.ts, group-metrics.ts, log-metrics.ts, process-metrics.ts) plus the request metrics the
 * router feeds, served on `metrics.listeners` with the health endpoints (metrics/metrics-server.ts).
 * Without `metrics.listeners` nothing is built: the router measures nothing, only the plain
 * BrokerTopicMetrics counters are kept (a few additions per partition of a request).
 *
 * Log levels from the properties: `log.level` (the broker's root level; without it the level of
 * the logger the broker was given) and `log.levels` (component=level), applied at construction.
 */
import { Gauge, Registry, type Histogram } from 'prom-client';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../common/logger.js';
import { registerGroupMetrics } from '../metrics/group-metrics.js';
import { registerKafkaMetrics, type KafkaMetricSources } from '../metrics/kafka-metrics.js';
import { registerLogMetrics, type LogMetricSources } from '../metrics/log-metrics.js';
import { registerReplicationMetrics, type ReplicationMetricSources } from '../metrics/replication-metrics.js';
import { MetricsServer, type Readiness } from '../metrics/metrics-server.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { registerCoordinatorMetrics, type CoordinatorMetricSources } from '../metrics/coordinator-metrics.js';
import { RequestMetrics } from '../metrics/request-metrics.js';
import { renderInSlices } from '../metrics/sliced-scrape.js';
import type { GroupMetricSources } from '../metrics/group-metrics.js';
import { SAMSA_VERSION } from '../common/version.js';

export interface ObservabilitySources extends KafkaMetricSources, GroupMetricSources, CoordinatorMetricSources, ReplicationMetricSources, LogMetricSources {
  readonly nodeId: number;
  apiName(apiKey: number): string;
  readiness(): Readiness;
}

export class BrokerObservability {
  readonly registry = new Registry();
  readonly requests: RequestMetrics;
  private readonly logFlushes: Histogram;
  private readonly process: ProcessMetrics;
  private readonly server: MetricsServer;

  private constructor(private readonly src: ObservabilitySources, logger: Logger) {
    const registry = this.registry;
    this.requests = new RequestMetrics(registry, (k) => src.apiName(k), () => src.replicationStats.followerFetchVersions);
    registerKafkaMetrics(registry, src);
    registerReplicationMetrics(registry, src);
    registerGroupMetrics(registry, src);
    registerCoordinatorMetrics(registry, src);
    this.logFlushes = registerLogMetrics(registry, src);
    this.process = new ProcessMetrics(registry);
    const info = new Gauge({ name: 'samsa_build_info', help: 'Samsa version and node id (always 1)', labelNames: ['version', 'node_id'], registers: [registry] });
    info.set({ version: SAMSA_VERSION, node_id: String(src.nodeId) }, 1);
    this.server = new MetricsServer(
      {
        scrape: async () => ({ contentType: registry.contentType, body: await renderInSlices(registry) }),
        readiness: () => src.readiness(),
      },
      logger,
    );
  }

  /** Starts the metrics listeners of `metrics.listeners`; null when there are none. */
  static async start(config: BrokerConfig, src: ObservabilitySources, logger: Logger): Promise<BrokerObservability | null> {
    const specs = config.list('metrics.listeners');
    if (specs.length === 0) return null;
    const o = new BrokerObservability(src, logger);
    try {
      await o.server.listen(specs);
    } catch (e) {
      await o.close();
      throw e;
    }
    return o;
  }

  /** A log flush took `ms` (LogFlushStats). */
  logFlushed(ms: number): void {
    this.logFlushes.observe(ms);
  }

  /** The bound metrics listeners (port 0 resolved). */
  get listeners(): readonly { url: string; host: string; port: number }[] {
    return this.server.bound;
  }

  async close(): Promise<void> {
    this.process.close();
    await this.server.close();
  }
}

