/**
 * Kafka's RequestMetrics (kafka.network:type=RequestMetrics,name=RequestsPerSec|TotalTimeMs|...,
 * request=<API>[,version=<v>]) as the JMX exporter names them:
 *   kafka_network_requestmetrics_requests_total{request="Produce",version="9"}
 *   kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="5"} (+ _sum, _count)
 *   kafka_network_requestmetrics_{requestqueuetimems,localtimems,remotetimems,responsequeuetimems,
 *     responsesendtimems}_bucket{request="Produce",le="5"} (+ _sum, _count)
 *   kafka_network_requestmetrics_errors_total{request="Produce",error="UNKNOWN_SERVER_ERROR"}
 *   kafka_network_requestmetrics_throttletimems_bucket{request="Produce",le="100"} (throttled requests only)
 * Deviation: Kafka exports its times as Yammer histograms (percentile gauges); here they are
 * Prometheus histograms (buckets in milliseconds), so percentiles come from histogram_quantile()
 * and aggregate across brokers. Total time runs from the router taking the frame to the answer
 * being encoded (a long poll's wait included; Kafka's also counts the send).
 * The split, measured by the connection (network/connection.ts) for every answered request:
 *   RequestQueueTimeMs: frame read → dispatched (Kafka: waiting for a request handler thread;
 *     here a frame waits only while its connection is paused: requests in flight, unsent
 *     answers, the memory budget, a quota mute, an asynchronous Produce ahead of it);
 *   LocalTimeMs: the synchronous part of dispatch (decode, handler, and the encoding of an answer
 *     ready at once);
 *   RemoteTimeMs: from dispatch returning a promise to its answer (a long poll's wait, acks=all
 *     waiting for followers, asynchronous appends; Kafka: purgatory);
 *   ResponseQueueTimeMs: answer ready → handed to the socket (answers go out in request order, so
 *     an answer waits for the ones before it);
 *   ResponseSendTimeMs: handed to the socket → the socket took the bytes (write callback).
 * Requests without an answer (acks=0 Produce) are not split.
 *
 * Follower fetches also count as request="FetchFollower" (Kafka's split of Fetch into FetchConsumer
 * and FetchFollower; only the follower side and only RequestsPerSec here): read at scrape time
 * from the counts the Fetch handler keeps per version (replication/replication-stats.ts).
 *
 * Hot path: nothing is allocated per request: counts are plain numbers per API and version, added
 * to the prom-client counter when scraped, and the times go to PlainHistogram cells looked up once
 * per API key (prom-client's own observe()/inc() hash a label object on every call).
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { ErrorCode } from '../common/error-codes.js';
import { PlainHistogram, type HistogramCells } from './plain-histogram.js';

/** Milliseconds: sub-millisecond answers to long polls and slow disks. */
export const TOTAL_TIME_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const ERROR_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ErrorCode).map(([name, code]) => [code as number, name]));

/** The split of a request's time (Kafka's RequestMetrics names after the JMX exporter's prefix). */
const SPLIT = [
  ['requestqueuetimems', 'Time a read request waited before being dispatched (its connection paused), in milliseconds (RequestQueueTimeMs)'],
  ['localtimems', 'Time of the synchronous part of handling a request, in milliseconds (LocalTimeMs)'],
  ['remotetimems', 'Time a request waited for an asynchronous answer (long poll, acks=all, asynchronous append), in milliseconds (RemoteTimeMs)'],
  ['responsequeuetimems', 'Time an answer waited for the answers before it on its connection, in milliseconds (ResponseQueueTimeMs)'],
  ['responsesendtimems', 'Time from handing an answer to the socket to the socket taking it, in milliseconds (ResponseSendTimeMs)'],
] as const;

interface ApiSeries {
  name: string;
  /** Requests answered per version, not yet added to the exported counter. */
  requests: Map<number, number>;
  time: HistogramCells;
  /** Cells of the SPLIT histograms, in SPLIT's order. */
  split: HistogramCells[];
}

export class RequestMetrics {
  private readonly requests: Counter<'request' | 'version'>;
  private readonly totalTime: PlainHistogram;
  private readonly splitTimes: PlainHistogram[];
  private readonly errors: Counter<'request' | 'error'>;
  private readonly throttle: Histogram<'request'>;
  private readonly byKey = new Map<number, ApiSeries>();

  /**
   * `followerFetches`: follower Fetch requests served so far, per version (the FetchFollower
   * series, added to the counter at each scrape by what they grew since the previous one).
   */
  constructor(registry: Registry, private readonly apiName: (apiKey: number) => string, followerFetches?: () => ReadonlyMap<number, number>) {
    const exported = new Map<number, number>();
    const byKey = this.byKey;
    this.requests = new Counter({
      name: 'kafka_network_requestmetrics_requests_total',
      help: 'Requests received, per API and version (RequestsPerSec)',
      labelNames: ['request', 'version'],
      registers: [registry],
      collect() {
        for (const s of byKey.values()) {
          for (const [version, n] of s.requests) {
            if (n > 0) this.inc({ request: s.name, version: String(version) }, n);
            s.requests.set(version, 0);
          }
        }
        if (followerFetches === undefined) return;
        for (const [version, n] of followerFetches()) {
          const grown = n - (exported.get(version) ?? 0);
          if (grown > 0) this.inc({ request: 'FetchFollower', version: String(version) }, grown);
          exported.set(version, n);
        }
      },
    });
    this.totalTime = new PlainHistogram('kafka_network_requestmetrics_totaltimems', 'Time from reading a request to its answer being ready, in milliseconds (TotalTimeMs)', 'request', TOTAL_TIME_BUCKETS_MS, registry);
    this.splitTimes = SPLIT.map(([name, help]) => new PlainHistogram(`kafka_network_requestmetrics_${name}`, help, 'request', TOTAL_TIME_BUCKETS_MS, registry));
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
      const name = this.apiName(apiKey);
      s = { name, requests: new Map(), time: this.totalTime.child(name), split: this.splitTimes.map((h) => h.child(name)) };
      this.byKey.set(apiKey, s);
    }
    return s;
  }

  /** A request of `apiKey` v`apiVersion` was answered `ms` after it was read. */
  answered(apiKey: number, apiVersion: number, ms: number): void {
    const s = this.series(apiKey);
    s.requests.set(apiVersion, (s.requests.get(apiVersion) ?? 0) + 1);
    this.totalTime.observe(s.time, ms);
  }

  /** The split of an answered request's time, in milliseconds (see the module comment). */
  timed(apiKey: number, queueMs: number, localMs: number, remoteMs: number, responseQueueMs: number, sendMs: number): void {
    const cells = this.series(apiKey).split;
    const h = this.splitTimes;
    (h[0] as PlainHistogram).observe(cells[0] as HistogramCells, queueMs);
    (h[1] as PlainHistogram).observe(cells[1] as HistogramCells, localMs);
    (h[2] as PlainHistogram).observe(cells[2] as HistogramCells, remoteMs);
    (h[3] as PlainHistogram).observe(cells[3] as HistogramCells, responseQueueMs);
    (h[4] as PlainHistogram).observe(cells[4] as HistogramCells, sendMs);
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
