/**
 * A transactional producer over a ClusterClient: InitProducerId for a transactional id, then
 * transactions of produced records (produceRecords with `transaction`) and consumer-group offsets
 * (AddOffsetsToTxn + TxnOffsetCommit with the group's generation and member id), ended by EndTxn
 * commit or abort. Used by samsa/streams for exactly_once_v2.
 *
 * Kafka's rules kept (TransactionManager): a partition is added to the transaction
 * (AddPartitionsToTxn) before its first batch; batches carry the producer id, epoch and a
 * per-partition sequence from 0 after InitProducerId; offsets are committed through the
 * transaction coordinator and then the group coordinator with the consumer's group metadata, so
 * a zombie of an older generation is fenced; CONCURRENT_TRANSACTIONS and coordinator-moved errors
 * are retried; PRODUCER_FENCED / INVALID_PRODUCER_EPOCH are fatal for this producer (a
 * TransactionFencedError). Samsa's deviation: one transaction at a time with every request
 * awaited (no pipelining of AddPartitionsToTxn with produce).
 */
import type { AddOffsetsToTxnResponse } from '../protocol/generated/messages/add-offsets-to-txn.js';
import type { AddPartitionsToTxnResponse } from '../protocol/generated/messages/add-partitions-to-txn.js';
import type { EndTxnResponse } from '../protocol/generated/messages/end-txn.js';
import type { InitProducerIdResponse } from '../protocol/generated/messages/init-producer-id.js';
import type { TxnOffsetCommitResponse } from '../protocol/generated/messages/txn-offset-commit.js';
import { AdminError } from './admin.js';
import type { ClusterClient } from './cluster-client.js';
import type { KafkaConnection } from './connection.js';
import type { ProduceTransaction } from './record-producer.js';

const INIT_PRODUCER_ID = 22;
const ADD_PARTITIONS_TO_TXN = 24;
const ADD_OFFSETS_TO_TXN = 25;
const END_TXN = 26;
const TXN_OFFSET_COMMIT = 28;

/** Codes after which the coordinator is looked up again and the request retried. */
const RETRY = new Set([7, 14, 15, 16, 51]); // REQUEST_TIMED_OUT, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS
const FENCED = new Set([47, 90]); // INVALID_PRODUCER_EPOCH, PRODUCER_FENCED

export class TransactionFencedError extends AdminError {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class TransactionalProducer implements ProduceTransaction {
  producerId = -1n;
  producerEpoch = -1;
  private readonly sequences = new Map<string, number>();
  private readonly added = new Set<string>();
  private offsetsAdded = false;
  private open = false;

  constructor(
    private readonly cluster: ClusterClient,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs = 10_000,
  ) {}

  /** True between the first write of a transaction and its commit or abort. */
  get inTransaction(): boolean {
    return this.open;
  }

  /** InitProducerId: fences older producers of the same transactional id and aborts their open transaction. */
  async init(): Promise<void> {
    const res = await this.toCoordinator<InitProducerIdResponse>('InitProducerId', (c) => c.request(INIT_PRODUCER_ID, 4, { transactionalId: this.transactionalId, transactionTimeoutMs: this.transactionTimeoutMs, producerId: -1n, producerEpoch: -1 }), (r) => r.errorCode);
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
    this.sequences.clear();
    this.added.clear();
    this.open = false;
    this.offsetsAdded = false;
  }

  nextSequence(topic: string, partition: number, count: number): number {
    const k = `${topic}\u0000${partition}`;
    const s = this.sequences.get(k) ?? 0;
    this.sequences.set(k, (s + count) % 0x80000000);
    return s;
  }

  async addPartitions(topic: string, partitions: readonly number[]): Promise<void> {
    const fresh = partitions.filter((p) => !this.added.has(`${topic}\u0000${p}`));
    this.open = true;
    if (fresh.length === 0) return;
    const res = await this.toCoordinator<AddPartitionsToTxnResponse>(
      'AddPartitionsToTxn',
      (c) => c.request(ADD_PARTITIONS_TO_TXN, 3, { v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: this.producerId, v3AndBelowProducerEpoch: this.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: fresh }] }),
      (r) => r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode)).find((code) => code !== 0) ?? r.errorCode,
    );
    void res;
    for (const p of fresh) this.added.add(`${topic}\u0000${p}`);
  }

  /** Adds the group's offsets to the transaction (committed with it). */
  async sendOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[], group: { generationId: number; memberId: string }): Promise<void> {
    if (offsets.length === 0) return;
    this.open = true;
    if (!this.offsetsAdded) {
      await this.toCoordinator<AddOffsetsToTxnResponse>('AddOffsetsToTxn', (c) => c.request(ADD_OFFSETS_TO_TXN, 3, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId }), (r) => r.errorCode);
      this.offsetsAdded = true;
    }
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' }]);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.cluster.coordinator(groupId, 0);
      const res = await conn.request<TxnOffsetCommitResponse>(TXN_OFFSET_COMMIT, 3, {
        transactionalId: this.transactionalId,
        groupId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        generationId: group.generationId,
        memberId: group.memberId,
        groupInstanceId: null,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      });
      const code = res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((c) => c !== 0) ?? 0;
      if (code === 0) return;
      if (RETRY.has(code) && attempt < 20) {
        await sleep(100);
        continue;
      }
      throw FENCED.has(code) ? new TransactionFencedError('TxnOffsetCommit', code) : new AdminError('TxnOffsetCommit', code);
    }
  }

  async commit(): Promise<void> {
    await this.end(true);
  }

  async abort(): Promise<void> {
    await this.end(false);
  }

  private async end(committed: boolean): Promise<void> {
    if (!this.open) return;
    await this.toCoordinator<EndTxnResponse>('EndTxn', (c) => c.request(END_TXN, 3, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed }), (r) => r.errorCode);
    this.open = false;
    this.added.clear();
    this.offsetsAdded = false;
  }

  private async toCoordinator<T>(what: string, send: (c: KafkaConnection) => Promise<T>, code: (r: T) => number): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.cluster.coordinator(this.transactionalId, 1);
      const r = await send(conn);
      const c = code(r);
      if (c === 0) return r;
      if (RETRY.has(c) && attempt < 50) {
        await sleep(Math.min(1_000, 50 * (attempt + 1)));
        continue;
      }
      throw FENCED.has(c) ? new TransactionFencedError(`${what} for '${this.transactionalId}'`, c) : new AdminError(`${what} for '${this.transactionalId}'`, c);
    }
  }
}
