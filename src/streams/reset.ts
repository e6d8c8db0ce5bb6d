/**
 * Resetting a Streams application (Kafka's StreamsResetter, `kafka-streams-application-reset.sh`)
 * so that it processes its input again from the beginning: the group's committed offsets of the
 * input topics go to their earliest offsets and the application's internal topics
 * (`<application.id>-...-repartition` and `-changelog`) are deleted; local state is removed by
 * KafkaStreams#cleanUp() (or deleting `<state.dir>/<application.id>`).
 *
 * Kafka's rules kept: the reset refuses while the group has members (all instances must be
 * stopped); input topics that do not exist are reported, not created; internal topics are found
 * by the application id prefix and the `-repartition` / `-changelog` suffix (or a foreign-key join's
 * `-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION|RESPONSE-<n>-topic`). Samsa's deviation:
 * only --to-earliest (no --to-datetime, --by-duration, --to-offset) and no intermediate topics.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterClient } from '../client/cluster-client.js';
import { GroupAdmin } from '../client/group-admin.js';
import { GroupConsumer } from '../client/group-consumer.js';
import { offsetsAt } from '../client/partition-fetcher.js';
import { deleteTopic } from '../client/topic-admin.js';

export interface ResetOptions {
  applicationId: string;
  bootstrapServers: string | readonly string[];
  /** User topics the application reads; their committed offsets go back to the earliest. */
  inputTopics: readonly string[];
  dryRun?: boolean;
}

export interface ResetResult {
  /** Input partitions reset, with the offset committed. */
  reset: { topic: string; partition: number; offset: bigint }[];
  missingInputTopics: string[];
  deletedTopics: string[];
}

export async function resetApplication(o: ResetOptions): Promise<ResetResult> {
  const cluster = new ClusterClient({ bootstrap: typeof o.bootstrapServers === 'string' ? o.bootstrapServers.split(',') : o.bootstrapServers, clientId: `${o.applicationId}-reset` });
  try {
    const admin = new GroupAdmin(await cluster.any());
    const group = await admin.describe(o.applicationId).finally(() => admin.close()); // closes the coordinator connection it opened
    if (group.members.length > 0) throw new Error(`Consumer group ${o.applicationId} is still active (${group.members.length} members): stop every instance of the application first.`);
    const snapshot = await cluster.refresh();
    const missingInputTopics = o.inputTopics.filter((t) => !snapshot.topics.has(t));
    const tps = o.inputTopics.flatMap((t) => (snapshot.topics.get(t)?.partitions ?? []).map((p) => ({ topic: t, partition: p.partition })));
    const earliest = tps.length > 0 ? await offsetsAt(cluster, tps, -2n) : new Map<string, bigint>();
    const reset = tps.map((tp) => ({ ...tp, offset: earliest.get(`${tp.topic}\u0000${tp.partition}`) ?? 0n }));
    const prefix = `${o.applicationId}-`;
    const internal = [...snapshot.topics.keys()].filter((t) => t.startsWith(prefix) && isInternalTopicName(t)).sort();
    if (!o.dryRun) {
      if (reset.length > 0) {
        const c = new GroupConsumer(cluster, { groupId: o.applicationId });
        await c.assign(reset);
        try {
          await c.commit(reset);
        } finally {
          await c.close();
        }
      }
      for (const t of internal) await deleteTopic(cluster, t);
    }
    return { reset, missingInputTopics, deletedTopics: internal };
  } finally {
    cluster.close();
  }
}

/** Kafka's internal topic suffixes: repartition, changelog, and a foreign-key join's subscription and response topics. */
export const isInternalTopicName = (t: string): boolean => t.endsWith('-repartition') || t.endsWith('-changelog') || /-KTABLE-FK-JOIN-SUBSCRIPTION-(REGISTRATION|RESPONSE)-\d+-topic$/.test(t);

/** Kafka's KafkaStreams#cleanUp(): removes the application's local state directory (the instance must not be running). */
export function cleanUpLocalState(stateDir: string, applicationId: string): void {
  rmSync(join(stateDir, applicationId), { recursive: true, force: true });
}
