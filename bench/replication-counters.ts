/**
 * The brokers' replication counters for a benchmark window (src/replication/replication-stats.ts):
 * in-process brokers are summed from their ReplicationStats objects; broker processes are scraped
 * on their metrics listener (`metrics.listeners=http://127.0.0.1:0`, URL from `samsa start`'s
 * banner) and the same counters read back from their Prometheus names.
 */
import type { Broker } from '../src/broker/broker.js';
import { addCounters, zeroCounters, type ReplicationCounters } from '../src/replication/replication-stats.js';

/** The override that gives a `samsa start` process a metrics listener on a free port. */
export const METRICS_OVERRIDE = { 'metrics.listeners': 'http://127.0.0.1:0' } as const;

/** The sum of the counters of brokers running in this process. */
export function inProcessCounters(brokers: readonly Broker[]): ReplicationCounters {
  return brokers.reduce((sum, b) => addCounters(sum, b.replicationStats.snapshot()), zeroCounters());
}

/** The /metrics URL a `samsa start` process printed in its banner, or undefined. */
export function metricsUrlOf(output: string): string | undefined {
  return /Metrics on (http:\/\/\S+?\/metrics)/.exec(output)?.[1];
}

/** The sum of every series of `name` whose label set contains `labelPart` (e.g. `request="FetchFollower"`). */
function total(text: string, name: string, labelPart = ''): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelPart !== '' && !(rest[0] === '{' && rest.slice(0, rest.indexOf('}')).includes(labelPart))) continue;
    n += Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return n;
}

/** The replication counters in a broker's Prometheus exposition (metrics/replication-metrics.ts names). */
export function countersFromExposition(text: string): ReplicationCounters {
  return {
    replicaFetches: total(text, 'kafka_server_fetcherstats_requests_total'),
    emptyReplicaFetches: total(text, 'samsa_replication_empty_replica_fetches_total'),
    replicationBytesIn: total(text, 'kafka_server_brokertopicmetrics_replicationbytesin_total'),
    truncationRequests: total(text, 'samsa_replication_truncation_requests_total'),
    followerFetchesServed: total(text, 'kafka_network_requestmetrics_requests_total', 'request="FetchFollower"'),
    longPollWakeups: total(text, 'samsa_replication_long_poll_wakeups_total'),
    highWatermarkMoves: total(text, 'samsa_replication_high_watermark_moves_total'),
  };
}

/** Scrapes every URL and sums their counters. */
export async function scrapeCounters(urls: readonly string[]): Promise<ReplicationCounters> {
  let sum = zeroCounters();
  for (const url of urls) {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    sum = addCounters(sum, countersFromExposition(await res.text()));
  }
  return sum;
}

/** One line of the counters per GB of record values (`gb`), for the benchmarks' reports. */
export function perGbLine(c: ReplicationCounters, gb: number): string {
  const per = (n: number): string => (n / gb).toFixed(0);
  const mean = c.replicaFetches > c.emptyReplicaFetches ? `, mean non-empty replica fetch ${(c.replicationBytesIn / (c.replicaFetches - c.emptyReplicaFetches) / 1024).toFixed(1)} KiB` : '';
  return `per GB: replica fetches ${per(c.replicaFetches)} (empty ${per(c.emptyReplicaFetches)}), follower fetches served ${per(c.followerFetchesServed)}, long-poll wakeups ${per(c.longPollWakeups)}, high watermark moves ${per(c.highWatermarkMoves)}, truncation requests ${c.truncationRequests}, replication bytes in ${(c.replicationBytesIn / 1e9 / gb).toFixed(2)} GB${mean}`;
}
