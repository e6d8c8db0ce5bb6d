/**
 * A partition's log through a ClusterClient: DeleteRecords (to the partition's leader) and the
 * bytes on disk of every partition from each broker's DescribeLogDirs.
 *
 * Kafka's rules kept: DeleteRecords moves the log start offset up to the offset given (-1: the
 * high watermark) and answers the new low watermark, or the partition's error; a topic's size is
 * what DescribeLogDirs reports per replica (Kafka's tools sum every replica; this answers the
 * largest copy of each partition, the size a consumer reads). Brokers that do not answer are
 * skipped: sizes are informational.
 */
import type { DeleteRecordsResponse } from '../protocol/generated/messages/delete-records.js';
import type { DescribeLogDirsResponse } from '../protocol/generated/messages/describe-log-dirs.js';
import { AdminError, ApiKey } from './admin.js';
import type { ClusterClient } from './cluster-client.js';

/** Deletes a partition's records below `offset` (-1: up to the high watermark); answers the new log start. */
export async function deleteRecords(cluster: ClusterClient, topic: string, partition: number, offset: bigint, timeoutMs = 30_000): Promise<bigint> {
  const conn = await cluster.leader(topic, partition);
  const res = await conn.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs }, timeoutMs + 5_000);
  const p = res.topics[0]?.partitions[0];
  if (!p) throw new AdminError(`DeleteRecords for ${topic}-${partition}`, -1, 'empty answer');
  if (p.errorCode !== 0) throw new AdminError(`Cannot delete records of ${topic}-${partition}`, p.errorCode);
  return p.lowWatermark;
}

/** Bytes on disk per topic partition (the largest replica copy; future replicas left out). */
export async function partitionSizes(cluster: ClusterClient, brokerIds: readonly number[], topics: readonly string[] | null): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>();
  const wanted = topics === null ? null : new Set(topics);
  await Promise.all(
    brokerIds.map(async (id) => {
      let res: DescribeLogDirsResponse;
      try {
        // Every partition (null): a topic entry would have to list its partitions.
        res = await (await cluster.broker(id)).request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 2, { topics: null }, 10_000);
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
