/**
 * The transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager) for a
 * single broker: transactional id -> TxnMetadata, persisted in the compacted internal topic
 * `__transaction_state` (created on demand) and replayed from it at start-up.
 *
 * State changes only by replay (Kafka's CoordinatorShard.replay): a transition builds the next
 * TxnMetadata, its `__transaction_state` record goes through a CoordinatorRuntime (one serial
 * queue per partition), and the value becomes current when the committed record is replayed;
 * loading a partition at start-up is replay of its log. A failed append changes nothing. EndTxn
 * writes PrepareCommit/PrepareAbort; once that is committed, the markers into every partition of
 * the transaction, then CompleteCommit/CompleteAbort, all before answering (single node: every
 * commit is immediate, so it all runs synchronously). A crash in between leaves a Prepare* state,
 * completed when the coordinator loads. Ongoing transactions past their timeout are aborted with
 * a bumped epoch (fencing the producer), also those found after a restart.
 *
 * Deviations from Kafka (single broker, no pending states): InitProducerId for a transactional id
 * whose transaction is Ongoing aborts it and answers with the new epoch at once instead of
 * CONCURRENT_TRANSACTIONS-and-retry. Transaction version 2 (epoch bump per transaction) is not
 * offered. Markers that fail to append (the partition was deleted, a newer epoch is there) are
 * skipped with a log line instead of being retried forever. The operations answer synchronously:
 * while a write to a `__transaction_state` partition waits for its commit (a replicated writer),
 * requests whose transactional ids live there get CONCURRENT_TRANSACTIONS (retriable) instead of
 * waiting, and a Prepare* record committed after its request was answered goes on to its markers
 * when it is replayed.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { log } from '../common/logger.js';
import type { CoordinatorDeps } from '../coordinator/deps.js';
import { CoordinatorRuntime, type WriteOutcome } from '../coordinator/runtime.js';
import type { TimerHandle } from '../common/scheduler.js';
import { MarkerWriter } from './markers.js';
import { ProducerIdManager, type ProducerIdBlockSource } from './producer-id-manager.js';
import { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from './txn-log.js';
import { TxnStateShard, txnRecord } from './txn-state.js';
import {
  MAX_PRODUCER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TxnState,
  hasPartition,
  isComplete,
  isEpochExhausted,
  txnStateByName,
  withPartitions,
  type TxnMetadata,
} from './txn-metadata.js';

export interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** Everything the transaction coordinator reads from the broker config (getters: some are dynamic). */
export interface TxnCoordinatorSettings {
  readonly stateLogNumPartitions: number;
  readonly stateLogSegmentBytes: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly cleanupIntervalMs: number;
  /** transaction.max.timeout.ms */
  readonly maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  readonly idExpirationMs: number;
}

export type TxnCoordinatorDeps = CoordinatorDeps<TxnCoordinatorSettings> & {
  /** Producer-id blocks (committed to the cluster metadata by the broker). */
  producerIdBlocks: ProducerIdBlockSource;
};

const EMPTY_PARTITIONS: ReadonlyMap<string, ReadonlySet<number>> = new Map();

function err(code: number, message?: string): KafkaError {
  return new KafkaError(code, message);
}

function isPrepare(s: TxnState): boolean {
  return s === TxnState.PrepareCommit || s === TxnState.PrepareAbort;
}

export class TransactionCoordinator {
  readonly markers: MarkerWriter;
  readonly producerIds: ProducerIdManager;
  private readonly txns: TxnStateShard;
  private numPartitions = 0;
  private active = false;
  private timer: TimerHandle | null = null;
  private readonly runtime: CoordinatorRuntime;
  /** The creation of `__transaction_state` under way, if any. */
  private creating: Promise<void> | null = null;

