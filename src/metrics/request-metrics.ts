/**
 * Kafka's RequestMetrics (kafka.network:type=RequestMetrics,name=RequestsPerSec|TotalTimeMs,
 * request=<API>[,version=<v>]) as the JMX exporter names them:
 *   kafka_network_requestmetrics_requests_total{request="Produce",version="9"}
 *   kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="5"} (+ _sum, _count)
 *   kafka_network_requestmetrics_errors_total{request="Produce",error="UNKNOWN_SERVER_ERROR"}
 *   kafka_network_requestmetrics_throttletimems_bucket{request="Produce",le="100"} (throttled requests only)
 * Deviation: Kafka exports TotalTimeMs as a Yammer histogram (percentile gauges); here it is a
 * Prometheus histogram (buckets in milliseconds), so percentiles come from histogram_quantile()
 * and aggregate across brokers. Total time runs from the router taking the frame to the answer
 * being encoded (a long poll's wait included). Kafka's queue/local/remote/send split is not kept:
 * the frame is dispatched as soon as it is read (no request queue), so queue time is ~0.
 *
 * Follower fetches also count as request="FetchFollower" (Kafka's split of Fetch into FetchConsumer
 * and FetchFollower; only the follower side and only RequestsPerSec here): read at scrape time
 * from the counts the Fetch handler keeps per version (replication/replication-stats.ts).
 *
 * Hot path: one label lookup per API key and version is cached (prom-client's labels() child), so
 * a request costs a Map lookup, one counter increment and one bucket search.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { ErrorCode } from '../common/error-codes.js';

/** Milliseconds: sub-millisecond answers to long polls and slow disks. */
export const TOTAL_TIME_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const ERROR_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ErrorCode).map(([name, code]) => [code as number, name]));

interface ApiSeries {
  requests: Map<number, Counter.Internal>;
  time: Histogram.Internal<'request'>;
}

export class RequestMetrics {
  private readonly requests: Counter<'request' | 'version'>;
  private readonly totalTime: Histogram<'request'>;
  private readonly errors: Counter<'request' | 'error'>;
  private readonly throttle: Histogram<'request'>;
  private readonly byKey = new Map<number, ApiSeries>();

  /**
   * `followerFetches`: follower Fetch requests served so far, per version (the FetchFollower
   * series, added to the counter at each scrape by what they grew since the previous one).
   */
  constructor(registry: Registry, private readonly apiName: (apiKey: number) => string, followerFetches?: () => ReadonlyMap<number, number>) {
    const exported = new Map<number, number>();
    this.requests = new Counter({
      name: 'kafka_network_requestmetrics_requests_total',
      help: 'Requests received, per API and version (RequestsPerSec)',
      labelNames: ['request', 'version'],
      registers: [registry],
      collect() {
        if (followerFetches === undefined) return;
        for (const [version, n] of followerFetches()) {
          const grown = n - (exported.get(version) ?? 0);
          if (grown > 0) this.inc({ request: 'FetchFollower', version: String(version) }, grown);
          exported.set(version, n);
        }
      },
    });
    this.totalTime = new Histogram({
      name: 'kafka_network_requestmetrics_totaltimems',
      help: 'Time from reading a request to its answer being ready, in milliseconds (TotalTimeMs)',
      labelNames: ['request'],
      buckets: TOTAL_TIME_BUCKETS_MS,
      registers: [registry],
    });
    this.throttle = new Histogram({
      name: 'kafka_network_requestmetrics_throttletimems',
      help: 'Throttle time of throttled requests (quotas), in milliseconds (ThrottleTimeMs; requests not throttled are not observed)',
      labelNames: ['request'],
      buckets: [1, 10, 100, 1000, 10000, 30000],
      registers: [registry],
    });
    this.errors = new Counter({ name: 'kafka_network_requestmetrics_errors_total', help: 'Requests that failed as a whole, per API and error (ErrorsPerSec)', labelNames: ['request', 'error'], registers: [registry] });
  }

  private series(apiKey: number): ApiSeries {
    let s = this.byKey.get(apiKey);
    if (s === undefined) {
      s = { requests: new Map(), time: this.totalTime.labels(this.apiName(apiKey)) };
      this.byKey.set(apiKey, s);
    }
    return s;
  }

  /** A request of `apiKey` v`apiVersion` was answered `ms` after it was read. */
  answered(apiKey: number, apiVersion: number, ms: number): void {
    const s = this.series(apiKey);
    let c = s.requests.get(apiVersion);
    if (c === undefined) {
      c = this.requests.labels(this.apiName(apiKey), String(apiVersion));
      s.requests.set(apiVersion, c);
    }
    c.inc();
    s.time.observe(ms);
  }

  /** A request throttled by a quota for `ms` milliseconds. */
  throttled(apiKey: number, ms: number): void {
    this.throttle.observe({ request: this.apiName(apiKey) }, ms);
  }

  /** A request answered with a whole-request error (the handler threw, or the gate refused it). */
  failed(apiKey: number, errorCode: number): void {
    this.errors.inc({ request: this.apiName(apiKey), error: ERROR_NAMES.get(errorCode) ?? String(errorCode) });
  }
}
