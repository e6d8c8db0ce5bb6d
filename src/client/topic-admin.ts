/**
 * Topic administration over the protocol client, as Kafka's AdminClient does it: CreateTopics,
 * DeleteTopics, CreatePartitions, DescribeConfigs (with each value's source), IncrementalAlterConfigs,
 * DeleteRecords (to each partition's leader) and DescribeLogDirs (every broker, for sizes).
 *
 * Kafka's rules kept: a per-topic error code is the answer for that topic (TOPIC_ALREADY_EXISTS,
 * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, POLICY_VIOLATION...), reported as an AdminError
 * with the broker's message; -1 partitions / replication factor means the broker's default
 * (num.partitions, default.replication.factor); a topic's size is the sum of its replicas'
 * partition sizes on the leaders (Kafka's tools sum every replica; the console shows the leader
 * copy, the size a consumer reads). Samsa deviates nowhere here.
 */
import type { CreatePartitionsResponse } from '../protocol/generated/messages/create-partitions.js';
import type { CreateTopicsResponse } from '../protocol/generated/messages/create-topics.js';
import type { DeleteRecordsResponse } from '../protocol/generated/messages/delete-records.js';
import type { DeleteTopicsResponse } from '../protocol/generated/messages/delete-topics.js';
import type { DescribeConfigsResponse } from '../protocol/generated/messages/describe-configs.js';
import type { DescribeLogDirsResponse } from '../protocol/generated/messages/describe-log-dirs.js';
import type { IncrementalAlterConfigsResponse } from '../protocol/generated/messages/incremental-alter-configs.js';
import { AdminError } from './admin.js';
import type { ClusterClient } from './cluster-client.js';
import type { KafkaConnection } from './connection.js';

const Key = { CreateTopics: 19, DeleteTopics: 20, DeleteRecords: 21, DescribeConfigs: 32, DescribeLogDirs: 35, CreatePartitions: 37, IncrementalAlterConfigs: 44 } as const;

/** DescribeConfigs' resource types. */
export const ConfigResource = { topic: 2, broker: 4, brokerLogger: 8 } as const;
export type ConfigResourceType = (typeof ConfigResource)[keyof typeof ConfigResource];

/** DescribeConfigs' config sources, by Kafka's names. */
export const CONFIG_SOURCES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
};

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  isDefault: boolean;
}

export interface NewTopic {
  name: string;
  /** -1: the broker's num.partitions. */
  partitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  configs: readonly { name: string; value: string }[];
}