  constructor(private readonly deps: TxnCoordinatorDeps) {
    this.markers = new MarkerWriter(deps.writer, () => deps.scheduler.now());
    this.producerIds = new ProducerIdManager(deps.producerIdBlocks);
    this.txns = new TxnStateShard(this.producerIds);
    this.runtime = new CoordinatorRuntime(
      TRANSACTION_STATE_TOPIC,
      {
        append: (topic, partition, batch) => {
          if (!deps.internal.partition(topic, partition)) throw err(ErrorCode.NOT_COORDINATOR, `No ${topic} partition ${partition}`);
          return deps.writer.append(topic, partition, batch);
        },
      },
      { replay: (_partition, record) => this.txns.replay(record) },
      () => deps.scheduler.now(),
    );
  }

  private now(): number {
    return this.deps.scheduler.now();
  }

  private topicExists(): boolean {
    return this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC) !== undefined;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Loads `__transaction_state` if it exists, completes interrupted transactions and starts the timeout checks. */
  start(): void {
    this.active = true;
    if (this.topicExists()) this.loadAll();
    this.scheduleMaintenance();
  }

  shutdown(): void {
    this.active = false;
    this.timer?.cancel();
    this.timer = null;
  }

  /** Every transaction.abort.timed.out.transaction.cleanup.interval.ms (at least 10 ms), on the injected scheduler. */
  private scheduleMaintenance(): void {
    if (!this.active) return;
    this.timer = this.deps.scheduler.schedule(Math.max(10, this.deps.settings.cleanupIntervalMs), () => {
      this.runMaintenance();
      this.scheduleMaintenance();
    });
  }

  // ---------------------------------------------------------------- topic and loading

