/**
 * Configs of any resource over the protocol client, for views beyond one topic: a broker's (or
 * the cluster-wide broker default's, named '') configs with their source, and selected values of
 * many topics in one DescribeConfigs. Topic config edits are topic-admin.ts's.
 *
 * Kafka's rules kept: DescribeConfigs answers each resource's error code separately; sensitive
 * values are never shown (null); a value's source is one of Kafka's ConfigSource names
 * (topic-admin.ts's describeResourceConfigs does the reading).
 */
import type { DescribeConfigsResponse } from '../protocol/generated/messages/describe-configs.js';
import { ApiKey } from './admin.js';
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
