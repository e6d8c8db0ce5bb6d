/**
 * Creates an application's internal topics before it joins its group: the repartition topics
 * `<application.id>-<name>-repartition` and the changelog topics `<application.id>-<store>-changelog`.
 *
 * Kafka's rules kept (InternalTopicManager, RepartitionTopics): missing source topics fail the
 * start (MISSING_SOURCE_TOPICS); a repartition topic is as wide as the sub-topology writing it
 * (resolved until nothing changes, as topics feed each other) and keeps its records (retention.ms
 * -1; Streams deletes them after commit); a changelog topic is compacted and as wide as the
 * sub-topology owning the store; an existing topic is left as it is. Samsa's deviation: a
 * repartition topic's records are not purged after commit.
 */
import { AdminError } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { createTopic } from '../client/topic-admin.js';
import type { TaskEnv } from './task.js';
import type { SubTopology } from './topology.js';

export async function createInternalTopics(cluster: ClusterClient, subs: readonly SubTopology[], env: TaskEnv, replicationFactor: number): Promise<void> {
  const ensureTopic = async (name: string, partitions: number, configs: { name: string; value: string }[]): Promise<void> => {
    try {
      await createTopic(cluster, { name, partitions, replicationFactor, configs });
    } catch (e) {
      if (!(e instanceof AdminError) || e.code !== 36) throw e; // TOPIC_ALREADY_EXISTS
    }
  };
  const snapshot = await cluster.refresh();
  const counts = new Map<string, number>();
  for (const [name, t] of snapshot.topics) if (t.errorCode === 0) counts.set(name, t.partitions.length);
  const missing = subs.flatMap((s) => s.sourceTopics.filter((t) => !env.topology.repartitionTopics.has(t) && !counts.has(t)));
  if (missing.length > 0) throw new Error(`MISSING_SOURCE_TOPICS: ${missing.join(', ')} not found`);
  const widths = new Map<number, number>();
  const resolve = env.resolve;
  // Repartition topics take the width of the sub-topology writing them: resolve until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of subs) {
      const known = s.sourceTopics.map((t) => counts.get(resolve(t))).filter((n): n is number => n !== undefined);
      if (known.length === 0) continue;
      const w = Math.max(...known);
      if (widths.get(s.id) !== w) {
        widths.set(s.id, w);
        changed = true;
      }
      for (const n of s.nodes) {
        if (n.kind === 'sink' && env.topology.repartitionTopics.has(n.topic) && !counts.has(resolve(n.topic))) {
          counts.set(resolve(n.topic), w);
          await ensureTopic(resolve(n.topic), w, [{ name: 'retention.ms', value: '-1' }]);
          changed = true;
        }
      }
    }
  }
  for (const s of subs) {
    const w = widths.get(s.id);
    if (w === undefined) throw new Error(`cannot tell the partition count of sub-topology ${s.id}`);
    for (const store of s.stores) if (env.topology.stores.get(store)?.logged) await ensureTopic(`${env.applicationId}-${store}-changelog`, w, [{ name: 'cleanup.policy', value: 'compact' }]);
  }
}
