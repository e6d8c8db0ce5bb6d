/**
 * One partition hosted by this broker: its log, leader epoch and watermarks, its producer state
 * (idempotence, transactions, last stable offset), and the waiters (delayed fetches) to wake when
 * data arrives. Single-broker for now: this broker is always the leader and the ISR is itself, so
 * the high watermark follows the log end offset.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  CONTROL_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TRANSACTIONAL_FLAG_MASK,
  batchSizeAt,
} from '../protocol/records/batch-header.js';
import { incrementSequence } from '../protocol/records/validate.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import { type AppendOrigin, type ProducerBatch, ProducerStateManager, readMarker } from '../storage/producer-state.js';

export type AppendListener = (partition: Partition) => void;

/** Topic-level settings the broker (not the log) enforces. */
export interface TopicSettings {
  maxMessageBytes: number;
  /** min.insync.replicas: acks=all produce needs at least this many in-sync replicas. */
  minInsyncReplicas: number;
  /** message.downconversion.enable: Fetch v0-v3 is served by down-conversion (absent: true, Kafka 3.x's default). */
  downConversionEnable?: boolean;
}

export interface AppendOptions {
  /** Default 'coordinator' (epoch checks only); Produce passes 'client' (sequence checks and duplicates). */
  origin?: AppendOrigin;
  /** Producer fields of the batch when the caller already has them (validateRecordBatches); read from the header otherwise. */
  batch?: ProducerBatch;
  /**
   * Called for a transactional batch of a producer with no open transaction in this partition:
   * whether the transaction coordinator has this partition in the producer's ongoing transaction.
   */
  verifyTxn?: (producerId: bigint, producerEpoch: number) => boolean;
}

export interface PartitionAppendResult extends AppendResult {
  /** The batch repeated one already in the log; the offsets are the original ones and nothing was written. */
  duplicate: boolean;
}

export class Partition {
  leaderEpoch: number;
  private _log: PartitionLog;
  private _producers: ProducerStateManager;
  private readonly listeners = new Set<AppendListener>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    log: PartitionLog,
    leaderEpoch: number,
    public settings: TopicSettings,
  ) {
    this._log = log;
    this.leaderEpoch = leaderEpoch;
    if (log.leaderEpochs.latestEpoch() < leaderEpoch) log.leaderEpochs.assign(leaderEpoch, log.logEndOffset);
    // The ISR is this broker alone, so everything in the local log is committed (Kafka's leader
    // advances its high watermark to the log end offset as soon as the ISR allows it).
    log.highWatermark = log.logEndOffset;
    this._producers = ProducerStateManager.load(log, { now: () => log.clock.now() });
  }

  get log(): PartitionLog {
    return this._log;
  }

  get producers(): ProducerStateManager {
    return this._producers;
  }

  /**
   * Serves the partition from `log`, the same log reopened elsewhere (AlterReplicaLogDirs moved
   * its directory); producer state is reloaded from the snapshot taken before the move.
   */
  relocated(log: PartitionLog): void {
    this._log = log;
    this._producers = ProducerStateManager.load(log, { now: () => log.clock.now() });
  }

  /** In-sync replicas: this broker alone until replication exists. */
  get isrSize(): number {
    return 1;
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /** Offset up to which read_committed consumers may read: the first offset of the oldest open transaction, capped by the high watermark. */
  get lastStableOffset(): number {
    const hw = this.log.highWatermark;
    const firstUnstable = this.producers.firstUnstableOffset();
    return firstUnstable >= 0 && firstUnstable < hw ? Math.max(firstUnstable, this.log.logStartOffset) : hw;
  }

  /**
   * Appends validated batches as the leader. Batches with a producer id go through the producer
   * state checks (a client retry of a recent batch returns the original offsets with
   * `duplicate`); throws KafkaError when a check fails.
   */
  appendAsLeader(records: Buffer, opts: AppendOptions = {}): PartitionAppendResult {
    const producerId = opts.batch?.producerId ?? (records.length >= RECORD_BATCH_OVERHEAD ? records.readBigInt64BE(PRODUCER_ID_OFFSET) : -1n);
    const result = producerId < 0n ? this.log.appendAsLeader(records, this.leaderEpoch) : this.appendWithProducer(records, producerId, opts);
    if ('duplicate' in result) return result as PartitionAppendResult;
    this.log.highWatermark = this.log.logEndOffset;
    this.notify();
    (result as PartitionAppendResult).duplicate = false;
    return result as PartitionAppendResult;
  }

  private appendWithProducer(records: Buffer, producerId: bigint, opts: AppendOptions): AppendResult | PartitionAppendResult {
    const origin = opts.origin ?? 'coordinator';
    const ps = this.producers;
    const epoch = records.readInt16BE(PRODUCER_EPOCH_OFFSET);
    if ((records.readInt16BE(ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) !== 0) {
      const marker = readMarker(records, 0, batchSizeAt(records, 0));
      if (marker === null) return this.log.appendAsLeader(records, this.leaderEpoch);
      ps.validateMarker(producerId, epoch, marker.coordinatorEpoch);
      const result = this.appendSnapshotOnRoll(records);
      ps.applyMarker(producerId, epoch, marker.coordinatorEpoch, marker.type === 0, result.firstOffset, result.maxTimestamp);
      return result;
    }
    const b = opts.batch ?? producerBatchOf(records);
    if (origin === 'client') {
      const dup = ps.findDuplicate(b);
      if (dup !== undefined) {
        return { firstOffset: dup.firstOffset, lastOffset: dup.lastOffset, logAppendTime: -1, maxTimestamp: dup.timestamp, recordCount: 0, duplicate: true };
      }
    }
    ps.validateData(b, origin);
    if (b.isTransactional && origin !== 'replication' && !ps.hasOngoingTxn(producerId) && opts.verifyTxn !== undefined && !opts.verifyTxn(producerId, b.producerEpoch)) {
      throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `Record was not part of an ongoing transaction (producer ${producerId} in ${this.topic}-${this.index})`);
    }
    const result = this.appendSnapshotOnRoll(records);
    ps.applyData(b, result.firstOffset, result.lastOffset, result.maxTimestamp);
    return result;
  }

  /** Appends; when that rolled a new segment, snapshots the producer state as of the new segment's base (Kafka does it on roll). */
  private appendSnapshotOnRoll(records: Buffer): AppendResult {
    const segments = this.log.segmentCount();
    const result = this.log.appendAsLeader(records, this.leaderEpoch);
    if (this.log.segmentCount() > segments) this.producers.takeSnapshot(result.firstOffset);
    return result;
  }

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    if (this.listeners.size === 0) return;
    for (const l of [...this.listeners]) l(this);
  }
}

/** Producer fields from the batch headers in `records` (first batch's epoch and base sequence, last batch's last sequence). */
function producerBatchOf(records: Buffer): ProducerBatch {
  let last = 0;
  for (let p = 0; p + RECORD_BATCH_OVERHEAD <= records.length; p += batchSizeAt(records, p)) last = p;
  const baseSequence = records.readInt32BE(BASE_SEQUENCE_OFFSET);
  const lastBase = records.readInt32BE(last + BASE_SEQUENCE_OFFSET);
  return {
    producerId: records.readBigInt64BE(PRODUCER_ID_OFFSET),
    producerEpoch: records.readInt16BE(PRODUCER_EPOCH_OFFSET),
    baseSequence,
    lastSequence: lastBase < 0 ? -1 : incrementSequence(lastBase, records.readInt32BE(last + LAST_OFFSET_DELTA_OFFSET)),
    isTransactional: (records.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0,
  };
}
