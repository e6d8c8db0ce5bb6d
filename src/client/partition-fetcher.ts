/**
 * One round of fetching for a consumer: Fetch v12 to each leader of the given positions (in
 * parallel, each waiting up to maxWaitMs for minBytes), the batches decoded into records, at most
 * `maxBytes` of keys and values returned (at least one record), and the next position of each
 * partition. Also ListOffsets by leader, for resetting positions.
 *
 * Kafka's rules kept: records below the fetch offset (the head of a compressed batch) are
 * skipped; control batches (transaction markers) are never returned but do advance the position;
 * a partition answering an error is reported with its code and keeps its position (the caller
 * resets on OFFSET_OUT_OF_RANGE and refreshes metadata on leader errors); with read_committed, the
 * transactional batches of a producer are skipped from the first offset the response lists as
 * aborted for it until its ABORT marker (as the Java consumer's Fetcher does). Samsa's deviation: no
 * fetch sessions (every request names every partition) and read_uncommitted unless told.
 */
import type { FetchResponse } from '../protocol/generated/messages/fetch.js';
import type { ListOffsetsResponse } from '../protocol/generated/messages/list-offsets.js';
import { decodeControlRecordType } from '../protocol/records/control-record.js';
import { decodeRecordBatches, type RecordHeader } from '../protocol/records/record.js';
import { AdminError, ApiKey, tpKey, type TopicPartitionKey } from './admin.js';
import type { ClusterClient } from './cluster-client.js';

const FETCH = 1;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface FetchRound {
  records: FetchedRecord[];
  /** The position after this round, for each partition that moved. */
  next: Map<TopicPartitionKey, bigint>;
  errors: { topic: string; partition: number; errorCode: number }[];
}

export interface FetchRoundOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel?: number;
}

/** Groups partitions by the broker leading them (unknown partitions reported as errors). */
async function byLeader(cluster: ClusterClient, tps: readonly TopicPartition[]): Promise<{ leaders: Map<number, TopicPartition[]>; unknown: { topic: string; partition: number; errorCode: number }[] }> {
  const snapshot = await cluster.metadata();
  const leaders = new Map<number, TopicPartition[]>();
  const unknown: { topic: string; partition: number; errorCode: number }[] = [];
  for (const tp of tps) {
    const p = snapshot.topics.get(tp.topic)?.partitions[tp.partition];
    if (!p) unknown.push({ ...tp, errorCode: 3 });
    else if (p.leader < 0) unknown.push({ ...tp, errorCode: 5 });
    else leaders.set(p.leader, [...(leaders.get(p.leader) ?? []), tp]);
  }
  return { leaders, unknown };
}

const sizeOf = (r: FetchedRecord): number => (r.key?.length ?? 0) + (r.value?.length ?? 0);

export async function fetchRound(cluster: ClusterClient, positions: ReadonlyMap<TopicPartitionKey, { topic: string; partition: number; offset: bigint }>, opts: FetchRoundOptions): Promise<FetchRound> {
  const out: FetchRound = { records: [], next: new Map(), errors: [] };
  const { leaders, unknown } = await byLeader(cluster, [...positions.values()]);
  out.errors.push(...unknown);
  const answers = await Promise.all(
    [...leaders].map(async ([nodeId, tps]) => {
      const byTopic = new Map<string, TopicPartition[]>();
      for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp]);
      const conn = await cluster.broker(nodeId);
      return conn.request<FetchResponse>(
        FETCH,
        12,
        {
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: opts.maxWaitMs,
          minBytes: opts.minBytes,
          maxBytes: opts.maxBytes,
          isolationLevel: opts.isolationLevel ?? 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, ps]) => ({
            topic,
            partitions: ps.map((tp) => ({
              partition: tp.partition,
              currentLeaderEpoch: -1,
              fetchOffset: positions.get(tpKey(tp.topic, tp.partition))?.offset ?? 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: opts.maxBytes,
            })),
          })),
          forgottenTopicsData: [],
          rackId: '',
        },
        opts.maxWaitMs + 30_000,
      );
    }),
  );
  let bytes = 0;
  let full = false;
  for (const res of answers) {
    if (res.errorCode !== 0) throw new AdminError('Fetch', res.errorCode);
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const key = tpKey(t.topic, p.partitionIndex);
        const from = positions.get(key)?.offset ?? 0n;
        if (p.errorCode !== 0) {
          out.errors.push({ topic: t.topic, partition: p.partitionIndex, errorCode: p.errorCode });
          continue;
        }
        if (full || p.records === null || p.records.length === 0) continue;
        let next = from;
        let truncated = false;
        const abortedFrom = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
        const aborting = new Set<bigint>();
        for (const batch of decodeRecordBatches(p.records)) {
          const batchEnd = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
          while (abortedFrom.length > 0 && (abortedFrom[0]?.firstOffset ?? 0n) <= batch.baseOffset + BigInt(batch.lastOffsetDelta)) aborting.add(abortedFrom.shift()?.producerId ?? -1n);
          if (batch.isControl && batch.isTransactional && batch.records.length > 0 && decodeControlRecordType(batch) === 'ABORT') aborting.delete(batch.producerId);
          const aborted = batch.isTransactional && aborting.has(batch.producerId);
          if (!batch.isControl && !aborted) {
            for (const r of batch.records) {
              if (r.offset < from) continue;
              const rec: FetchedRecord = { topic: t.topic, partition: p.partitionIndex, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers };
              if (out.records.length > 0 && bytes + sizeOf(rec) > opts.maxBytes) {
                truncated = true;
                full = true;
                break;
              }
              out.records.push(rec);
              bytes += sizeOf(rec);
              next = r.offset + 1n;
            }
          }
          if (truncated) break;
          if (batchEnd > next) next = batchEnd;
        }
        if (next !== from) out.next.set(key, next);
      }
    }
  }
  return out;
}

/** ListOffsets v7 at `timestamp` (-2 earliest, -1 latest, or a time) for each partition, sent to the leaders. */
export async function offsetsAt(cluster: ClusterClient, tps: readonly TopicPartition[], timestamp: bigint, isolationLevel = 0): Promise<Map<TopicPartitionKey, bigint>> {
  const out = new Map<TopicPartitionKey, bigint>();
  const { leaders, unknown } = await byLeader(cluster, tps);
  const firstUnknown = unknown[0];
  if (firstUnknown) throw new AdminError(`partition ${firstUnknown.topic}-${firstUnknown.partition}`, firstUnknown.errorCode);
  await Promise.all(
    [...leaders].map(async ([nodeId, ps]) => {
      const byTopic = new Map<string, number[]>();
      for (const tp of ps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const conn = await cluster.broker(nodeId);
      const res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel,
        topics: [...byTopic].map(([name, parts]) => ({ name, partitions: parts.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new AdminError(`ListOffsets for ${t.name}-${p.partitionIndex}`, p.errorCode);
          out.set(tpKey(t.name, p.partitionIndex), p.offset);
        }
      }
    }),
  );
  return out;
}
