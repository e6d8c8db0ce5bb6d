/**
 * Creates the internal topics of a streams application before it joins its group: each
 * repartition topic and each logged store's changelog, sized by the sub-topology that writes or
 * reads it.
 *
 * Kafka's rules kept: missing source topics fail start (MISSING_SOURCE_TOPICS); a repartition
 * topic takes the partition count of the sub-topology writing it (resolved until nothing changes;
 * one sized by its readers takes theirs) and keeps records forever (retention.ms=-1), a changelog
 * `<application.id>-<store>-changelog` is compacted with the width of its sub-topology; topics of
 * a co-partition group must have one partition count; an existing topic is left as it is.
 * Samsa's deviation: an existing internal topic's partition count is not checked.
 */
import { AdminError } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { createTopic } from '../client/topic-admin.js';
import type { TaskEnv } from './task.js';
import type { SubTopology } from './topology.js';

/** Fails on missing source topics or non co-partitioned groups; creates the repartition and changelog topics. */
export async function createInternalTopics(cluster: ClusterClient, subs: readonly SubTopology[], env: TaskEnv, replicationFactor: number, additionalRetentionMs = DEFAULT_ADDITIONAL_RETENTION_MS): Promise<void> {
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
      const readerSized = env.topology.readerSizedTopics;
      const known = s.sourceTopics.filter((t) => !readerSized.has(t)).map((t) => counts.get(resolve(t))).filter((n): n is number => n !== undefined);
      if (known.length === 0) continue;
      const w = Math.max(...known);
      if (widths.get(s.id) !== w) {
        widths.set(s.id, w);
        changed = true;
      }
      for (const t of s.sourceTopics.filter((x) => readerSized.has(x) && !counts.has(resolve(x)))) {
        counts.set(resolve(t), w);
        await ensureTopic(cluster, replicationFactor, resolve(t), w, [{ name: 'retention.ms', value: '-1' }]);
      }
      for (const n of s.nodes) {
        if (n.kind === 'sink' && env.topology.repartitionTopics.has(n.topic) && !readerSized.has(n.topic) && !counts.has(resolve(n.topic))) {
          counts.set(resolve(n.topic), w);
          await ensureTopic(cluster, replicationFactor, resolve(n.topic), w, [{ name: 'retention.ms', value: '-1' }]);
          changed = true;
        }
      }
    }
  }
  for (const group of env.topology.copartitionGroups) {
    if (new Set(group.map((t) => counts.get(resolve(t)))).size > 1) throw new Error(`Invalid topology: Topics not co-partitioned: [${group.map(resolve).join(',')}]`);
  }
  for (const s of subs) {
    const w = widths.get(s.id);
    if (w === undefined) throw new Error(`cannot tell the partition count of sub-topology ${s.id}`);
    for (const store of s.stores) {
      const def = env.topology.stores.get(store);
      if (def?.logged) await ensureTopic(cluster, replicationFactor, `${env.applicationId}-${store}-changelog`, w, changelogConfigs(def.retention?.retentionMs, additionalRetentionMs));
    }
  }
}

/** windowstore.changelog.additional.retention.ms's default: one day. */
export const DEFAULT_ADDITIONAL_RETENTION_MS = 86_400_000;

/**
 * A changelog's configs (Kafka's UnwindowedUnversionedChangelogTopicConfig / WindowedChangelogTopicConfig):
 * `compact`, or for a windowed store `compact,delete` with retention.ms = store retention +
 * windowstore.changelog.additional.retention.ms (Long.MAX_VALUE when the sum overflows).
 */
export function changelogConfigs(retentionMs: number | undefined, additionalRetentionMs: number): { name: string; value: string }[] {
  if (retentionMs === undefined) return [{ name: 'cleanup.policy', value: 'compact' }];
  const sum = BigInt(retentionMs) + BigInt(additionalRetentionMs);
  const max = (1n << 63n) - 1n;
  return [
    { name: 'cleanup.policy', value: 'compact,delete' },
    { name: 'retention.ms', value: String(sum > max ? max : sum) },
  ];
}

async function ensureTopic(cluster: ClusterClient, replicationFactor: number, name: string, partitions: number, configs: { name: string; value: string }[]): Promise<void> {
  try {
    await createTopic(cluster, { name, partitions, replicationFactor, configs });
  } catch (e) {
    if (!(e instanceof AdminError) || e.code !== 36) throw e; // TOPIC_ALREADY_EXISTS
    // Another instance created it since our metadata was read: the cached metadata must know it
    // before a task restores from it (else UNKNOWN_TOPIC_OR_PARTITION until the cache expires).
    await cluster.refresh().catch(() => undefined);
  }
}
