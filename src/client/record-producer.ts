/**
 * Produces lists of records through a ClusterClient: each partition's records as one v2 batch in
 * a Produce v9 request (acks=all) to the partition's leader, one result per record.
 *
 * Kafka's rules kept: a record with a key and no partition goes to murmur2(key) mod partitions
 * (the Java client's default partitioner); retriable leader errors (NOT_LEADER_OR_FOLLOWER,
 * LEADER_NOT_AVAILABLE, ...) refresh metadata and are retried a few times. Samsa's deviations:
 * records without key or partition are spread round-robin per call (not sticky batches), and
 * there is no idempotence outside transactions (a retried batch that had been written may be
 * written twice, as with Kafka's enable.idempotence=false); inside one (`transaction`, see
 * transactional-producer.ts) a batch carries the producer id, epoch and its sequence, so a retry
 * is recognized as a duplicate, and its partitions are added to the transaction first.
 */
import { errorInfo } from '../common/error-codes.js';
import { partitionForKey } from '../common/murmur2.js';
import type { ProduceResponse } from '../protocol/generated/messages/produce.js';
import { encodeRecordBatch } from '../protocol/records/record.js';
import { AdminError } from './admin.js';
import type { ClusterClient } from './cluster-client.js';

export interface RecordToProduce {
  partition?: number | undefined;
  key: Buffer | null;
  value: Buffer | null;
  headers?: { key: string; value: Buffer | null }[];
  timestamp?: bigint;
}

export interface ProducedRecord {
  partition: number;
  /** -1 when the record was not written. */
  offset: bigint;
  timestamp: bigint;
  errorCode: number;
  errorMessage: string | null;
}

export interface ProduceOptions {
  acks?: number;
  timeoutMs?: number;
  retries?: number;
  /** Produce inside a transaction (transactional-producer.ts): the batches carry its producer id, epoch and sequences. */
  transaction?: ProduceTransaction;
}

/** What a transactional producer gives produceRecords: its identity, the partitions' sequences, and registering partitions. */
export interface ProduceTransaction {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** The base sequence of the next `count` records to a partition (advancing it). */
  nextSequence(topic: string, partition: number, count: number): number;
  /** AddPartitionsToTxn for the partitions not yet in the transaction. */
  addPartitions(topic: string, partitions: readonly number[]): Promise<void>;
}

const PRODUCE = 0;

/** Produces `records` to `topic`; results in the order of `records`. Throws AdminError for an unknown topic. */
export async function produceRecords(cluster: ClusterClient, topic: string, records: readonly RecordToProduce[], opts: ProduceOptions = {}): Promise<ProducedRecord[]> {
  const meta = await cluster.topic(topic);
  if (!meta || meta.errorCode !== 0) throw new AdminError(`topic '${topic}'`, meta?.errorCode || 3);
  const count = meta.partitions.length;
  const byPartition = new Map<number, number[]>();
  const results: ProducedRecord[] = new Array<ProducedRecord>(records.length);
  records.forEach((r, i) => {
    let p: number;
    if (r.partition !== undefined) p = r.partition;
    else if (r.key !== null) p = partitionForKey(r.key, count);
    else p = cluster.nextRoundRobin() % count;
    if (p < 0 || p >= count) {
      results[i] = { partition: p, offset: -1n, timestamp: -1n, errorCode: 3, errorMessage: `partition ${p} of '${topic}' does not exist` };
      return;
    }
    const list = byPartition.get(p);
    if (list) list.push(i);
    else byPartition.set(p, [i]);
  });
  const txn = opts.transaction;
  if (txn) await txn.addPartitions(topic, [...byPartition.keys()]);
  await Promise.all(
    [...byPartition].map(async ([partition, indexes]) => {
      const now = BigInt(Date.now());
      const batch = encodeRecordBatch({
        records: indexes.map((i) => {
          const r = records[i] as RecordToProduce;
          return { key: r.key, value: r.value, headers: r.headers ?? [], timestamp: r.timestamp ?? now };
        }),
        ...(txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: txn.nextSequence(topic, partition, indexes.length), isTransactional: true } : {}),
      });
      const answer = await sendBatch(cluster, topic, partition, batch, opts);
      indexes.forEach((recordIndex, j) => {
        results[recordIndex] = {
          partition,
          offset: answer.errorCode === 0 ? answer.baseOffset + BigInt(j) : -1n,
          timestamp: answer.errorCode === 0 ? (answer.logAppendTime >= 0n ? answer.logAppendTime : (records[recordIndex]?.timestamp ?? now)) : -1n,
          errorCode: answer.errorCode,
          errorMessage: answer.errorCode === 0 ? null : (answer.errorMessage ?? errorInfo(answer.errorCode).name),
        };
      });
    }),
  );
  return results;
}

async function sendBatch(cluster: ClusterClient, topic: string, partition: number, batch: Buffer, opts: ProduceOptions): Promise<{ errorCode: number; errorMessage: string | null; baseOffset: bigint; logAppendTime: bigint }> {
  const retries = opts.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    let errorCode: number;
    let errorMessage: string | null = null;
    try {
      const conn = await cluster.leader(topic, partition);
      const res = await conn.request<ProduceResponse>(PRODUCE, 9, {
        transactionalId: opts.transaction?.transactionalId ?? null,
        acks: opts.acks ?? -1,
        timeoutMs: opts.timeoutMs ?? 30_000,
        topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
      });
      const p = res.responses[0]?.partitionResponses[0];
      if (!p) return { errorCode: -1, errorMessage: 'no answer for the partition', baseOffset: -1n, logAppendTime: -1n };
      if (p.errorCode === 0) return { errorCode: 0, errorMessage: null, baseOffset: p.baseOffset, logAppendTime: p.logAppendTimeMs };
      errorCode = p.errorCode;
      errorMessage = p.errorMessage;
    } catch (e) {
      if (!(e instanceof AdminError)) throw e;
      errorCode = e.code;
      errorMessage = e.message;
    }
    if (attempt >= retries || !errorInfo(errorCode).retriable) return { errorCode, errorMessage, baseOffset: -1n, logAppendTime: -1n };
    await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    await cluster.refresh().catch(() => undefined);
  }
}
