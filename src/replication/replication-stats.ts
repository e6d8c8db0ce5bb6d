/**
 * Process-wide counters of replication work, for benchmarks (bench/cluster-cpu.ts) and tests that
 * check how much work a workload costs (requests per GB, empty answers), never for behaviour.
 * Kafka exposes the same kind of figures as JMX metrics (FetcherStats, the request metrics of
 * the Fetch API with its FetchFollower split). Samsa: plain counters, summed over every broker in
 * the process; `reset()` starts a measurement.
 */
export interface ReplicationStats {
  /** Fetch requests sent by replica fetchers. */
  replicaFetches: number;
  /** Of those, answers that carried no records at all. */
  emptyReplicaFetches: number;
  /** Record bytes the replica fetchers received. */
  replicaFetchBytes: number;
  /** Fetch requests from followers answered by leaders. */
  followerFetchesServed: number;
  /** Long-poll append callbacks run by leaders for waiting fetches (follower or consumer). */
  longPollWakeups: number;
  /** OffsetForLeaderEpoch requests sent by replica fetchers. */
  truncationRequests: number;
  /** High watermark moves on replicated leaders. */
  highWatermarkMoves: number;
}

export const replicationStats: ReplicationStats & { reset(): void } = {
  replicaFetches: 0,
  emptyReplicaFetches: 0,
  replicaFetchBytes: 0,
  followerFetchesServed: 0,
  longPollWakeups: 0,
  truncationRequests: 0,
  highWatermarkMoves: 0,
  reset() {
    this.replicaFetches = 0;
    this.emptyReplicaFetches = 0;
    this.replicaFetchBytes = 0;
    this.followerFetchesServed = 0;
    this.longPollWakeups = 0;
    this.truncationRequests = 0;
    this.highWatermarkMoves = 0;
  },
};
