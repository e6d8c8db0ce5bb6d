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
 * Kafka's mapping of the log error (txn-state-writer.ts).
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
 * Here: the transactional ids' state, InitProducerId/AddPartitions/EndTxn and the maintenance;
 * loading the partitions this broker leads is txn-partitions.ts, writing a state (record, commit,
 * replay) txn-state-writer.ts, the pending state in-flight-ids.ts, the completion (markers, then
 * Complete*) txn-completion.ts, InitProducerId's epoch rules producer-epoch.ts, the producer id and
 * epoch checks producer-checks.ts and ListTransactions' filters txn-listing.ts.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { chain, type MaybePromise } from '../coordinator/maybe-async.js';
import type { TimerHandle } from '../common/scheduler.js';
import { MarkerWriter } from './markers.js';
import { completeTransaction, type TxnCompletionHost } from './txn-completion.js';
import { currentProducerState, inOngoingTransaction, txnOffsetCommitError, verifyOnlyResults } from './producer-checks.js';
import { isValidProducerId, nextProducerEpoch } from './producer-epoch.js';
import { ProducerIdManager } from './producer-id-manager.js';
import type { ProducerIdAndEpoch, TopicPartitionRef, TxnCoordinatorDeps } from './txn-coordinator-deps.js';
import { InFlightIds } from './in-flight-ids.js';
import { listTransactions } from './txn-listing.js';
import { TRANSACTION_STATE_TOPIC } from './txn-log.js';
import { TxnPartitions } from './txn-partitions.js';
import { TxnStateShard } from './txn-state.js';
import { TxnStateWriter } from './txn-state-writer.js';
import {
  MAX_PRODUCER_EPOCH,
  NO_PARTITIONS,
  NO_PRODUCER_EPOCH,
  TxnState,
  emptyTransaction,
  hasPartition,
  isComplete,
  isPrepare,
  withPartitions,
  type TxnMetadata,
} from './txn-metadata.js';

export type { ProducerIdAndEpoch, TopicPartitionRef, TxnCoordinatorDeps, TxnCoordinatorSettings } from './txn-coordinator-deps.js';

function err(code: number, message?: string): KafkaError {
  return new KafkaError(code, message);
}

export class TransactionCoordinator {
  readonly markers: MarkerWriter;
  readonly producerIds: ProducerIdManager;
  private readonly txns: TxnStateShard;
  /** The `__transaction_state` partitions loaded here (those this broker leads). */
  private readonly partitions: TxnPartitions;
  private active = false;
  private timer: TimerHandle | null = null;
  /** Writes a transactional id's next state and answers once it is committed and replayed. */
  private readonly stateWriter: TxnStateWriter;
  /** Transactional ids with an operation in flight (Kafka's pending state). */
  private readonly inFlight = new InFlightIds();
  /** What the completion of a transaction (txn-completion.ts) uses of this coordinator. */
  private readonly completion: TxnCompletionHost;

  constructor(private readonly deps: TxnCoordinatorDeps) {
    this.markers = new MarkerWriter(deps.writer, () => deps.scheduler.now(), deps.logger, deps.markerRouting ?? null);
    this.producerIds = new ProducerIdManager(deps.producerIdBlocks);
    this.txns = new TxnStateShard(this.producerIds, deps.logger);
    this.partitions = new TxnPartitions(deps, this.txns, (ids) => this.completeInterrupted(ids));
    this.stateWriter = new TxnStateWriter(deps, this.txns, (id) => this.partitionFor(id));
    this.completion = {
      markers: this.markers,
      logger: deps.logger,
      now: () => this.now(),
      coordinatorEpoch: (id) => this.coordinatorEpoch(id),
      stillCoordinates: (id, coordinatorEpoch) => {
        const txnPartition = this.partitionFor(id);
        return () => this.active && this.partitions.isLoaded(txnPartition) && this.coordinatorEpoch(id) === coordinatorEpoch;
      },
      write: (id, next) => this.stateWriter.write(id, next),
    };
  }

