/**
 * Kafka's BrokerTopicMetrics (kafka.server:type=BrokerTopicMetrics[,topic=T]) as plain counters,
 * per topic and for all topics: what the hot path touches is a Map lookup and a few additions per
 * partition of a request, never per record. The metrics registry (broker-metrics.ts) reads them at
 * scrape time.
 *
 * Kafka's meanings, kept: MessagesIn / BytesIn count what a leader appended for clients (records
 * and batch bytes as stored; replicas' appends count as ReplicationBytesIn, kept with the other
 * replication counters in replication/replication-stats.ts; internal-topic writes
 * of the coordinators are not client traffic and are not counted); BytesOut counts record bytes
 * sent to consumers (followers' fetches: ReplicationBytesOut); BytesRejected the bytes of a
 * partition's records refused by Produce; TotalProduce/FetchRequests and FailedProduce/Fetch
 * count per partition of a request, as Kafka's per-topic meters do.
 */
export interface TopicCounters {
  messagesIn: number;
  bytesIn: number;
  bytesOut: number;
  bytesRejected: number;
  totalProduceRequests: number;
  failedProduceRequests: number;
  totalFetchRequests: number;
  failedFetchRequests: number;
}

/** The counter names, in exposition order. */
export const TOPIC_COUNTERS = ['messagesIn', 'bytesIn', 'bytesOut', 'bytesRejected', 'totalProduceRequests', 'failedProduceRequests', 'totalFetchRequests', 'failedFetchRequests'] as const satisfies readonly (keyof TopicCounters)[];

function zero(): TopicCounters {
  return { messagesIn: 0, bytesIn: 0, bytesOut: 0, bytesRejected: 0, totalProduceRequests: 0, failedProduceRequests: 0, totalFetchRequests: 0, failedFetchRequests: 0 };
}

export class BrokerTopicStats {
  /** All topics together (the MBean without a topic tag). */
  readonly all: TopicCounters = zero();
  private readonly topics = new Map<string, TopicCounters>();
  /** Record bytes sent to followers (ReplicationBytesOutPerSec). */
  replicationBytesOut = 0;

  private of(topic: string): TopicCounters {
    let c = this.topics.get(topic);
    if (c === undefined) {
      c = zero();
      this.topics.set(topic, c);
    }
    return c;
  }

  /** A partition's records appended for a client: `records` records in `bytes` bytes. */
  produced(topic: string, records: number, bytes: number): void {
    const c = this.of(topic);
    const a = this.all;
    c.totalProduceRequests++;
    a.totalProduceRequests++;
    c.messagesIn += records;
    a.messagesIn += records;
    c.bytesIn += bytes;
    a.bytesIn += bytes;
  }

  /** A partition's records refused by Produce (`bytes`: their size, 0 when there were none). */
  produceFailed(topic: string, bytes: number): void {
    const c = this.of(topic);
    const a = this.all;
    c.totalProduceRequests++;
    a.totalProduceRequests++;
    c.failedProduceRequests++;
    a.failedProduceRequests++;
    c.bytesRejected += bytes;
    a.bytesRejected += bytes;
  }

  /** A partition of a consumer's Fetch answered with `bytes` record bytes, or an error. */
  fetched(topic: string, bytes: number, failed: boolean): void {
    const c = this.of(topic);
    const a = this.all;
    c.totalFetchRequests++;
    a.totalFetchRequests++;
    c.bytesOut += bytes;
    a.bytesOut += bytes;
    if (failed) {
      c.failedFetchRequests++;
      a.failedFetchRequests++;
    }
  }

  /** Forgets a deleted topic (Kafka removes its per-topic MBeans). */
  removeTopic(topic: string): void {
    this.topics.delete(topic);
  }

  /** Per-topic counters, for the scrape. */
  entries(): IterableIterator<[string, TopicCounters]> {
    return this.topics.entries();
  }
}