  /**
   * Loads `__transaction_state` when it exists and is not loaded yet; else starts its creation
   * (an asynchronous metadata commit) and throws COORDINATOR_NOT_AVAILABLE until it exists, as
   * Kafka answers while the topic is being created.
   */
  ensureTopic(): void {
    if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not active');
    if (this.numPartitions > 0 && this.topicExists()) return;
    if (!this.topicExists()) {
      void this.createTopic().catch(() => undefined);
      // (A store that commits at once has created it by now.)
      if (!this.topicExists()) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${TRANSACTION_STATE_TOPIC} is being created`);
    }
    this.loadAll();
  }

  /** ensureTopic(), after waiting for the topic's creation (FindCoordinator waits rather than answer COORDINATOR_NOT_AVAILABLE). */
  async topicReady(): Promise<void> {
    if (this.active && !this.topicExists()) await this.createTopic();
    this.ensureTopic();
  }

  /** Creates `__transaction_state` (one creation at a time); rejects with the creation's error. */
  private createTopic(): Promise<void> {
    if (this.creating !== null) return this.creating;
    const numPartitions = this.deps.settings.stateLogNumPartitions;
    const creating = this.deps.internal
      .create({
        name: TRANSACTION_STATE_TOPIC,
        numPartitions,
        configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.deps.settings.stateLogSegmentBytes) },
      })
      .then(() => log.info(`Created internal topic ${TRANSACTION_STATE_TOPIC} with ${numPartitions} partitions`))
      .finally(() => {
        if (this.creating === creating) this.creating = null;
      });
    this.creating = creating;
    return creating;
  }

  partitionFor(transactionalId: string): number {
    const n = this.numPartitions > 0 ? this.numPartitions : this.deps.settings.stateLogNumPartitions;
    return partitionForTransactionalId(transactionalId, n);
  }

  private loadAll(): void {
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    if (count === undefined) return;
    const started = performance.now();
    this.txns.clear();
    this.numPartitions = count;
    let records = 0;
    for (let i = 0; i < this.numPartitions; i++) {
      const p = this.deps.internal.partition(TRANSACTION_STATE_TOPIC, i);
      if (p) records += this.txns.load(p);
    }
    log.info(`Loaded ${this.txns.size} transactional ids from ${records} records of ${TRANSACTION_STATE_TOPIC} in ${(performance.now() - started).toFixed(0)} ms`);
    for (const m of this.txns.values()) {
      if (isPrepare(m.state)) {
        log.info(`Completing the interrupted ${m.state === TxnState.PrepareCommit ? 'commit' : 'abort'} of transactional id ${m.transactionalId}`);
        this.tryComplete(m);
      }
    }
  }

  /** Kafka answers CONCURRENT_TRANSACTIONS while a transition is pending; here: while a write to the id's partition waits for its commit. */
  private checkNotWaiting(transactionalId: string): void {
    if (this.runtime.isBusy(this.partitionFor(transactionalId))) throw err(ErrorCode.CONCURRENT_TRANSACTIONS, `a write for ${transactionalId} is waiting for its commit`);
  }

  private checkAvailable(): void {
    if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not active');
    if (this.numPartitions === 0) {
      // Clients find the coordinator first, which creates the topic; be lenient with those that skip it.
      this.ensureTopic();
    }
  }

  private coordinatorEpoch(transactionalId: string): number {
    return this.deps.internal.partition(TRANSACTION_STATE_TOPIC, this.partitionFor(transactionalId))?.leaderEpoch ?? 0;
  }

  // ---------------------------------------------------------------- records and replay

  /**
   * Writes the record of `next` (or the tombstone) through the runtime; `done` gets the outcome
   * once it is committed and replayed (synchronously when the commit is immediate). Throws
   * NOT_COORDINATOR when this broker has no partition for the transactional id.
   */
  private submit(transactionalId: string, next: TxnMetadata | null, done: (outcome: WriteOutcome<undefined>) => void): void {
    const partition = this.partitionFor(transactionalId);
    if (!this.deps.internal.partition(TRANSACTION_STATE_TOPIC, partition)) throw err(ErrorCode.NOT_COORDINATOR, `No ${TRANSACTION_STATE_TOPIC} partition for ${transactionalId}`);
    this.runtime.write(partition, () => ({ records: [txnRecord(transactionalId, next)], response: undefined }), done);
  }

  /** The KafkaError a client gets for a failed append of `transactionalId`'s state. */
  private appendError(transactionalId: string, e: unknown): KafkaError {
    if (e instanceof KafkaError && (e.code === ErrorCode.MESSAGE_TOO_LARGE || e.code === ErrorCode.RECORD_LIST_TOO_LARGE)) {
      return err(ErrorCode.UNKNOWN_SERVER_ERROR, `the transaction state of ${transactionalId} is too large`);
    }
    if (e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR) return e;
    log.error(`appending to ${TRANSACTION_STATE_TOPIC} for ${transactionalId} failed`, e);
    return err(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }

  /**
   * Writes `next` (or the tombstone, when null) and returns the state its replay left. Throws
   * KafkaError when the append fails (the state is unchanged) and CONCURRENT_TRANSACTIONS
   * (retriable) while a write to the partition waits for its commit; a write whose own commit
   * is still pending is replayed later, and a Prepare* state then goes on to its markers.
   */
  private write(transactionalId: string, next: TxnMetadata | null): TxnMetadata | undefined {
    this.checkNotWaiting(transactionalId);
    let outcome: WriteOutcome<undefined> | undefined;
    let returned = false;
    this.submit(transactionalId, next, (o) => {
      outcome = o;
      if (!returned) return;
      // Committed after we answered: finish what the caller would have done.
      const m = this.txns.get(transactionalId);
      if (o.ok && m !== undefined && isPrepare(m.state)) this.complete(m);
      else if (!o.ok) log.error(`a write to ${TRANSACTION_STATE_TOPIC} for ${transactionalId} failed`, o.error);
    });
    returned = true;
    if (outcome === undefined) throw err(ErrorCode.CONCURRENT_TRANSACTIONS, `the write for ${transactionalId} is waiting for its commit`);
    if (!outcome.ok) throw this.appendError(transactionalId, outcome.error);
    return this.txns.get(transactionalId);
  }

  /** Persists `next`; it is current once replayed. Returns the replayed state. */
  private transition(next: TxnMetadata): TxnMetadata {
    return this.write(next.transactionalId, next) ?? next;
  }

  // ---------------------------------------------------------------- InitProducerId

  /** InitProducerId; throws KafkaError. `expected` is the producer's current id and epoch (v3+), if it has one. */
  initProducerId(transactionalId: string | null, transactionTimeoutMs: number, expected: ProducerIdAndEpoch | null): ProducerIdAndEpoch {
    if (transactionalId === null) {
      if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return { producerId: this.producerIds.generate(), producerEpoch: 0 };
    }
    if (transactionalId === '') throw err(ErrorCode.INVALID_REQUEST, 'The transactional id is empty');
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.deps.settings.maxTimeoutMs) {
      throw err(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `The transaction timeout ${transactionTimeoutMs} ms is not within (0, transaction.max.timeout.ms]`);
    }
    this.checkAvailable();
    this.checkNotWaiting(transactionalId);
    let m = this.txns.get(transactionalId) ?? this.fresh(transactionalId, transactionTimeoutMs);
    if (expected !== null && !isValidProducerId(m, expected)) throw err(ErrorCode.PRODUCER_FENCED, `Producer ${expected.producerId} with epoch ${expected.producerEpoch} is fenced`);
    for (let round = 0; round < 3; round++) {
      switch (m.state) {
        case TxnState.PrepareCommit:
        case TxnState.PrepareAbort:
          m = this.tryComplete(m);
          if (!isComplete(m.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
          continue;
        case TxnState.Ongoing:
          // Fence the current producer and abort its transaction (Kafka answers CONCURRENT_TRANSACTIONS and the client retries).
          m = this.abortOngoing(m);
          if (!isComplete(m.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
          continue;
        case TxnState.Empty:
        case TxnState.CompleteCommit:
        case TxnState.CompleteAbort: {
          const next = this.nextProducerEpoch(m, transactionTimeoutMs, expected);
          this.transition(next);
          log.debug(`Initialized transactional id ${transactionalId} with producer id ${next.producerId} and epoch ${next.producerEpoch}`);
          return { producerId: next.producerId, producerEpoch: next.producerEpoch };
        }
        default:
          throw err(ErrorCode.CONCURRENT_TRANSACTIONS, `transactional id ${transactionalId} is in state ${m.state}`);
      }
    }
    throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
  }

  private fresh(transactionalId: string, txnTimeoutMs: number): TxnMetadata {
    return {
      transactionalId,
      producerId: this.producerIds.generate(),
      previousProducerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs,
      state: TxnState.Empty,
      partitions: EMPTY_PARTITIONS,
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: this.now(),
    };
  }

  /** Kafka's prepareIncrementProducerEpoch / prepareProducerIdRotation. */
  private nextProducerEpoch(m: TxnMetadata, txnTimeoutMs: number, expected: ProducerIdAndEpoch | null): TxnMetadata {
    const base = { ...m, txnTimeoutMs, state: TxnState.Empty, partitions: EMPTY_PARTITIONS, txnStartTimestamp: -1, txnLastUpdateTimestamp: this.now() };
    if (isEpochExhausted(m.producerEpoch) && (expected === null || expected.producerEpoch === m.producerEpoch)) {
      return { ...base, producerId: this.producerIds.generate(), previousProducerId: m.producerId, producerEpoch: 0, lastProducerEpoch: expected !== null ? m.producerEpoch : NO_PRODUCER_EPOCH };
    }
    if (isEpochExhausted(m.producerEpoch)) throw err(ErrorCode.PRODUCER_FENCED, `Producer epoch ${expected?.producerEpoch} is fenced`);
    if (expected === null) return { ...base, producerEpoch: m.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH };
    if (m.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === m.producerEpoch) {
      return { ...base, producerEpoch: m.producerEpoch + 1, lastProducerEpoch: m.producerEpoch };
    }
    if (expected.producerEpoch === m.lastProducerEpoch) return { ...base, producerEpoch: m.producerEpoch, lastProducerEpoch: m.lastProducerEpoch };
    throw err(ErrorCode.PRODUCER_FENCED, `Expected producer epoch ${expected.producerEpoch} does not match the current epoch ${m.producerEpoch} or the previous epoch ${m.lastProducerEpoch}`);
  }

  // ---------------------------------------------------------------- AddPartitions / AddOffsets

  private validProducer(transactionalId: string, producerId: bigint, producerEpoch: number): TxnMetadata {
    if (transactionalId === '') throw err(ErrorCode.INVALID_REQUEST, 'The transactional id is empty');
    this.checkAvailable();
    this.checkNotWaiting(transactionalId);
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) throw err(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `Producer id ${producerId} is not the current one of transactional id ${transactionalId}`);
    if (m.producerEpoch !== producerEpoch) throw err(ErrorCode.PRODUCER_FENCED, `Producer epoch ${producerEpoch} is not the current epoch ${m.producerEpoch} of transactional id ${transactionalId}`);
    return m;
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn's partition); throws KafkaError. */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): void {
    let m = this.validProducer(transactionalId, producerId, producerEpoch);
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) {
      m = this.tryComplete(m);
      if (!isComplete(m.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    if (m.state === TxnState.Ongoing && partitions.every((p) => hasPartition(m, p.topic, p.partition))) return;
    if (m.state !== TxnState.Ongoing && !isComplete(m.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
    const now = this.now();
    this.transition({
      ...m,
      state: TxnState.Ongoing,
      partitions: withPartitions(m.state === TxnState.Ongoing ? m : { ...m, partitions: EMPTY_PARTITIONS }, partitions),
      txnStartTimestamp: m.state === TxnState.Ongoing ? m.txnStartTimestamp : now,
      txnLastUpdateTimestamp: now,
    });
  }

  /** AddPartitionsToTxn v4+ verifyOnly: per partition NONE when in the transaction, else TRANSACTION_ABORTABLE; throws for the whole transaction. */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): number[] {
    const m = this.validProducer(transactionalId, producerId, producerEpoch);
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
    return partitions.map((p) => (m.state === TxnState.Ongoing && hasPartition(m, p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE));
  }

  /** For Produce: whether the producer's ongoing transaction includes the partition. */
  isPartitionInTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): boolean {
    const m = this.txns.get(transactionalId);
    return m !== undefined && m.producerId === producerId && m.producerEpoch === producerEpoch && m.state === TxnState.Ongoing && hasPartition(m, topic, partition);
  }

  /** For TxnOffsetCommit: KafkaError code if the producer may not commit offsets for `group` now, else NONE. */
  checkTxnOffsetCommit(transactionalId: string, producerId: bigint, producerEpoch: number, offsetsTopic: string, offsetsPartition: number): number {
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.state !== TxnState.Ongoing || !hasPartition(m, offsetsTopic, offsetsPartition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- EndTxn

  /** EndTxn from a client; throws KafkaError. */
  endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): ProducerIdAndEpoch {
    let m = this.validProducer(transactionalId, producerId, producerEpoch);
    const invalid = (): KafkaError => err(ErrorCode.INVALID_TXN_STATE, `Transactional id ${transactionalId} is in state ${m.state}; cannot ${commit ? 'commit' : 'abort'}`);
    switch (m.state) {
      case TxnState.Ongoing: {
        const prepared = this.transition({ ...m, state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, txnLastUpdateTimestamp: this.now() });
        m = this.tryComplete(prepared);
        return { producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
      case TxnState.CompleteCommit:
        if (commit) return { producerId: m.producerId, producerEpoch: m.producerEpoch };
        throw invalid();
      case TxnState.CompleteAbort:
        if (!commit) return { producerId: m.producerId, producerEpoch: m.producerEpoch };
        throw invalid();
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        if ((m.state === TxnState.PrepareCommit) !== commit) throw invalid();
        m = this.tryComplete(m);
        if (!isComplete(m.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
        return { producerId: m.producerId, producerEpoch: m.producerEpoch };
      default:
        throw invalid();
    }
  }

  /**
   * Writes the markers of a (committed) Prepare* transaction and then its Complete* state;
   * returns the current metadata (still Prepare* if that write failed or waits for its commit,
   * or another write to the partition does).
   */
  private tryComplete(m: TxnMetadata): TxnMetadata {
    if (this.runtime.isBusy(this.partitionFor(m.transactionalId))) return m;
    this.complete(m);
    return this.txns.get(m.transactionalId) ?? m;
  }

  private complete(m: TxnMetadata): void {
    const commit = m.state === TxnState.PrepareCommit;
    const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: this.coordinatorEpoch(m.transactionalId), commit };
    for (const [topic, parts] of m.partitions) {
      for (const partition of parts) {
        const code = this.markers.write(topic, partition, marker);
        if (code !== ErrorCode.NONE && code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          log.warn(`could not write the ${commit ? 'COMMIT' : 'ABORT'} marker of ${m.transactionalId} (producer ${m.producerId}, epoch ${m.producerEpoch}) to ${topic}-${partition}: error ${code}`);
        }
      }
    }
    const next = { ...m, state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: EMPTY_PARTITIONS, txnLastUpdateTimestamp: this.now() };
    try {
      // Queued behind a write waiting for its commit, if any (the runtime's queue, not CONCURRENT_TRANSACTIONS).
      this.submit(m.transactionalId, next, (o) => {
        if (!o.ok) log.error(`could not complete the transaction of ${m.transactionalId}; will retry`, o.error);
      });
    } catch (e) {
      log.error(`could not complete the transaction of ${m.transactionalId}; will retry`, e);
    }
  }

  /** Aborts an Ongoing transaction with a bumped epoch (fencing its producer). */
  private abortOngoing(m: TxnMetadata): TxnMetadata {
    const epoch = m.producerEpoch < MAX_PRODUCER_EPOCH ? m.producerEpoch + 1 : m.producerEpoch;
    const prepared = this.transition({ ...m, producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: TxnState.PrepareAbort, txnLastUpdateTimestamp: this.now() });
    return this.tryComplete(prepared);
  }

  // ---------------------------------------------------------------- maintenance

  /** Aborts timed-out transactions, retries unfinished completions and expires idle transactional ids. */
  runMaintenance(now: number = this.now()): void {
    if (!this.active || this.numPartitions === 0) return;
    const expirationMs = this.deps.settings.idExpirationMs;
    for (const m of this.txns.values()) {
      try {
        if (m.state === TxnState.Ongoing && m.txnStartTimestamp + m.txnTimeoutMs < now) {
          log.info(`Aborting the transaction of ${m.transactionalId} (producer ${m.producerId}, epoch ${m.producerEpoch}): it exceeded its timeout of ${m.txnTimeoutMs} ms`);
          this.abortOngoing(m);
        } else if (isPrepare(m.state)) {
          this.tryComplete(m);
        } else if (isComplete(m.state) && m.txnLastUpdateTimestamp + expirationMs <= now) {
          this.write(m.transactionalId, null);
          log.info(`Expired transactional id ${m.transactionalId} after ${expirationMs} ms of inactivity`);
        }
      } catch (e) {
        log.error(`transaction maintenance for ${m.transactionalId} failed`, e);
      }
    }
  }

  // ---------------------------------------------------------------- admin

  describe(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  /** ListTransactions: Kafka's filters (state names, producer ids, running longer than durationMs when >= 0). */
  list(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationMs: number): { unknownStateFilters: string[]; states: TxnMetadata[] } {
    const unknownStateFilters: string[] = [];
    const states = new Set<number>();
    for (const name of stateFilters) {
      const s = txnStateByName(name);
      if (s === undefined) unknownStateFilters.push(name);
      else states.add(s);
    }
    const pids = new Set(producerIdFilters);
    const now = this.now();
    const out: TxnMetadata[] = [];
    for (const m of this.txns.values()) {
      if (m.state === TxnState.Dead) continue;
      if (pids.size > 0 && !pids.has(m.producerId)) continue;
      if (stateFilters.length > 0 && !states.has(m.state)) continue;
      if (durationMs >= 0 && now - m.txnStartTimestamp <= durationMs) continue;
      out.push(m);
    }
    return { unknownStateFilters, states: out };
  }
}

/** Kafka's isValidProducerId for InitProducerId with an expected producer id and epoch. */
function isValidProducerId(m: TxnMetadata, expected: ProducerIdAndEpoch): boolean {
  return (
    m.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === m.producerId ||
    (expected.producerId === m.previousProducerId && isEpochExhausted(expected.producerEpoch))
  );
}
