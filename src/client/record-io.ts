/**
 * Reading and writing a partition's records over the protocol client, for tools that look at
 * data (the console's message browser): Produce v8 of one record batch to the leader with
 * acks=all, and Fetch v11 of one partition from the leader, decoded into records.
 *
 * Kafka's rules kept: a Fetch answers whole batches, so the first batch may start before the
 * offset asked for (records below it are dropped here, as consumers do) and the last may be cut
 * short by maxBytes (a partial batch at the end is ignored); with read_uncommitted the control
 * records of transactions are skipped, not shown; a Fetch at an offset below the log start
 * answers OFFSET_OUT_OF_RANGE; NOT_LEADER_OR_FOLLOWER (or a broken connection) means the leader
 * moved: the metadata is refreshed and the request sent once more. The decoder bounds
 * decompression (compression.ts's default limit).
 */
import { CorruptRecordError } from '../common/errors.js';
import type { FetchResponse } from '../protocol/generated/messages/fetch.js';
import type { ProduceResponse } from '../protocol/generated/messages/produce.js';
import { batchSizeAt } from '../protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch, type KafkaRecord } from '../protocol/records/record.js';
import { AdminError } from './admin.js';
import type { ClusterClient } from './cluster-client.js';
import { ClientConnectionError, type KafkaConnection } from './connection.js';

const Key = { Produce: 0, Fetch: 1 } as const;
const NOT_LEADER_OR_FOLLOWER = 6;

/** Runs `fn` on the partition's leader; once more on a fresh leader when it moved. */
async function withLeader<T>(cluster: ClusterClient, topic: string, partition: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  try {
    return await fn(await cluster.leader(topic, partition));
  } catch (e) {
    const moved = (e instanceof AdminError && e.code === NOT_LEADER_OR_FOLLOWER) || e instanceof ClientConnectionError;
    if (!moved) throw e;
    await cluster.refresh();
    return fn(await cluster.leader(topic, partition));
  }
}

export interface NewRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly { key: string; value: Buffer | null }[];
  /** Create time in ms; default now. */
  timestamp?: bigint;
}

/** Produces records as one batch to a partition's leader (acks=all); answers the first offset. */
export async function produceRecords(cluster: ClusterClient, topic: string, partition: number, records: readonly NewRecord[], timeoutMs = 30_000): Promise<bigint> {
  const batch = encodeRecordBatch({
    records: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers.map((h) => ({ key: h.key, value: h.value })), ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}) })),
  });
  return withLeader(cluster, topic, partition, async (conn) => {
    const res = await conn.request<ProduceResponse>(Key.Produce, 8, { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] }, timeoutMs + 5_000);
    const p = res.responses[0]?.partitionResponses[0];
    if (!p) throw new AdminError(`Produce to ${topic}-${partition}`, -1, 'empty answer');
    if (p.errorCode !== 0) throw new AdminError(`Cannot produce to ${topic}-${partition}`, p.errorCode, p.errorMessage ?? p.recordErrors[0]?.batchIndexErrorMessage ?? null);
    return p.baseOffset;
  });
}

export interface FetchedPartition {
  records: KafkaRecord[];
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Where the next read continues (after the last record returned, or past skipped batches). */
  nextOffset: bigint;
}

/**
 * Fetches records of one partition from `offset`, at most `maxBytes` of batches (at least one
 * whole batch is answered even when it is larger, as Kafka does), waiting up to `maxWaitMs` for
 * data when there is none.
 */
export async function fetchRecords(cluster: ClusterClient, topic: string, partition: number, offset: bigint, opts: { maxBytes: number; maxWaitMs?: number }): Promise<FetchedPartition> {
  return withLeader(cluster, topic, partition, async (conn) => {
    const res = await conn.request<FetchResponse>(Key.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: opts.maxWaitMs ?? 0,
      minBytes: opts.maxWaitMs ? 1 : 0,
      maxBytes: opts.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: opts.maxBytes }] }],
      forgottenTopicsData: [],
      rackId: '',
    }, (opts.maxWaitMs ?? 0) + 30_000);
    if (res.errorCode !== 0) throw new AdminError(`Fetch from ${topic}-${partition}`, res.errorCode);
    const p = res.responses[0]?.partitions[0];
    if (!p) throw new AdminError(`Fetch from ${topic}-${partition}`, -1, 'empty answer');
    if (p.errorCode !== 0) throw new AdminError(`Cannot read ${topic}-${partition} at offset ${offset}`, p.errorCode);
    return decodeFetched(p.records, offset, p.highWatermark, p.logStartOffset);
  });
}

/** The records at or after `offset` in whole batches of `buf`; a truncated last batch is left out. */
export function decodeFetched(buf: Buffer | null, offset: bigint, highWatermark: bigint, logStartOffset: bigint): FetchedPartition {
  const records: KafkaRecord[] = [];
  let next = offset;
  let pos = 0;
  while (buf !== null && buf.length - pos >= 61) {
    const size = batchSizeAt(buf, pos);
    if (size < 61 || pos + size > buf.length) break;
    if (buf[pos + 16] !== 2) throw new CorruptRecordError(`record batch of magic ${buf[pos + 16]} at offset ${buf.readBigInt64BE(pos)} (only v2 is read)`, { position: pos });
    const batch = decodeRecordBatch(buf, pos);
    const last = batch.baseOffset + BigInt(batch.lastOffsetDelta);
    if (!batch.isControl) for (const r of batch.records) if (r.offset >= offset) records.push(r);
    if (last + 1n > next) next = last + 1n;
    pos += size;
  }
  return { records, highWatermark, logStartOffset, nextOffset: next };
}
