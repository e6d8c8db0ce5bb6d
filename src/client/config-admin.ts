/**
 * Configs of any resource over the protocol client, for views beyond one topic: a broker's (or
 * the cluster-wide broker default's, named '') configs with their source, and selected values of
 * many topics in one DescribeConfigs; dynamic broker config edits (per broker, or the cluster-wide
 * default). Topic config edits are topic-admin.ts's.
 *
 * Kafka's rules kept: DescribeConfigs answers each resource's error code separately; sensitive
 * values are never shown (null); a value's source is one of Kafka's ConfigSource names
 * (topic-admin.ts's describeResourceConfigs does the reading). A per-broker config change is
 * sent to that broker itself (as Kafka's AdminClient does), the cluster-wide default (resource
 * name '') to any broker; IncrementalAlterConfigs' DELETE falls back to the next source.
 */
import type { DescribeConfigsResponse } from '../protocol/generated/messages/describe-configs.js';
import type { IncrementalAlterConfigsResponse } from '../protocol/generated/messages/incremental-alter-configs.js';
import { AdminError, ApiKey } from './admin.js';
import type { KafkaConnection } from './connection.js';
import { describeResourceConfigs, type ConfigEntry } from './topic-admin.js';

/** DescribeConfigs' resource types. */
export const ConfigResource = { topic: 2, broker: 4, brokerLogger: 8 } as const;
export type ConfigResourceType = (typeof ConfigResource)[keyof typeof ConfigResource];

/** Every config of a resource with its source and synonyms. */
export function describeConfigs(conn: KafkaConnection, type: ConfigResourceType, name: string): Promise<ConfigEntry[]> {
  return describeResourceConfigs(conn, type, name);
}

/** Selected config values of many topics in one DescribeConfigs (topics answering an error are left out). */
export async function topicConfigValues(conn: KafkaConnection, topics: readonly string[], keys: readonly string[]): Promise<Map<string, Record<string, string | null>>> {
  const out = new Map<string, Record<string, string | null>>();
  if (topics.length === 0) return out;
  const res = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, { resources: topics.map((t) => ({ resourceType: ConfigResource.topic, resourceName: t, configurationKeys: [...keys] })), includeSynonyms: false, includeDocumentation: false });
  for (const r of res.results) {
    if (r.errorCode !== 0) continue;
    out.set(r.resourceName, Object.fromEntries(r.configs.map((c) => [c.name, c.value])));
  }
  return out;
}

/** IncrementalAlterConfigs' operations used on broker configs. */
const BROKER_OPS = { SET: 0, DELETE: 1 } as const;
const INCREMENTAL_ALTER_CONFIGS = 44;

/**
 * Sets and deletes dynamic broker configs of broker `name` (its id), or of the cluster-wide
 * default (`name` ''); `conn` is that broker's connection (any broker's for the default).
 */
export async function alterBrokerConfigs(conn: KafkaConnection, name: string, changes: readonly { name: string; op: keyof typeof BROKER_OPS; value: string | null }[]): Promise<void> {
  const res = await conn.request<IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS, 1, {
    resources: [{ resourceType: ConfigResource.broker, resourceName: name, configs: changes.map((c) => ({ name: c.name, configOperation: BROKER_OPS[c.op], value: c.value })) }],
    validateOnly: false,
  });
  const r = res.responses[0];
  if (r && r.errorCode !== 0) throw new AdminError(`IncrementalAlterConfigs for broker '${name === '' ? '(default)' : name}'`, r.errorCode, r.errorMessage);
}
