/**
 * A long-lived client of a whole cluster, for tools that stay up (the web console): one
 * connection per broker, opened on first use and re-opened after it breaks, and the broker
 * addresses learned from Metadata.
 *
 * Kafka's rule: requests about a partition's records (Produce, Fetch, ListOffsets, DeleteRecords)
 * go to the partition's leader, controller requests (CreateTopics, DeleteTopics, CreatePartitions)
 * to any broker (it forwards them to the controller; Samsa's brokers answer them themselves), and
 * everything else to any broker. Kafka's AdminClient refreshes metadata when a leader moves
 * (NOT_LEADER_OR_FOLLOWER); here `refresh()` is the caller's job, and `any()` tries every known
 * broker until one answers, so a stopped bootstrap broker does not make the cluster look down.
 */
import type { ListOffsetsResponse } from '../protocol/generated/messages/list-offsets.js';
import { ApiKey, fetchMetadata, openFirst, tpKey, type ClusterMetadata, type TopicPartitionKey } from './admin.js';
import { ClientConnectionError, KafkaConnection } from './connection.js';

export interface ClusterClientOptions {
  /** host:port of the bootstrap brokers. */
  bootstrap: readonly string[];
  clientId?: string;
  /** Connect timeout (ms); default 5,000. */
  connectTimeoutMs?: number;
  /** Default request timeout (ms): a broker that stopped answering (SIGSTOP) holds a page this long; default 15,000. */
  requestTimeoutMs?: number;
}

const address = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export class ClusterClient {
  private readonly byAddress = new Map<string, KafkaConnection>();
  private readonly opening = new Map<string, Promise<KafkaConnection>>();
  private brokers = new Map<number, string>();
  private metadata: ClusterMetadata | null = null;
  private closed = false;

  constructor(readonly opts: ClusterClientOptions) {}

  get clientId(): string {
    return this.opts.clientId ?? 'samsa-console';
  }

  /** An open connection to some broker: the last one that answered, else every known address in turn. */
  async any(): Promise<KafkaConnection> {
    if (this.closed) throw new ClientConnectionError('the client is closed');
    for (const c of this.byAddress.values()) if (!c.client.closed) return c;
    const candidates = [...new Set([...this.brokers.values(), ...this.opts.bootstrap])];
    return this.open(candidates);
  }

  /** A connection to broker `nodeId` (its address from the last metadata). */
  async node(nodeId: number): Promise<KafkaConnection> {
    let addr = this.brokers.get(nodeId);
    if (addr === undefined) {
      await this.refresh();
      addr = this.brokers.get(nodeId);
    }
    if (addr === undefined) throw new ClientConnectionError(`broker ${nodeId} is not known to the cluster`);
    return this.open([addr]);
  }

  /** Metadata for every topic (or the named ones), remembering the broker addresses. */
  async refresh(topics: readonly string[] | null = null): Promise<ClusterMetadata> {
    const md = await this.withAny((c) => fetchMetadata(c, topics));
    this.brokers = new Map(md.brokers.map((b) => [b.nodeId, address(b.host, b.port)]));
    if (topics === null) this.metadata = md;
    return md;
  }

  /** The last full metadata, or a fresh one. */
  async cachedMetadata(maxAgeMs = 0): Promise<ClusterMetadata> {
    if (this.metadata !== null && maxAgeMs > 0) return this.metadata;
    return this.refresh();
  }

  /** The leader of a partition, from fresh metadata for its topic (-1: none). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const md = await this.refresh([topic]);
    return md.topics.get(topic)?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
  }

  /** Runs `fn` on some broker; a broken connection is dropped and the next broker tried once. */
  async withAny<T>(fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
    const first = await this.any();
    try {
      return await fn(first);
    } catch (e) {
      if (!(e instanceof ClientConnectionError) || !first.client.closed) throw e;
      this.drop(first);
      return fn(await this.any());
    }
  }

  /** Requests to the leader of a partition. */
  async withLeader<T>(topic: string, partition: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
    const leader = await this.leaderOf(topic, partition);
    if (leader < 0) throw new ClientConnectionError(`partition ${topic}-${partition} has no leader`);
    const conn = await this.node(leader);
    try {
      return await fn(conn);
    } catch (e) {
      if (e instanceof ClientConnectionError && conn.client.closed) this.drop(conn);
      throw e;
    }
  }

  /**
   * ListOffsets v7 at `timestamp` (ms, or OffsetSpec) for each partition, asked of each
   * partition's leader. Partitions whose leader is down or answers an error are left out.
   */
  async offsetsAt(partitions: readonly { topic: string; partition: number }[], timestamp: bigint, md?: ClusterMetadata): Promise<Map<TopicPartitionKey, bigint>> {
    const out = new Map<TopicPartitionKey, bigint>();
    if (partitions.length === 0) return out;
    const meta = md ?? (await this.refresh());
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const p of partitions) {
      const leader = meta.topics.get(p.topic)?.partitions.find((x) => x.partition === p.partition)?.leader ?? -1;
      if (leader < 0) continue;
      let topics = byLeader.get(leader);
      if (!topics) byLeader.set(leader, (topics = new Map()));
      topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        let res: ListOffsetsResponse;
        try {
          res = await (await this.node(leader)).request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
          }, 10_000);
        } catch {
          return;
        }
        for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) out.set(tpKey(t.name, p.partitionIndex), p.offset);
      }),
    );
    return out;
  }

  close(): void {
    this.closed = true;
    for (const c of this.byAddress.values()) c.close();
    this.byAddress.clear();
  }

  private drop(conn: KafkaConnection): void {
    for (const [a, c] of this.byAddress) if (c === conn) this.byAddress.delete(a);
    conn.close();
  }

  private async open(candidates: readonly string[]): Promise<KafkaConnection> {
    for (const a of candidates) {
      const c = this.byAddress.get(a);
      if (c && !c.client.closed) return c;
      if (c) this.byAddress.delete(a);
    }
    let last: unknown;
    for (const a of candidates) {
      try {
        return await this.openOne(a);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new ClientConnectionError('no broker address to connect to');
  }

  /** One connection per address: concurrent callers share the one being opened. */
  private openOne(a: string): Promise<KafkaConnection> {
    let p = this.opening.get(a);
    if (p) return p;
    p = openFirst([a], { clientId: this.clientId, timeoutMs: this.opts.connectTimeoutMs ?? 5_000, requestTimeoutMs: this.opts.requestTimeoutMs ?? 15_000 })
      .then((conn) => {
        if (this.closed) {
          conn.close();
          throw new ClientConnectionError('the client is closed');
        }
        this.byAddress.set(a, conn);
        return conn;
      })
      .finally(() => this.opening.delete(a));
    this.opening.set(a, p);
    return p;
  }
}
