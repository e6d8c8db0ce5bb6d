/**
 * Topic administration through a ClusterClient: CreateTopics v7, DeleteTopics v6 (to the
 * controller, as Kafka's admin client sends them), DescribeConfigs v4 and IncrementalAlterConfigs
 * v1 of a topic, CreatePartitions v3. Each turns the resource's error code into an AdminError.
 *
 * Kafka's rule: topic creation and deletion go to the controller (NOT_CONTROLLER means the
 * metadata is stale: refreshed and retried once). Samsa's deviation: none beyond that.
 */
import type { CreatePartitionsResponse } from '../protocol/generated/messages/create-partitions.js';
import type { CreateTopicsResponse } from '../protocol/generated/messages/create-topics.js';
import type { DeleteTopicsResponse } from '../protocol/generated/messages/delete-topics.js';
import type { DescribeConfigsResponse } from '../protocol/generated/messages/describe-configs.js';
import type { IncrementalAlterConfigsResponse } from '../protocol/generated/messages/incremental-alter-configs.js';
import { ZERO_UUID } from '../protocol/primitives/uuid.js';
import { AdminError, ApiKey } from './admin.js';
import type { ClusterClient } from './cluster-client.js';
import type { KafkaConnection } from './connection.js';

const CREATE_TOPICS = 19;
const DELETE_TOPICS = 20;
const CREATE_PARTITIONS = 37;
const INCREMENTAL_ALTER_CONFIGS = 44;
const TOPIC_RESOURCE = 2;

/** ConfigSource names of Kafka's DescribeConfigsResponse, as Confluent's v3 API shows them. */
export const CONFIG_SOURCES: Readonly<Record<number, string>> = {
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
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
  source: string;
  synonyms: { name: string; value: string | null; source: string }[];
}

export type AlterOp = 'SET' | 'DELETE' | 'APPEND' | 'SUBTRACT';
const OPS: Readonly<Record<AlterOp, number>> = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

async function toController<T>(cluster: ClusterClient, send: (c: KafkaConnection) => Promise<T>, code: (r: T) => number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const meta = attempt === 0 ? await cluster.metadata() : await cluster.refresh();
    const conn = meta.controllerId >= 0 ? await cluster.broker(meta.controllerId) : await cluster.any();
    const r = await send(conn);
    if (code(r) !== 41 || attempt >= 3) return r;
  }
}

export async function createTopic(cluster: ClusterClient, t: { name: string; partitions: number; replicationFactor: number; configs: { name: string; value: string | null }[]; validateOnly?: boolean }): Promise<void> {
  const res = await toController(
    cluster,
    (c) => c.request<CreateTopicsResponse>(CREATE_TOPICS, 7, { topics: [{ name: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, assignments: [], configs: t.configs }], timeoutMs: 30_000, validateOnly: t.validateOnly ?? false }),
    (r) => r.topics[0]?.errorCode ?? 0,
  );
  const r = res.topics[0];
  if (r && r.errorCode !== 0) throw new AdminError(`CreateTopics for '${t.name}'`, r.errorCode, r.errorMessage);
  await cluster.refresh().catch(() => undefined);
}

export async function deleteTopic(cluster: ClusterClient, name: string): Promise<void> {
  const res = await toController(cluster, (c) => c.request<DeleteTopicsResponse>(DELETE_TOPICS, 6, { topics: [{ name, topicId: ZERO_UUID }], timeoutMs: 30_000 }), (r) => r.responses[0]?.errorCode ?? 0);
  const r = res.responses[0];
  if (r && r.errorCode !== 0) throw new AdminError(`DeleteTopics for '${name}'`, r.errorCode, r.errorMessage);
  await cluster.refresh().catch(() => undefined);
}

export async function createPartitions(cluster: ClusterClient, name: string, count: number): Promise<void> {
  const res = await toController(cluster, (c) => c.request<CreatePartitionsResponse>(CREATE_PARTITIONS, 3, { topics: [{ name, count, assignments: null }], timeoutMs: 30_000, validateOnly: false }), (r) => r.results[0]?.errorCode ?? 0);
  const r = res.results[0];
  if (r && r.errorCode !== 0) throw new AdminError(`CreatePartitions for '${name}'`, r.errorCode, r.errorMessage);
  await cluster.refresh().catch(() => undefined);
}

export async function describeTopicConfigs(cluster: ClusterClient, topic: string, names: readonly string[] | null = null): Promise<ConfigEntry[]> {
  return describeResourceConfigs(await cluster.any(), TOPIC_RESOURCE, topic, names);
}

/** DescribeConfigs of one resource (`names` null: every config), with source and synonyms, sorted by name; sensitive values null. */
export async function describeResourceConfigs(conn: KafkaConnection, resourceType: number, name: string, names: readonly string[] | null = null): Promise<ConfigEntry[]> {
  const res = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType, resourceName: name, configurationKeys: names }], includeSynonyms: true, includeDocumentation: false });
  const r = res.results[0];
  if (!r) throw new AdminError(`DescribeConfigs for '${name}'`, -1, 'empty answer');
  if (r.errorCode !== 0) throw new AdminError(`DescribeConfigs for '${name}'`, r.errorCode, r.errorMessage);
  return r.configs
    .map((c) => ({
      name: c.name,
      value: c.isSensitive ? null : c.value,
      isDefault: c.isDefault || c.configSource === 5,
      readOnly: c.readOnly,
      sensitive: c.isSensitive,
      source: CONFIG_SOURCES[c.configSource] ?? 'UNKNOWN',
      synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: CONFIG_SOURCES[s.source] ?? 'UNKNOWN' })),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function alterTopicConfigs(cluster: ClusterClient, topic: string, changes: readonly { name: string; op: AlterOp; value: string | null }[]): Promise<void> {
  const conn = await cluster.any();
  const res = await conn.request<IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS, 1, {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: changes.map((c) => ({ name: c.name, configOperation: OPS[c.op], value: c.value })) }],
    validateOnly: false,
  });
  const r = res.responses[0];
  if (r && r.errorCode !== 0) throw new AdminError(`IncrementalAlterConfigs for '${topic}'`, r.errorCode, r.errorMessage);
}
