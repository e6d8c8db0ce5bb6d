/**
 * One broker's counters of replication work: owned by the Broker, handed as narrow interfaces to
 * the replica fetchers (follower side), the Fetch handler and the replicated partitions (leader
 * side), exported on the broker's metrics registry (metrics/replication-metrics.ts) and summed by
 * benchmarks (bench/cluster-cpu.ts, bench/cluster.ts). Never process-wide: several brokers in one
 * process (tests, `startBroker`) count apart.
 *
 * Kafka's figures: ReplicationBytesInPerSec (BrokerTopicMetrics: record bytes a follower appended
 * from its leaders), FetcherStats RequestsPerSec / BytesPerSec (per fetcher, i.e. per source
 * broker), ReplicaFetcherManager MaxLag (leader high watermark − follower fetch offset, largest
 * over the followed partitions), the FetchFollower split of the Fetch request metrics. Samsa adds
 * empty replica fetches, OffsetForLeaderEpoch requests sent, long-poll wakeups and high-watermark
 * moves. Plain additions, nothing per record; only the per-source entry is a Map lookup per fetch.
 */

/** What a replica fetcher counts (one per source broker). */
export interface FetcherStatsSink {
  /** A Fetch answered by `sourceId`; `bytes`: record bytes appended from it (0: an empty answer). */
  fetched(sourceId: number, bytes: number): void;
  /** OffsetForLeaderEpoch sent (truncation before following). */
  truncationRequested(): void;
  /** A followed partition's lag behind `sourceId`'s high watermark, from its last answer. */
  lag(sourceId: number, topic: string, partition: number, lag: number): void;
  /** The partition is no longer fetched from `sourceId` (its lag is forgotten). */
  forget(sourceId: number, topic: string, partition: number): void;
}

/** What a leader counts while serving followers (Fetch handler, replicated partitions). */
export interface LeaderStatsSink {
  /** A Fetch from a follower (replica_id ≥ 0) at `apiVersion`. */
  followerFetchServed(apiVersion: number): void;
  /** A waiting Fetch (follower or consumer) woken by an append. */
  longPollWakeup(): void;
  /** A replicated leader's high watermark moved. */
  highWatermarkMoved(): void;
}

/** Counters of one replica fetcher (Kafka's FetcherStats of one source broker). */
export interface SourceFetcherStats {
  requests: number;
  bytes: number;
}

/** The plain totals, for benchmarks (`snapshot()`, sums over brokers). */
export interface ReplicationCounters {
  /** Fetch requests sent by the replica fetchers (answered). */
  replicaFetches: number;
  /** Of those, answers that brought no records. */
  emptyReplicaFetches: number;
  /** Record bytes appended from leaders (ReplicationBytesIn). */
  replicationBytesIn: number;
  /** OffsetForLeaderEpoch requests sent by the replica fetchers. */
  truncationRequests: number;
  /** Fetch requests from followers answered by this broker as leader. */
  followerFetchesServed: number;
  /** Long-poll append callbacks run for waiting fetches (follower or consumer). */
  longPollWakeups: number;
  /** High watermark moves on replicated leaders. */
  highWatermarkMoves: number;
}

export const REPLICATION_COUNTERS = ['replicaFetches', 'emptyReplicaFetches', 'replicationBytesIn', 'truncationRequests', 'followerFetchesServed', 'longPollWakeups', 'highWatermarkMoves'] as const satisfies readonly (keyof ReplicationCounters)[];

export function zeroCounters(): ReplicationCounters {
  return { replicaFetches: 0, emptyReplicaFetches: 0, replicationBytesIn: 0, truncationRequests: 0, followerFetchesServed: 0, longPollWakeups: 0, highWatermarkMoves: 0 };
}

const lagKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicationStats implements FetcherStatsSink, LeaderStatsSink, ReplicationCounters {
  replicaFetches = 0;
  emptyReplicaFetches = 0;
  replicationBytesIn = 0;
  truncationRequests = 0;
  followerFetchesServed = 0;
  longPollWakeups = 0;
  highWatermarkMoves = 0;
  /** Per source broker (FetcherStats); kept after a fetcher stops, as counters must not go back. */
  readonly sources = new Map<number, SourceFetcherStats>();
  /** Follower fetches served, per Fetch version (the FetchFollower request metrics). */
  readonly followerFetchVersions = new Map<number, number>();
  /** The lag of each followed partition, per source broker. */
  private readonly lags = new Map<number, Map<string, number>>();

  fetched(sourceId: number, bytes: number): void {
    this.replicaFetches++;
    if (bytes === 0) this.emptyReplicaFetches++;
    this.replicationBytesIn += bytes;
    let s = this.sources.get(sourceId);
    if (s === undefined) {
      s = { requests: 0, bytes: 0 };
      this.sources.set(sourceId, s);
    }
    s.requests++;
    s.bytes += bytes;
  }

  truncationRequested(): void {
    this.truncationRequests++;
  }

  lag(sourceId: number, topic: string, partition: number, lag: number): void {
    let m = this.lags.get(sourceId);
    if (m === undefined) {
      m = new Map();
      this.lags.set(sourceId, m);
    }
    m.set(lagKey(topic, partition), lag);
  }

  forget(sourceId: number, topic: string, partition: number): void {
    const m = this.lags.get(sourceId);
    if (m === undefined) return;
    m.delete(lagKey(topic, partition));
    if (m.size === 0) this.lags.delete(sourceId);
  }

  /** The largest lag over every followed partition (Kafka's ReplicaFetcherManager MaxLag); 0 when none. */
  maxLag(): number {
    let max = 0;
    for (const m of this.lags.values()) for (const l of m.values()) if (l > max) max = l;
    return max;
  }

  followerFetchServed(apiVersion: number): void {
    this.followerFetchesServed++;
    this.followerFetchVersions.set(apiVersion, (this.followerFetchVersions.get(apiVersion) ?? 0) + 1);
  }

  longPollWakeup(): void {
    this.longPollWakeups++;
  }

  highWatermarkMoved(): void {
    this.highWatermarkMoves++;
  }

  /** The totals now (a copy). */
  snapshot(): ReplicationCounters {
    const c = zeroCounters();
    for (const k of REPLICATION_COUNTERS) c[k] = this[k];
    return c;
  }
}

/** `a` + `b`, counter by counter (several brokers' totals). */
export function addCounters(a: ReplicationCounters, b: ReplicationCounters): ReplicationCounters {
  const c = zeroCounters();
  for (const k of REPLICATION_COUNTERS) c[k] = a[k] + b[k];
  return c;
}

/** `after` − `before`, counter by counter (a measurement window). */
export function diffCounters(after: ReplicationCounters, before: ReplicationCounters): ReplicationCounters {
  const c = zeroCounters();
  for (const k of REPLICATION_COUNTERS) c[k] = after[k] - before[k];
  return c;
}
