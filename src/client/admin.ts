/**
 * Admin requests over one KafkaConnection, shared by the `samsa` command-line tools: metadata
 * (internal topics included, as Kafka's tools show them), offsets by spec, and group coordinator
 * lookup. Each helper sends one versioned request built from the generated codecs and turns a
 * top-level error code into an AdminError naming Kafka's error.
 *
 * Kafka's rule: kafka-topics.sh lists and describes internal topics (`__consumer_offsets`,
 * `__transaction_state`) unless `--exclude-internal` is given. Samsa does the same; it differs only
 * in asking the first reachable bootstrap broker for everything (a single broker today).
 */
import { errorInfo } from '../common/error-codes.js';
import type { FindCoordinatorResponse } from '../protocol/generated/messages/find-coordinator.js';
import type { ListOffsetsResponse } from '../protocol/generated/messages/list-offsets.js';
import type { MetadataResponse } from '../protocol/generated/messages/metadata.js';
import { ClientAuthenticationError, ClientConnectionError, KafkaConnection, type ClientSecurity } from './connection.js';

export const ApiKey = {
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  DescribeGroups: 15,
  ListGroups: 16,
  ConsumerGroupDescribe: 69,
  DeleteRecords: 21,
  WriteTxnMarkers: 27,
  DescribeConfigs: 32,
  DescribeLogDirs: 35,
  DeleteGroups: 42,
  ElectLeaders: 43,
  OffsetDelete: 47,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
  ApiVersions: 18,
} as const;

/** A Kafka error code answered for a whole request (or for the one resource it named). */
export class AdminError extends Error {
  constructor(
    readonly what: string,
    readonly code: number,
    detail?: string | null,
  ) {
    super(`${what}: ${errorInfo(code).name}${detail ? ` (${detail})` : ''}`);
    this.name = 'AdminError';
  }

  get errorName(): string {
    return errorInfo(this.code).name;
  }
}

/** Opens a connection to the first reachable bootstrap server. */
export async function openFirst(bootstrap: readonly string[], opts: { clientId?: string; timeoutMs?: number; requestTimeoutMs?: number; security?: ClientSecurity | undefined } = {}): Promise<KafkaConnection> {
  let last: unknown;
  for (const b of bootstrap) {
    try {
      return await KafkaConnection.open(b, opts);
    } catch (e) {
      // Refused credentials are the answer of every broker: no use trying the next one.
      if (e instanceof ClientAuthenticationError) throw e;
      last = e;
    }
  }
  throw last instanceof Error ? last : new ClientConnectionError('no bootstrap servers');
}

export interface TopicInfo {
  name: string;
  topicId: string;
  internal: boolean;
  errorCode: number;
  partitions: { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[]; offline: number[] }[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  topics: Map<string, TopicInfo>;
}

/** Metadata v12 for the named topics, or for every topic (internal ones included) with null. */
export async function fetchMetadata(conn: KafkaConnection, topics: readonly string[] | null, opts: { autoCreate?: boolean } = {}): Promise<ClusterMetadata> {
  const res = await conn.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: opts.autoCreate ?? false,
  });
  const out: ClusterMetadata = { clusterId: res.clusterId, controllerId: res.controllerId, brokers: res.brokers.map((b) => ({ ...b })), topics: new Map() };
  for (const t of res.topics) {
    if (t.name === null) continue;
    out.topics.set(t.name, {
      name: t.name,
      topicId: t.topicId,
      internal: t.isInternal,
      errorCode: t.errorCode,
      partitions: [...t.partitions]
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas })),
    });
  }
  return out;
}

/** ListOffsets' special timestamps. */
export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n, MAX_TIMESTAMP: -3n } as const;

export type TopicPartitionKey = `${string}\u0000${number}`;
export const tpKey = (topic: string, partition: number): TopicPartitionKey => `${topic}\u0000${partition}`;

/**
 * ListOffsets v7 for each partition at `timestamp` (a time in ms, or an OffsetSpec value).
 * A partition with no record at or after the time maps to -1, as in Kafka.
 */
export async function listOffsets(conn: KafkaConnection, partitions: readonly { topic: string; partition: number }[], timestamp: bigint, isolationLevel = 0): Promise<Map<TopicPartitionKey, bigint>> {
  const out = new Map<TopicPartitionKey, bigint>();
  if (partitions.length === 0) return out;
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
  });
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new AdminError(`ListOffsets for ${t.name}-${p.partitionIndex}`, p.errorCode);
      out.set(tpKey(t.name, p.partitionIndex), p.offset);
    }
  }
  return out;
}

/** The group coordinator, retried while the broker reports a retriable error (loading, not available). */
export async function findGroupCoordinator(conn: KafkaConnection, group: string): Promise<{ nodeId: number; host: string; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const res = await conn.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] });
    const c = res.coordinators[0];
    if (c && c.errorCode === 0) return { nodeId: c.nodeId, host: c.host, port: c.port };
    const code = c?.errorCode ?? -1;
    if (attempt >= 20 || !errorInfo(code).retriable) throw new AdminError(`FindCoordinator for group '${group}'`, code, c?.errorMessage);
    await new Promise((r) => setTimeout(r, 250));
  }
}
