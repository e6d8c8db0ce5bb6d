/**
 * One partition hosted by this broker: its log, leader epoch and watermarks, its producer state
 * (idempotence, transactions, last stable offset), and the waiters (delayed fetches) to wake when
 * data arrives.
 *
 * Its role (docs/replication.md):
 * - sole leader (a single node, no replication): the ISR is this broker alone and the high
 *   watermark follows the log end offset on every append (no follower bookkeeping at all);
 * - leader of a replicated partition (`becomeLeader`): a LeaderState tracks the followers' log end
 *   offsets and the ISR; the high watermark is the lowest log end offset of the ISR; appends
 *   waiting for it (acks=all, coordinator writes) sit in `commitWaiters`;
 * - follower (`becomeFollower`): refuses produce (NOT_LEADER_OR_FOLLOWER), appends what the leader
 *   sends (`appendFromLeader`, producer state rebuilt from the batches), truncates where its log
 *   diverges from the leader's, and takes the leader's high watermark.
 * - offline (`goOffline`): its log dir failed (storage/log-dir-failures.ts); it neither leads nor
 *   follows until restart and answers KAFKA_STORAGE_ERROR.
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
import type { Clock } from '../common/clock.js';
import { CommitWaiters } from '../replication/commit-waiters.js';
import { LeaderState } from '../replication/leader-state.js';
import type { LeaderStatsSink } from '../replication/replication-stats.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import type { AppendOrigin } from '../storage/producer-append-checks.js';
import { type ProducerBatch, ProducerStateManager } from '../storage/producer-state.js';
import { readEndTxnMarker } from '../protocol/records/control-record.js';
import { readBigInt64At } from '../protocol/primitives/bigint64.js';

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

export type PartitionRole = 'sole-leader' | 'leader' | 'follower';

export class Partition {
  leaderEpoch: number;
  private _role: PartitionRole = 'sole-leader';
  /** The leader's view of its followers (role 'leader' only). */
  private leaderState: LeaderState | null = null;
  /** Appends waiting for the high watermark (role 'leader'). */
  readonly commitWaiters = new CommitWaiters();
  /** The partition epoch of the metadata this role came from (AlterPartition compares it). */
  partitionEpoch = 0;
  /** The broker's replication counters, given with the leader role (high-watermark moves). */
  private leaderStats: Pick<LeaderStatsSink, 'highWatermarkMoved'> | null = null;
  /** Told when a follower outside the ISR has caught up to the high watermark (ISR expansion). */
  isrCandidateListener: ((p: Partition) => void) | null = null;
  private _log: PartitionLog;
  private _producers: ProducerStateManager;
  /**
   * Append listeners (a Fetch's long poll per partition it waits on): an array, not a Set, since
   * a Set whose entries come and go with every long poll reallocates its table every few
   * add/delete pairs; `notifying` holds the snapshot a notify() call iterates (reused).
   */
  private readonly listeners: AppendListener[] = [];
  private notifying: AppendListener[] | null = null;
  private readonly notifyScratch: AppendListener[] = [];
  private _offline = false;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    log: PartitionLog,
    leaderEpoch: number,
    public settings: TopicSettings,
    /** Whether other brokers hold replicas: then the role comes from the metadata (PartitionRoles). */
    replicated = false,
  ) {
    this._log = log;
    this.leaderEpoch = leaderEpoch;
    if (replicated) {
      // Until the metadata says otherwise: no produce, and the high watermark stays as
      // checkpointed (what the ISR had, not what this log holds).
      this._role = 'follower';
    } else {
      if (log.leaderEpochs.latestEpoch() < leaderEpoch) log.leaderEpochs.assign(leaderEpoch, log.logEndOffset);
      // The ISR is this broker alone, so everything in the local log is committed (Kafka's leader
      // advances its high watermark to the log end offset as soon as the ISR allows it).
      log.highWatermark = log.logEndOffset;
    }
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

  /** Its log dir failed: nothing is served from it here until restart. */
  get offline(): boolean {
    return this._offline;
  }

  /** The log dir failed: stops leading (waiting appends fail with KAFKA_STORAGE_ERROR) and wakes long polls. */
  goOffline(): void {
    this._offline = true;
    this._role = 'follower';
    this.leaderState = null;
    this.commitWaiters.failAll(ErrorCode.KAFKA_STORAGE_ERROR);
    this.notify();
  }

  get role(): PartitionRole {
    return this._role;
  }

  /** Whether this broker leads the partition (serves produce and consumer fetches). */
  get isLeader(): boolean {
    return this._role !== 'follower';
  }

  /** In-sync replicas as the leader knows them (1 for a sole leader, 0 on a follower). */
  get isrSize(): number {
    if (this._role === 'sole-leader') return 1;
    return this.leaderState?.isr.length ?? 0;
  }

  get isr(): readonly number[] | null {
    return this.leaderState?.isr ?? null;
  }

  /** The leader's view of its followers (null unless role 'leader'). */
  get leader(): LeaderState | null {
    return this.leaderState;
  }

  /**
   * Becomes the leader of a replicated partition at `epoch` with the metadata's replicas and ISR.
   * The epoch starts at the current log end offset; the high watermark starts where it was
   * (checkpointed, or learnt as a follower) and moves once every ISR member has fetched.
   */
  becomeLeader(epoch: number, localId: number, replicas: readonly number[], isr: readonly number[], clock: Clock, stats: Pick<LeaderStatsSink, 'highWatermarkMoved'> | null = null): void {
    if (this._offline) return;
    const log = this._log;
    this.leaderStats = stats;
    if (epoch !== this.leaderEpoch || this._role !== 'leader') {
      this.leaderEpoch = epoch;
      if (log.leaderEpochs.latestEpoch() < epoch) log.leaderEpochs.assign(epoch, log.logEndOffset);
      this.leaderState = new LeaderState({ localId, replicas, isr, leaderEpochStartOffset: log.logEndOffset, highWatermark: log.highWatermark, clock });
      this._role = 'leader';
    } else {
      this.leaderState?.setReplicas(replicas);
    }
    this.isrChanged(isr);
  }

  /** The metadata now holds `isr` for this partition (this broker leads it). */
  isrChanged(isr: readonly number[]): void {
    if (this.leaderState?.setIsr(isr, this._log.logEndOffset) === true) this.highWatermarkMoved();
  }

  /** An ISR change was proposed (the high watermark waits for its members too), or (null) refused. */
  isrProposed(isr: readonly number[] | null): void {
    if (this.leaderState?.setPendingIsr(isr, this._log.logEndOffset) === true) this.highWatermarkMoved();
  }

  /** Becomes a follower at `epoch`: waiting appends fail with `errorCode` (NOT_LEADER_OR_FOLLOWER). */
  becomeFollower(epoch: number, errorCode: number): void {
    this.leaderEpoch = epoch;
    this._role = 'follower';
    this.leaderState = null;
    this.commitWaiters.failAll(errorCode);
    this.notify();
  }

  /** The latest epoch of the local epoch cache (-1: none). */
  latestLocalEpoch(): number {
    return this._log.leaderEpochs.latestEpoch();
  }

  /** The largest local epoch ≤ `epoch` and the offset where it ends (Kafka's endOffsetForEpoch). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this._log.leaderEpochs.endOffsetFor(epoch);
  }

  /** A replica fetched at `fetchOffset` (leader side). Returns whether the high watermark moved. */
  recordFollowerFetch(replicaId: number, fetchOffset: number): boolean {
    const state = this.leaderState;
    if (state === null) return false;
    const moved = state.recordFetch(replicaId, fetchOffset, this._log.logEndOffset);
    if (moved) this.highWatermarkMoved();
    if (this.isrCandidateListener !== null && fetchOffset >= state.highWatermark && !state.isr.includes(replicaId)) this.isrCandidateListener(this);
    return moved;
  }

  private highWatermarkMoved(): void {
    this.leaderStats?.highWatermarkMoved();
    const hw = (this.leaderState as LeaderState).highWatermark;
    this._log.highWatermark = hw;
    this.commitWaiters.advance(this._log.highWatermark);
    this.notify();
  }

  /** Follower: appends the leader's batches as they are and replays their producer fields. */
  appendFromLeader(records: Buffer): void {
    const segments = this._log.segmentCount();
    const result = this._log.appendAsFollower(records);
    if (this._log.segmentCount() > segments) this._producers.takeSnapshot(result.firstOffset);
    this._producers.replayBatches(records);
    this.notify();
  }

  /** Follower: the leader's high watermark (capped by what this log holds) and log start offset. */
  leaderProgress(highWatermark: number, logStartOffset: number): void {
    const log = this._log;
    const hw = Math.min(highWatermark, log.logEndOffset);
    const moved = hw !== log.highWatermark;
    if (moved) log.highWatermark = hw;
    if (logStartOffset > log.logStartOffset && logStartOffset <= log.highWatermark) {
      log.deleteRecordsBefore(logStartOffset);
      this._producers.cleanupBelowLogStart();
    }
    if (moved) this.notify();
  }

  /** Follower: cuts the log at `offset` (where it diverges from the leader's) and rebuilds producer state. */
  truncateTo(offset: number): void {
    if (offset >= this._log.logEndOffset) {
      this._log.truncateTo(offset); // drops an empty epoch at the log end (PartitionLog.truncateTo)
      return;
    }
    this._log.truncateTo(offset);
    this._producers = ProducerStateManager.load(this._log, { now: () => this._log.clock.now() });
  }

  /** Follower: empties the log and restarts it at `offset` (below the leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    this._log.truncateFullyAndStartAt(offset);
    this._producers = ProducerStateManager.load(this._log, { now: () => this._log.clock.now() });
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
    if (this._offline) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `The log directory of ${this.topic}-${this.index} is offline on this broker`);
    if (this._role === 'follower') throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${this.topic}-${this.index}`);
    const producerId = opts.batch?.producerId ?? (records.length >= RECORD_BATCH_OVERHEAD ? readBigInt64At(records, PRODUCER_ID_OFFSET) : -1n);
    const result = producerId < 0n ? this.log.appendAsLeader(records, this.leaderEpoch) : this.appendWithProducer(records, producerId, opts);
    if ('duplicate' in result) return result as PartitionAppendResult;
    if (this._role === 'sole-leader') {
      this.log.highWatermark = this.log.logEndOffset;
      this.notify();
    } else if (this.leaderState?.leaderAppended(this.log.logEndOffset) === true) this.highWatermarkMoved();
    else this.notify();
    (result as PartitionAppendResult).duplicate = false;
    return result as PartitionAppendResult;
  }

  private appendWithProducer(records: Buffer, producerId: bigint, opts: AppendOptions): AppendResult | PartitionAppendResult {
    const origin = opts.origin ?? 'coordinator';
    const ps = this.producers;
    const epoch = records.readInt16BE(PRODUCER_EPOCH_OFFSET);
    if ((records.readInt16BE(ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) !== 0) {
      const marker = readEndTxnMarker(records, 0, batchSizeAt(records, 0));
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
    this.addAppendListener(listener);
    return () => this.removeAppendListener(listener);
  }

  /** Calls `listener` after every append (once even if added twice) until removed. */
  addAppendListener(listener: AppendListener): void {
    if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeAppendListener(listener: AppendListener): void {
    const ls = this.listeners;
    const i = ls.indexOf(listener);
    if (i < 0) return;
    const last = ls.pop() as AppendListener;
    if (i < ls.length) ls[i] = last;
  }

  /** Calls the listeners registered now (one added or removed by a listener takes effect next time). */
  notify(): void {
    const ls = this.listeners;
    if (ls.length === 0) return;
    // A notify() from inside a listener (nested) copies; the outermost reuses its scratch array.
    const snap = this.notifying === null ? this.notifyScratch : [];
    for (let i = 0; i < ls.length; i++) snap.push(ls[i] as AppendListener);
    const outer = this.notifying;
    this.notifying = snap;
    try {
      for (let i = 0; i < snap.length; i++) (snap[i] as AppendListener)(this);
    } finally {
      this.notifying = outer;
      snap.length = 0;
    }
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
