/**
 * A client view of a whole Kafka cluster over the protocol client: bootstrap addresses, one
 * connection per broker (opened on first use), a metadata cache refreshed on demand, and the
 * partition leaders and group coordinators found through it. The REST proxy and the group
 * consumer (group-consumer.ts) send every request through it.
 *
 * Kafka's rule: produce and fetch go to the partition's leader, group requests to the group's
 * coordinator; a NOT_LEADER_OR_FOLLOWER / NOT_COORDINATOR answer means the cached metadata is
 * stale and is refreshed before the next try. Samsa's deviations: no background metadata refresh
 * (callers call `refresh()` after such an error), and one connection per broker shared by every
 * caller (requests are pipelined on it).
 */
import type { FindCoordinatorResponse } from '../protocol/generated/messages/find-coordinator.js';
import type { MetadataResponse } from '../protocol/generated/messages/metadata.js';
import { AdminError, ApiKey } from './admin.js';
import { KafkaConnection, parseHostPort } from './connection.js';

export interface PartitionMeta {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicMeta {
  name: string;
  topicId: string;
  internal: boolean;
  errorCode: number;
  partitions: PartitionMeta[];
}

export interface BrokerMeta {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterSnapshot {
  clusterId: string;
  controllerId: number;
  brokers: BrokerMeta[];
  topics: Map<string, TopicMeta>;
}

/** Opens a connection to an address; the REST proxy passes one that authenticates. */
export type ConnectionFactory = (address: string) => Promise<KafkaConnection>;

export interface ClusterClientOptions {
  bootstrap: readonly string[];
  clientId?: string;
  /** Default: KafkaConnection.open with the client id. */
  connect?: ConnectionFactory;
  /** How old cached metadata may be before a read refreshes it; default 5,000 ms. */
  metadataMaxAgeMs?: number;
}

const formatAddress = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export class ClusterClient {
  readonly clientId: string;
  private readonly connect: ConnectionFactory;
  private readonly byAddress = new Map<string, Promise<KafkaConnection>>();
  private snapshot: ClusterSnapshot | null = null;
  private fetchedAt = 0;
  private readonly maxAgeMs: number;
  private closed = false;
  /** The round robin of records produced without key or partition (this client's own, as each Kafka producer has its own). */
  private roundRobin = 0;

  constructor(private readonly opts: ClusterClientOptions) {
    if (opts.bootstrap.length === 0) throw new Error('no bootstrap servers');
    this.clientId = opts.clientId ?? 'samsa-client';
    this.connect = opts.connect ?? ((address) => KafkaConnection.open(address, { clientId: this.clientId }));
    this.maxAgeMs = opts.metadataMaxAgeMs ?? 5_000;
  }

  /** The next number of the round robin over partitions for a record without key or partition. */
  nextRoundRobin(): number {
    const n = this.roundRobin;
    this.roundRobin = (n + 1) & 0x3fffffff;
    return n;
  }

  /** The connection to an address, opened once (a broken one is replaced on the next call). */
  async connection(address: string): Promise<KafkaConnection> {
    if (this.closed) throw new Error('cluster client closed');
    const known = this.byAddress.get(address);
    if (known) {
      const c = await known.catch(() => null);
      if (c && !c.client.closed) return c;
      this.byAddress.delete(address);
    }
    const opening = this.connect(address);
    this.byAddress.set(address, opening);
    opening.catch(() => this.byAddress.delete(address));
    return opening;
  }

  /** A connection to any bootstrap server (the first that answers). */
  async any(): Promise<KafkaConnection> {
    let last: unknown;
    for (const b of this.opts.bootstrap) {
      try {
        const { host, port } = parseHostPort(b);
        return await this.connection(formatAddress(host, port));
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error('no bootstrap server reachable');
  }

  /** The connection to broker `nodeId` (refreshing metadata once when it is not known). */
  async broker(nodeId: number): Promise<KafkaConnection> {
    let b = (await this.metadata()).brokers.find((x) => x.nodeId === nodeId);
    if (!b) b = (await this.refresh()).brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new AdminError(`broker ${nodeId}`, 8);
    return this.connection(formatAddress(b.host, b.port));
  }

  /** Cached metadata of every topic (refreshed when older than metadataMaxAgeMs). */
  async metadata(): Promise<ClusterSnapshot> {
    if (this.snapshot && performance.now() - this.fetchedAt < this.maxAgeMs) return this.snapshot;
    return this.refresh();
  }

  /** Fetches metadata of every topic now. */
  async refresh(): Promise<ClusterSnapshot> {
    const conn = await this.any();
    const res = await conn.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false });
    const topics = new Map<string, TopicMeta>();
    for (const t of res.topics) {
      if (t.name === null) continue;
      topics.set(t.name, {
        name: t.name,
        topicId: t.topicId,
        internal: t.isInternal,
        errorCode: t.errorCode,
        partitions: [...t.partitions]
          .sort((a, b) => a.partitionIndex - b.partitionIndex)
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes], isr: [...p.isrNodes] })),
      });
    }
    this.snapshot = { clusterId: res.clusterId ?? '', controllerId: res.controllerId, brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })), topics };
    this.fetchedAt = performance.now();
    return this.snapshot;
  }

  /** Metadata of one topic, or undefined when the cluster does not have it (after a refresh). */
  async topic(name: string): Promise<TopicMeta | undefined> {
    const t = (await this.metadata()).topics.get(name);
    if (t) return t;
    return (await this.refresh()).topics.get(name);
  }

  /**
   * The error code a Metadata request naming only `name` answers for it (0 when it exists and may
   * be described): a topic the principal may not describe is left out of an all-topics answer,
   * but named alone it is TOPIC_AUTHORIZATION_FAILED, as Kafka's clients see it.
   */
  async topicErrorCode(name: string): Promise<number> {
    const conn = await this.any();
    const res = await conn.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name }], allowAutoTopicCreation: false });
    return res.topics.find((t) => t.name === name)?.errorCode ?? 3;
  }

  /** The connection to the leader of a partition. */
  async leader(topic: string, partition: number): Promise<KafkaConnection> {
    const t = await this.topic(topic);
    const p = t?.partitions[partition];
    if (!t || !p) throw new AdminError(`partition ${topic}-${partition}`, 3);
    if (p.leader < 0) throw new AdminError(`partition ${topic}-${partition}`, 5);
    return this.broker(p.leader);
  }

  /** The connection to a group's (keyType 0) or transactional id's (keyType 1) coordinator, retried while it is not available. */
  async coordinator(group: string, keyType: 0 | 1 = 0): Promise<KafkaConnection> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.any();
      const res = await conn.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType, coordinatorKeys: [group] });
      const c = res.coordinators[0];
      if (c && c.errorCode === 0) return this.connection(formatAddress(c.host, c.port));
      const code = c?.errorCode ?? -1;
      if (attempt >= 20 || (code !== 14 && code !== 15)) throw new AdminError(`FindCoordinator for group '${group}'`, code, c?.errorMessage);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.byAddress.values()) p.then((c) => c.close(), () => undefined);
    this.byAddress.clear();
  }
}
