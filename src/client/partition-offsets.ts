/**
 * ListOffsets of many partitions through a ClusterClient, each partition asked of its leader
 * (one request per leader), for views of a whole cluster (the console's topic list, lag, resets).
 *
 * Kafka's rule: ListOffsets goes to the partition's leader (another broker answers
 * NOT_LEADER_OR_FOLLOWER); a partition with no record at or after a time answers -1. Partitions
 * whose leader is down, unknown, or answers an error are left out of the answer rather than
 * failing the whole view; the caller shows them as unknown.
 */
import type { ListOffsetsResponse } from '../protocol/generated/messages/list-offsets.js';
import { ApiKey, tpKey, type TopicPartitionKey } from './admin.js';
import type { ClusterClient } from './cluster-client.js';

/** ListOffsets v7 at `timestamp` (ms, or OffsetSpec) for each partition, from its leader. */
export async function offsetsAt(cluster: ClusterClient, partitions: readonly { topic: string; partition: number }[], timestamp: bigint): Promise<Map<TopicPartitionKey, bigint>> {
  const out = new Map<TopicPartitionKey, bigint>();
  if (partitions.length === 0) return out;
  const meta = await cluster.metadata();
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const p of partitions) {
    const leader = meta.topics.get(p.topic)?.partitions.find((x) => x.partition === p.partition)?.leader ?? -1;
    if (leader < 0) continue;
    let topics = byLeader.get(leader);
    if (!topics) byLeader.set(leader, (topics = new Map()));
    topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  }
  await Promise.all(
    [...byLeader].map(async ([leader, topics]) => {
      let res: ListOffsetsResponse;
      try {
        res = await (await cluster.broker(leader)).request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
        }, 10_000);
      } catch {
        return;
      }
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) out.set(tpKey(t.name, p.partitionIndex), p.offset);
    }),
  );
  return out;
}
