/**
 * Topic helpers of the Connect runtime: create a topic when missing (internal topics compacted,
 * the DLQ and source topics as the broker's defaults allow) with a replication factor no larger
 * than the broker count, as Connect's TopicAdmin does when it creates them.
 */
import { AdminError } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { createTopic } from '../client/topic-admin.js';

/** Creates `name` unless it exists; TOPIC_ALREADY_EXISTS is fine. */
export async function ensureTopic(cluster: ClusterClient, name: string, partitions: number, replicationFactor: number, configs: Record<string, string> = {}): Promise<void> {
  const known = await cluster.topic(name);
  if (known && known.errorCode === 0) return;
  const brokers = (await cluster.metadata()).brokers.length;
  const rf = replicationFactor < 0 ? -1 : Math.max(1, Math.min(replicationFactor, brokers));
  try {
    await createTopic(cluster, { name, partitions: partitions < 0 ? -1 : partitions, replicationFactor: rf, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) });
  } catch (e) {
    if (!(e instanceof AdminError) || e.code !== 36) throw e;
  }
  for (let i = 0; i < 50; i++) {
    const t = await cluster.refresh().then((s) => s.topics.get(name));
    if (t && t.errorCode === 0 && t.partitions.every((p) => p.leader >= 0)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