  private now(): number {
    return this.deps.scheduler.now();
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Loads `__transaction_state` if it exists, completes interrupted transactions and starts the timeout checks. */
  start(): void {
    this.active = true;
    if (this.partitions.topicExists()) this.partitions.loadLed();
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
   * Loads `__transaction_state` when it exists and is not loaded yet; else starts its creation and
   * throws COORDINATOR_NOT_AVAILABLE until it exists (txn-partitions.ts).
   */
  ensureTopic(): void {
    if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not active');
    this.partitions.ensure();
  }

  /** ensureTopic(), after waiting for the topic's creation (FindCoordinator waits rather than answer COORDINATOR_NOT_AVAILABLE). */
  async topicReady(): Promise<void> {
    if (this.active && !this.partitions.topicExists()) await this.partitions.create();
    this.ensureTopic();
  }

  partitionFor(transactionalId: string): number {
    return this.partitions.partitionFor(transactionalId);
  }

  /** This broker became leader of `__transaction_state`-`index`: loads its transactional ids (Kafka's onElection). */
  onBecameLeader(index: number): void {
    if (this.active) this.partitions.becameLeader(index);
  }

  /** This broker no longer leads `__transaction_state`-`index`: forgets its transactional ids (Kafka's onResignation). */
  onBecameFollower(index: number): void {
    this.partitions.becameFollower(index);
  }

  /** Completes the Prepare* transactions of a partition just loaded (a crash or a leader change interrupted them). */
  private completeInterrupted(ids: readonly TxnMetadata[]): void {
    for (const m of ids) {
      if (isPrepare(m.state)) {
        this.deps.logger.info(`Completing the interrupted ${m.state === TxnState.PrepareCommit ? 'commit' : 'abort'} of transactional id ${m.transactionalId}`);
        if (!this.inFlight.has(m.transactionalId)) this.completeHeld(m);
      }
    }
  }

  private checkAvailable(transactionalId: string): void {
    if (!this.active) throw err(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not active');
    if (this.partitions.count === 0) {
      // Clients find the coordinator first, which creates the topic; be lenient with those that skip it.
      this.ensureTopic();
    }
    const partition = this.partitionFor(transactionalId);
    if (!this.partitions.isLoaded(partition)) throw err(ErrorCode.NOT_COORDINATOR, `This broker does not lead ${TRANSACTION_STATE_TOPIC}-${partition}, the partition of ${transactionalId}`);
  }

  private coordinatorEpoch(transactionalId: string): number {
    return this.deps.internal.partition(TRANSACTION_STATE_TOPIC, this.partitionFor(transactionalId))?.leaderEpoch ?? 0;
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
    return this.inFlight.exclusive(transactionalId, () => {
      const m = this.txns.get(transactionalId) ?? emptyTransaction(transactionalId, this.producerIds.generate(), transactionTimeoutMs, this.now());
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
        return chain(this.stateWriter.transition(next), () => {
          this.deps.logger.debug(`Initialized transactional id ${m.transactionalId} with producer id ${next.producerId} and epoch ${next.producerEpoch}`);
          return { producerId: next.producerId, producerEpoch: next.producerEpoch };
        });
      }
      default:
        throw err(ErrorCode.CONCURRENT_TRANSACTIONS, `transactional id ${m.transactionalId} is in state ${m.state}`);
    }
  }

  // ---------------------------------------------------------------- AddPartitions / AddOffsets

  private validProducer(transactionalId: string, producerId: bigint, producerEpoch: number): TxnMetadata {
    if (transactionalId === '') throw err(ErrorCode.INVALID_REQUEST, 'The transactional id is empty');
    this.checkAvailable(transactionalId);
    this.inFlight.checkNone(transactionalId);
    return currentProducerState(this.txns.get(transactionalId), transactionalId, producerId, producerEpoch);
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn's partition); throws (or rejects with) KafkaError once the Ongoing record is committed. */
  addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): MaybePromise<void> {
    const m = this.validProducer(transactionalId, producerId, producerEpoch);
    if (m.state === TxnState.Ongoing && partitions.every((p) => hasPartition(m, p.topic, p.partition))) return;
    return this.inFlight.exclusive(transactionalId, () =>
      chain(isPrepare(m.state) ? this.completeNow(m) : m, (c) => {
        if (c.state !== TxnState.Ongoing && !isComplete(c.state)) throw err(ErrorCode.CONCURRENT_TRANSACTIONS);
        const now = this.now();
        const next = {
          ...c,
          state: TxnState.Ongoing,
          partitions: withPartitions(c.state === TxnState.Ongoing ? c : { ...c, partitions: NO_PARTITIONS }, partitions),
          txnStartTimestamp: c.state === TxnState.Ongoing ? c.txnStartTimestamp : now,
          txnLastUpdateTimestamp: now,
        };
        return chain(this.stateWriter.transition(next), () => undefined);
      }),
    );
  }

  /** AddPartitionsToTxn v4+ verifyOnly: per partition NONE when in the transaction, else TRANSACTION_ABORTABLE; throws for the whole transaction. */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): number[] {
    return verifyOnlyResults(this.validProducer(transactionalId, producerId, producerEpoch), partitions);
  }

  /**
   * Whether another broker coordinates `transactionalId` (its partition is not loaded here): then
   * this broker cannot check its transaction, and a partition leader or group coordinator accepts
   * its writes as Kafka's do without KIP-890 verification.
   */
  private coordinatedElsewhere(transactionalId: string): boolean {
    return this.markers.routing !== null && this.partitions.loadedElsewhere(transactionalId);
  }

  /** For Produce: whether the producer's ongoing transaction includes the partition (true when another broker coordinates the id). */
  isPartitionInTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): boolean {
    if (this.coordinatedElsewhere(transactionalId)) return true;
    return inOngoingTransaction(this.txns.get(transactionalId), producerId, producerEpoch, topic, partition);
  }

  /** For TxnOffsetCommit: KafkaError code if the producer may not commit offsets for `group` now, else NONE. */
  checkTxnOffsetCommit(transactionalId: string, producerId: bigint, producerEpoch: number, offsetsTopic: string, offsetsPartition: number): number {
    if (this.coordinatedElsewhere(transactionalId)) return ErrorCode.NONE;
    return txnOffsetCommitError(this.txns.get(transactionalId), producerId, producerEpoch, offsetsTopic, offsetsPartition);
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
        return this.inFlight.exclusive(transactionalId, () =>
          chain(this.stateWriter.transition({ ...m, state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, txnLastUpdateTimestamp: this.now() }), (prepared) => {
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
    this.inFlight.hold(m.transactionalId);
    completeTransaction(this.completion, m, () => this.inFlight.release(m.transactionalId));
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
    const prepared = this.stateWriter.transition({ ...m, producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: TxnState.PrepareAbort, txnLastUpdateTimestamp: this.now() });
    return chain(prepared, (p) => this.completeNow(p));
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Aborts timed-out transactions, retries unfinished completions and expires idle transactional
   * ids, skipping ids with an operation in flight. Each write finishes synchronously when its
   * commit is immediate; otherwise it goes on in the background.
   */
  runMaintenance(now: number = this.now()): void {
    if (!this.active || this.partitions.count === 0) return;
    const expirationMs = this.deps.settings.idExpirationMs;
    for (const m of this.txns.values()) {
      const id = m.transactionalId;
      if (this.inFlight.has(id)) continue;
      const failed = (e: unknown): void => this.deps.logger.error(`transaction maintenance for ${id} failed`, e);
      try {
        let r: MaybePromise<unknown> = undefined;
        if (m.state === TxnState.Ongoing && m.txnStartTimestamp + m.txnTimeoutMs < now) {
          this.deps.logger.info(`Aborting the transaction of ${id} (producer ${m.producerId}, epoch ${m.producerEpoch}): it exceeded its timeout of ${m.txnTimeoutMs} ms`);
          r = this.inFlight.exclusive(id, () => this.abortOngoing(m));
        } else if (isPrepare(m.state)) {
          this.completeHeld(m);
        } else if (isComplete(m.state) && m.txnLastUpdateTimestamp + expirationMs <= now) {
          r = this.inFlight.exclusive(id, () => chain(this.stateWriter.write(id, null), () => this.deps.logger.info(`Expired transactional id ${id} after ${expirationMs} ms of inactivity`)));
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
    return listTransactions(this.txns.values(), stateFilters, producerIdFilters, durationMs, this.now());
  }
}
