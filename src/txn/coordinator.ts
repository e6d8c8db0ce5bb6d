/**
 * The transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager) for a
 * single broker: transactional id -> TxnMetadata, persisted in the compacted internal topic
 * `__transaction_state` (created on demand) and replayed from it at start-up.
 *
 * State changes only by replay (Kafka's CoordinatorShard.replay): a transition builds the next
 * TxnMetadata, its `__transaction_state` record goes through a CoordinatorRuntime (one serial
 * queue per partition), and the value becomes current when the committed record is replayed;
 * loading a partition at start-up is replay of its log. A failed append (or commit) changes
 * nothing. Every operation answers once its record is committed and replayed: it returns its
 * answer synchronously when the commit is immediate (single node) and a promise otherwise, and
 * while it is in flight the transactional id's other requests get CONCURRENT_TRANSACTIONS (Kafka's
 * pending state). EndTxn answers once PrepareCommit/PrepareAbort is committed; then the markers go
 * into every partition of the transaction and, once they are committed, CompleteCommit/
 * CompleteAbort (the id stays in flight until then). A crash in between leaves a Prepare* state,
 * completed when the coordinator loads. Ongoing transactions past their timeout are aborted with
 * a bumped epoch (fencing the producer), also those found after a restart. A failed write answers
 * Kafka's mapping of the log error (coordinator/append-errors.ts: NOT_LEADER_OR_FOLLOWER ->
 * NOT_COORDINATOR, NOT_ENOUGH_REPLICAS -> COORDINATOR_NOT_AVAILABLE, ...).
 *
 * In a cluster (Kafka's rule) this broker coordinates the transactional ids of the
 * `__transaction_state` partitions it leads: becoming leader of one loads it (and completes its
 * Prepare* transactions), losing it unloads it; requests for ids of partitions not loaded here
 * get NOT_COORDINATOR. Markers for partitions led by other brokers go to those leaders as
 * WriteTxnMarkers requests (markers.ts `deliver`), retried until acknowledged; Complete* is written
 * only once every marker is.
 *
 * Deviations from Kafka (single broker): InitProducerId for a transactional id whose transaction
 * is Ongoing aborts it and answers with the new epoch once the abort is complete, instead of
 * CONCURRENT_TRANSACTIONS-and-retry. Transaction version 2 (epoch bump per transaction) is not
 * offered. Markers that fail to append (the partition was deleted, a newer epoch is there) are
 * skipped with a log line instead of being retried forever.
 *
 * Here: the transactional ids' state, loading, InitProducerId/AddPartitions/EndTxn and the
 * maintenance; the completion (markers, then Complete*) is txn-completion.ts and InitProducerId's
 * epoch rules are producer-epoch.ts.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { CoordinatorDeps } from '../coordinator/deps.js';
import { txnAppendErrorCode } from '../coordinator/append-errors.js';
import { always, chain, type MaybePromise } from '../coordinator/maybe-async.js';
import { CoordinatorRuntime } from '../coordinator/runtime.js';
import type { TimerHandle } from '../common/scheduler.js';
import { MarkerWriter, type MarkerRouting } from './markers.js';
import { completeTransaction, type TxnCompletionHost } from './txn-completion.js';
import { isValidProducerId, nextProducerEpoch } from './producer-epoch.js';
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
  /** In a cluster: where the partitions' leaders are (markers for other leaders are sent to them). */
  markerRouting?: MarkerRouting | null;
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
  /** The `__transaction_state` partitions loaded here (those this broker leads). */
  private readonly loaded = new Set<number>();
  private active = false;
  private timer: TimerHandle | null = null;
  private readonly runtime: CoordinatorRuntime;
  /**
   * Transactional ids with an operation in flight (Kafka's pending state), with how many holders:
   * a request, and after EndTxn's answer the completion (markers, then Complete*). Other requests
   * for the id get CONCURRENT_TRANSACTIONS meanwhile.
   */
  private readonly inFlight = new Map<string, number>();

  /** The creation of `__transaction_state` under way, if any. */
  private creating: Promise<void> | null = null;
  /** What the completion of a transaction (txn-completion.ts) uses of this coordinator. */
  private readonly completion: TxnCompletionHost;

  constructor(private readonly deps: TxnCoordinatorDeps) {
    this.markers = new MarkerWriter(deps.writer, () => deps.scheduler.now(), deps.logger, deps.markerRouting ?? null);
    this.producerIds = new ProducerIdManager(deps.producerIdBlocks);
    this.txns = new TxnStateShard(this.producerIds, deps.logger);
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
    this.completion = {
      markers: this.markers,
      logger: deps.logger,
      now: () => this.now(),
      coordinatorEpoch: (id) => this.coordinatorEpoch(id),
      stillCoordinates: (id, coordinatorEpoch) => {
        const txnPartition = this.partitionFor(id);
        return () => this.active && this.loaded.has(txnPartition) && this.coordinatorEpoch(id) === coordinatorEpoch;
      },
      write: (id, next) => this.write(id, next),
    };
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
    if (this.topicExists()) this.loadLed();
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
    this.loadLed();
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
      .then(() => this.deps.logger.info(`Created internal topic ${TRANSACTION_STATE_TOPIC} with ${numPartitions} partitions`))
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

  /** Loads every `__transaction_state` partition this broker leads and has not loaded yet. */
  private loadLed(): void {
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    if (count === undefined) return;
    this.numPartitions = count;
    for (const p of this.deps.internal.partitions(TRANSACTION_STATE_TOPIC)) if (!this.loaded.has(p.index)) this.loadPartition(p.index);
  }

  /** This broker became leader of `__transaction_state`-`index`: loads its transactional ids (Kafka's onElection). */
  onBecameLeader(index: number): void {
    if (!this.active) return;
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    if (count === undefined) return;
    this.numPartitions = count;
    this.unload(index);
    this.loadPartition(index);
  }

  /** This broker no longer leads `__transaction_state`-`index`: forgets its transactional ids (Kafka's onResignation). */
  onBecameFollower(index: number): void {
    if (!this.loaded.has(index)) return;
    this.unload(index);
    this.deps.logger.info(`Unloaded ${TRANSACTION_STATE_TOPIC}-${index}: another broker coordinates its transactional ids`);
  }

  private unload(index: number): void {
    this.loaded.delete(index);
    for (const m of this.txns.values()) if (this.partitionFor(m.transactionalId) === index) this.txns.delete(m.transactionalId);
  }

  private loadPartition(index: number): void {
    const p = this.deps.internal.partition(TRANSACTION_STATE_TOPIC, index);
    if (!p) return;
    const started = performance.now();
    const records = this.txns.load(p);
    this.loaded.add(index);
    const ids = this.txns.values().filter((m) => this.partitionFor(m.transactionalId) === index);
    if (records > 0) this.deps.logger.info(`Loaded ${ids.length} transactional ids from ${records} records of ${TRANSACTION_STATE_TOPIC}-${index} in ${(performance.now() - started).toFixed(0)} ms`);
    for (const m of ids) {
      if (isPrepare(m.state)) {
        this.deps.logger.info(`Completing the interrupted ${m.state === TxnState.PrepareCommit ? 'commit' : 'abort'} of transactional id ${m.transactionalId}`);
        if (!this.inFlight.has(m.transactionalId)) this.completeHeld(m);
      }
    }
  }

  /** Kafka answers CONCURRENT_TRANSACTIONS while a transition is pending: here while an operation for the id is in flight. */
  private checkNotInFlight(transactionalId: string): void {
    if (this.inFlight.has(transactionalId)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS, `an operation for ${transactionalId} is waiting for its commit`);
  }

  private hold(transactionalId: string): void {
    this.inFlight.set(transactionalId, (this.inFlight.get(transactionalId) ?? 0) + 1);
  }

  private release(transactionalId: string): void {
    const n = (this.inFlight.get(transactionalId) ?? 1) - 1;
    if (n > 0) this.inFlight.set(transactionalId, n);
    else this.inFlight.delete(transactionalId);
  }

  /** Runs `body` as the id's one operation in flight (CONCURRENT_TRANSACTIONS when there is one already). */
  private exclusive<T>(transactionalId: string, body: () => MaybePromise<T>): MaybePromise<T> {
    this.checkNotInFlight(transactionalId);
    this.hold(transactionalId);
    return always(body, () => this.release(transactionalId));
  }

  private checkAvailable(transactionalId: string): void {
    if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not active');
    if (this.numPartitions === 0) {
      // Clients find the coordinator first, which creates the topic; be lenient with those that skip it.
      this.ensureTopic();
    }
    const partition = this.partitionFor(transactionalId);
    if (!this.loaded.has(partition)) throw err(ErrorCode.NOT_COORDINATOR, `This broker does not lead ${TRANSACTION_STATE_TOPIC}-${partition}, the partition of ${transactionalId}`);
  }

  private coordinatorEpoch(transactionalId: string): number {
    return this.deps.internal.partition(TRANSACTION_STATE_TOPIC, this.partitionFor(transactionalId))?.leaderEpoch ?? 0;
  }

  // ---------------------------------------------------------------- records and replay

  /**
   * Writes the record of `next` (or the tombstone, when null) and returns (or resolves with) the
   * state its replay left, once it is committed: at once when the commit is immediate. Throws (or
   * rejects with) the KafkaError the client gets when the append or its commit fails; the state is
   * then unchanged. Writes to one partition queue behind a write waiting for its commit.
   */
  private write(transactionalId: string, next: TxnMetadata | null): MaybePromise<TxnMetadata | undefined> {
    const partition = this.partitionFor(transactionalId);
    if (!this.deps.internal.partition(TRANSACTION_STATE_TOPIC, partition)) throw err(ErrorCode.NOT_COORDINATOR, `No ${TRANSACTION_STATE_TOPIC} partition for ${transactionalId}`);
    const failed = (e: unknown): never => {
      throw err(txnAppendErrorCode(e, `the transaction state of ${transactionalId}`, this.deps.logger), `writing the transaction state of ${transactionalId} failed`);
    };
    const replayed = (): TxnMetadata | undefined => this.txns.get(transactionalId);
    let written: MaybePromise<undefined>;
    try {
      written = this.runtime.writeNow(partition, () => ({ records: [txnRecord(transactionalId, next)], response: undefined }));
    } catch (e) {
      return failed(e);
    }
    if (written instanceof Promise) return written.then(replayed, failed);
    return replayed();
  }

  /** Persists `next`; it is current once replayed. Returns the replayed state. */
  private transition(next: TxnMetadata): MaybePromise<TxnMetadata> {
    return chain(this.write(next.transactionalId, next), (m) => m ?? next);
  }

  // ---------------------------------------------------------------- InitProducerId

  /**
   * InitProducerId; throws (or rejects with) KafkaError. Answers once its record is committed:
   * synchronously when the commit is immediate. `expected` is the producer's current id and epoch
   * (v3+), if it has one.
   */
  initProducerId(transactionalId: string | null, transactionTimeoutMs: number, expected: ProducerIdAndEpoch | null): MaybePromise<ProducerIdAndEpoch> {
    if (transactionalId === null) {
      if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return { producerId: this.producerIds.generate(), producerEpoch: 0 };
    }
    if (transactionalId === '') throw err(ErrorCode.INVALID_REQUEST, 'The transactional id is empty');
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.deps.settings.maxTimeoutMs) {
      throw err(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `The transaction timeout ${transactionTimeoutMs} ms is not within (0, transaction.max.timeout.ms]`);
    }
    this.checkAvailable(transactionalId);
    return this.exclusive(transactionalId, () => {
      const m = this.txns.get(transactionalId) ?? this.fresh(transactionalId, transactionTimeoutMs);
      if (expected !== null && !isValidProducerId(m, expected)) throw err(ErrorCode.PRODUCER_FENCED, `Producer ${expected.producerId} with epoch ${expected.producerEpoch} is fenced`);
      return this.initRound(m, transactionTimeoutMs, expected, 0);
    });
  }

  /** One step of InitProducerId: finish (or abort) what is in the way, then bump the epoch. */
  private initRound(m: TxnMetadata, transactionTimeoutMs: number, expected: ProducerIdAndEpoch | null, round: number): MaybePromise<ProducerIdAndEpoch> {
    if (round >= 3) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
    const again = (c: TxnMetadata): MaybePromise<ProducerIdAndEpoch> => {
      if (!isComplete(c.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
      return this.initRound(c, transactionTimeoutMs, expected, round + 1);
    };
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return chain(this.completeNow(m), again);
      case TxnState.Ongoing:
        // Fence the current producer and abort its transaction (Kafka answers CONCURRENT_TRANSACTIONS and the client retries).
        return chain(this.abortOngoing(m), again);
      case TxnState.Empty:
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort: {
        const next = nextProducerEpoch(m, transactionTimeoutMs, expected, this.now(), () => this.producerIds.generate());
        return chain(this.transition(next), () => {
          this.deps.logger.debug(`Initialized transactional id ${m.transactionalId} with producer id ${next.producerId} and epoch ${next.producerEpoch}`);
          return { producerId: next.producerId, producerEpoch: next.producerEpoch };
        });
      }
      default:
        throw err(ErrorCode.CONCURRENT_TRANSACTIONS, `transactional id ${m.transactionalId} is in state ${m.state}`);
    }
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

  // ---------------------------------------------------------------- AddPartitions / AddOffsets

  private validProducer(transactionalId: string, producerId: bigint, producerEpoch: number): TxnMetadata {
    if (transactionalId === '') throw err(ErrorCode.INVALID_REQUEST, 'The transactional id is empty');
    this.checkAvailable(transactionalId);
    this.checkNotInFlight(transactionalId);
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) throw err(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `Producer id ${producerId} is not the current one of transactional id ${transactionalId}`);
    if (m.producerEpoch !== producerEpoch) throw err(ErrorCode.PRODUCER_FENCED, `Producer epoch ${producerEpoch} is not the current epoch ${m.producerEpoch} of transactional id ${transactionalId}`);
    return m;
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn's partition); throws (or rejects with) KafkaError once the Ongoing record is committed. */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): MaybePromise<void> {
    const m = this.validProducer(transactionalId, producerId, producerEpoch);
    if (m.state === TxnState.Ongoing && partitions.every((p) => hasPartition(m, p.topic, p.partition))) return;
    return this.exclusive(transactionalId, () =>
      chain(isPrepare(m.state) ? this.completeNow(m) : m, (c) => {
        if (c.state !== TxnState.Ongoing && !isComplete(c.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
        const now = this.now();
        const next = {
          ...c,
          state: TxnState.Ongoing,
          partitions: withPartitions(c.state === TxnState.Ongoing ? c : { ...c, partitions: EMPTY_PARTITIONS }, partitions),
          txnStartTimestamp: c.state === TxnState.Ongoing ? c.txnStartTimestamp : now,
          txnLastUpdateTimestamp: now,
        };
        return chain(this.transition(next), () => undefined);
      }),
    );
  }

  /** AddPartitionsToTxn v4+ verifyOnly: per partition NONE when in the transaction, else TRANSACTION_ABORTABLE; throws for the whole transaction. */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): number[] {
    const m = this.validProducer(transactionalId, producerId, producerEpoch);
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
    return partitions.map((p) => (m.state === TxnState.Ongoing && hasPartition(m, p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE));
  }

  /**
   * Whether another broker coordinates `transactionalId` (its partition is not loaded here): then
   * this broker cannot check its transaction, and a partition leader or group coordinator accepts
   * its writes as Kafka's do without KIP-890 verification.
   */
  private coordinatedElsewhere(transactionalId: string): boolean {
    const count = this.deps.metadata.partitionCount(TRANSACTION_STATE_TOPIC);
    return this.markers.routing !== null && count !== undefined && !this.loaded.has(partitionForTransactionalId(transactionalId, count));
  }

  /** For Produce: whether the producer's ongoing transaction includes the partition (true when another broker coordinates the id). */
  isPartitionInTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): boolean {
    if (this.coordinatedElsewhere(transactionalId)) return true;
    const m = this.txns.get(transactionalId);
    return m !== undefined && m.producerId === producerId && m.producerEpoch === producerEpoch && m.state === TxnState.Ongoing && hasPartition(m, topic, partition);
  }

  /** For TxnOffsetCommit: KafkaError code if the producer may not commit offsets for `group` now, else NONE. */
  checkTxnOffsetCommit(transactionalId: string, producerId: bigint, producerEpoch: number, offsetsTopic: string, offsetsPartition: number): number {
    if (this.coordinatedElsewhere(transactionalId)) return ErrorCode.NONE;
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.state !== TxnState.Ongoing || !hasPartition(m, offsetsTopic, offsetsPartition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- EndTxn

  /**
   * EndTxn from a client; throws (or rejects with) KafkaError. Answers once the Prepare* record is
   * committed; the markers and the Complete* record follow (before the answer when every commit is
   * immediate), and until the Complete* record is committed the id's other requests get
   * CONCURRENT_TRANSACTIONS.
   */
  endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): MaybePromise<ProducerIdAndEpoch> {
    const m = this.validProducer(transactionalId, producerId, producerEpoch);
    const invalid = (): KafkaError => err(ErrorCode.INVALID_TXN_STATE, `Transactional id ${transactionalId} is in state ${m.state}; cannot ${commit ? 'commit' : 'abort'}`);
    const ids = { producerId: m.producerId, producerEpoch: m.producerEpoch };
    switch (m.state) {
      case TxnState.Ongoing:
        return this.exclusive(transactionalId, () =>
          chain(this.transition({ ...m, state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, txnLastUpdateTimestamp: this.now() }), (prepared) => {
            this.completeHeld(prepared);
            return { producerId: prepared.producerId, producerEpoch: prepared.producerEpoch };
          }),
        );
      case TxnState.CompleteCommit:
        if (commit) return ids;
        throw invalid();
      case TxnState.CompleteAbort:
        if (!commit) return ids;
        throw invalid();
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        if ((m.state === TxnState.PrepareCommit) !== commit) throw invalid();
        // A completion that did not finish (its Complete* write failed): run it again; the client retries until it has.
        this.completeHeld(m);
        if (!isComplete(this.txns.get(transactionalId)?.state ?? m.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
        return ids;
      default:
        throw invalid();
    }
  }

  /** `complete` holding the id: its requests get CONCURRENT_TRANSACTIONS until the Complete* record is committed (or failed). */
  private completeHeld(m: TxnMetadata): void {
    this.hold(m.transactionalId);
    completeTransaction(this.completion, m, () => this.release(m.transactionalId));
  }

  /** `complete` as a value (or a promise): the state once the Complete* record is committed, or still Prepare* when it failed. */
  private completeNow(m: TxnMetadata): MaybePromise<TxnMetadata> {
    let finished = false;
    let wake: (() => void) | undefined;
    completeTransaction(this.completion, m, () => {
      finished = true;
      wake?.();
    });
    const current = (): TxnMetadata => this.txns.get(m.transactionalId) ?? m;
    if (finished) return current();
    return new Promise<void>((resolve) => (wake = resolve)).then(current);
  }

  /** Aborts an Ongoing transaction with a bumped epoch (fencing its producer); the caller holds the id. */
  private abortOngoing(m: TxnMetadata): MaybePromise<TxnMetadata> {
    const epoch = m.producerEpoch < MAX_PRODUCER_EPOCH ? m.producerEpoch + 1 : m.producerEpoch;
    const prepared = this.transition({ ...m, producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: TxnState.PrepareAbort, txnLastUpdateTimestamp: this.now() });
    return chain(prepared, (p) => this.completeNow(p));
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Aborts timed-out transactions, retries unfinished completions and expires idle transactional
   * ids, skipping ids with an operation in flight. Each write finishes synchronously when its
   * commit is immediate; otherwise it goes on in the background.
   */
  runMaintenance(now: number = this.now()): void {
    if (!this.active || this.numPartitions === 0) return;
    const expirationMs = this.deps.settings.idExpirationMs;
    for (const m of this.txns.values()) {
      const id = m.transactionalId;
      if (this.inFlight.has(id)) continue;
      const failed = (e: unknown): void => this.deps.logger.error(`transaction maintenance for ${id} failed`, e);
      try {
        let r: MaybePromise<unknown> = undefined;
        if (m.state === TxnState.Ongoing && m.txnStartTimestamp + m.txnTimeoutMs < now) {
          this.deps.logger.info(`Aborting the transaction of ${id} (producer ${m.producerId}, epoch ${m.producerEpoch}): it exceeded its timeout of ${m.txnTimeoutMs} ms`);
          r = this.exclusive(id, () => this.abortOngoing(m));
        } else if (isPrepare(m.state)) {
          this.completeHeld(m);
        } else if (isComplete(m.state) && m.txnLastUpdateTimestamp + expirationMs <= now) {
          r = this.exclusive(id, () => chain(this.write(id, null), () => this.deps.logger.info(`Expired transactional id ${id} after ${expirationMs} ms of inactivity`)));
        }
        if (r instanceof Promise) r.catch(failed);
      } catch (e) {
        failed(e);
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