export async function createTopic(conn: KafkaConnection, t: NewTopic, timeoutMs = 30_000): Promise<{ topicId: string; partitions: number; replicationFactor: number }> {
  const res = await conn.request<CreateTopicsResponse>(Key.CreateTopics, 7, {
    topics: [{ name: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, assignments: [], configs: t.configs.map((c) => ({ name: c.name, value: c.value })) }],
    timeoutMs,
    validateOnly: false,
  }, timeoutMs + 5_000);
  const r = res.topics[0];
  if (!r) throw new AdminError(`CreateTopics for '${t.name}'`, -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError(`Cannot create topic '${t.name}'`, r.errorCode, r.errorMessage);
  return { topicId: r.topicId, partitions: r.numPartitions, replicationFactor: r.replicationFactor };
}

export async function deleteTopic(conn: KafkaConnection, name: string, timeoutMs = 30_000): Promise<void> {
  const res = await conn.request<DeleteTopicsResponse>(Key.DeleteTopics, 4, { topicNames: [name], timeoutMs }, timeoutMs + 5_000);
  const r = res.responses[0];
  if (!r) throw new AdminError(`DeleteTopics for '${name}'`, -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError(`Cannot delete topic '${name}'`, r.errorCode, r.errorMessage);
}

/** Grows a topic to `count` partitions in total. */
export async function createPartitions(conn: KafkaConnection, name: string, count: number, timeoutMs = 30_000): Promise<void> {
  const res = await conn.request<CreatePartitionsResponse>(Key.CreatePartitions, 2, { topics: [{ name, count, assignments: null }], timeoutMs, validateOnly: false }, timeoutMs + 5_000);
  const r = res.results[0];
  if (!r) throw new AdminError(`CreatePartitions for '${name}'`, -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError(`Cannot add partitions to '${name}'`, r.errorCode, r.errorMessage);
}

/** Every config of a resource with its source ('' names the cluster-wide broker default). */
export async function describeConfigs(conn: KafkaConnection, type: ConfigResourceType, name: string): Promise<ConfigEntry[]> {
  const res = await conn.request<DescribeConfigsResponse>(Key.DescribeConfigs, 3, { resources: [{ resourceType: type, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  const r = res.results[0];
  if (!r) throw new AdminError(`DescribeConfigs for '${name}'`, -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError(`Cannot describe the configs of '${name}'`, r.errorCode, r.errorMessage);
  return r.configs
    .map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, source: CONFIG_SOURCES[c.configSource] ?? String(c.configSource), readOnly: c.readOnly, sensitive: c.isSensitive, isDefault: c.configSource === 5 }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** IncrementalAlterConfigs' operations. */
export const ConfigOp = { SET: 0, DELETE: 1 } as const;

/** Sets (value) or deletes (null: back to the default) configs of one resource. */
export async function alterConfigs(conn: KafkaConnection, type: ConfigResourceType, name: string, changes: readonly { name: string; value: string | null }[], validateOnly = false): Promise<void> {
  const res = await conn.request<IncrementalAlterConfigsResponse>(Key.IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: type, resourceName: name, configs: changes.map((c) => ({ name: c.name, configOperation: c.value === null ? ConfigOp.DELETE : ConfigOp.SET, value: c.value })) }],
    validateOnly,
  });
  const r = res.responses[0];
  if (!r) throw new AdminError(`IncrementalAlterConfigs for '${name}'`, -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError(`Cannot change the configs of '${name}'`, r.errorCode, r.errorMessage);
}

/** Deletes a partition's records below `offset` (-1: up to the high watermark); answers the new log start. */
export async function deleteRecords(cluster: ClusterClient, topic: string, partition: number, offset: bigint, timeoutMs = 30_000): Promise<bigint> {
  return cluster.withLeader(topic, partition, async (conn) => {
    const res = await conn.request<DeleteRecordsResponse>(Key.DeleteRecords, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs }, timeoutMs + 5_000);
    const p = res.topics[0]?.partitions[0];
    if (!p) throw new AdminError(`DeleteRecords for ${topic}-${partition}`, -1, 'empty answer');
    if (p.errorCode !== 0) throw new AdminError(`Cannot delete records of ${topic}-${partition}`, p.errorCode);
    return p.lowWatermark;
  });
}

/**
 * Bytes on disk per topic partition, from each broker's DescribeLogDirs (the largest replica
 * copy when several brokers hold it; future replicas left out). Brokers that do not answer are
 * skipped: sizes are informational.
 */
export async function partitionSizes(cluster: ClusterClient, brokerIds: readonly number[], topics: readonly string[] | null): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>();
  // Every partition (null): a topic entry would have to list its partitions.
  const request = { topics: null };
  const wanted = topics === null ? null : new Set(topics);
  await Promise.all(
    brokerIds.map(async (id) => {
      let res: DescribeLogDirsResponse;
      try {
        res = await (await cluster.node(id)).request<DescribeLogDirsResponse>(Key.DescribeLogDirs, 2, request, 10_000);
      } catch {
        return;
      }
      for (const dir of res.results) {
        if (dir.errorCode !== 0) continue;
        for (const t of dir.topics) {
          if (wanted !== null && !wanted.has(t.name)) continue;
          let m = out.get(t.name);
          if (!m) out.set(t.name, (m = new Map()));
          for (const p of t.partitions) if (!p.isFutureKey) m.set(p.partitionIndex, Math.max(m.get(p.partitionIndex) ?? 0, Number(p.partitionSize)));
        }
      }
    }),
  );
  return out;
}

/** Selected config values of many topics in one DescribeConfigs (topics answering an error are left out). */
export async function topicConfigValues(conn: KafkaConnection, topics: readonly string[], keys: readonly string[]): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  if (topics.length === 0) return out;
  const res = await conn.request<DescribeConfigsResponse>(Key.DescribeConfigs, 3, { resources: topics.map((t) => ({ resourceType: ConfigResource.topic, resourceName: t, configurationKeys: [...keys] })), includeSynonyms: false, includeDocumentation: false });
  for (const r of res.results) {
    if (r.errorCode !== 0) continue;
    out.set(r.resourceName, Object.fromEntries(r.configs.map((c) => [c.name, c.value])));
  }
  return out;
}
