/**
 * The transaction coordinator's state and its life cycle (TransactionCoordinator, in coordinator.ts,
 * extends this with the client requests): the transactional ids loaded from the
 * `__transaction_state` partitions this broker leads, the in-flight ids, the completion of
 * prepared transactions, the periodic maintenance and the admin views.
 * Kafka's rule (TransactionStateManager, TransactionCoordinator): a loaded partition's Prepare*
 * transactions are completed (markers, then Complete*); every
 * transaction.abort.timed.out.transaction.cleanup.interval.ms, Ongoing transactions past their
 * timeout are aborted with a bumped epoch, and ids idle for transactional.id.expiration.ms are
 * removed (a tombstone); requests for an id whose partition is not loaded here get
 * NOT_COORDINATOR, and COORDINATOR_NOT_AVAILABLE while the coordinator is not active.
 * Samsa's deviations: see coordinator.ts (the maintenance runs on the injected scheduler, at least
 * every 10 ms).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { chain, type MaybePromise } from '../coordinator/maybe-async.js';
import type { TimerHandle } from '../common/scheduler.js';
import { MarkerWriter } from './markers.js';
import { completeTransaction, type TxnCompletionHost } from './txn-completion.js';
import { ProducerIdManager } from './producer-id-manager.js';
import type { TxnCoordinatorDeps } from './txn-coordinator-deps.js';
import { InFlightIds } from './in-flight-ids.js';
import { listTransactions } from './txn-listing.js';
import { TRANSACTION_STATE_TOPIC } from './txn-log.js';
import { TxnPartitions } from './txn-partitions.js';
import { TxnStateShard } from './txn-state.js';
import { TxnStateWriter } from './txn-state-writer.js';
import { MAX_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, TxnState, isComplete, isPrepare, type TxnMetadata } from './txn-metadata.js';

/** A KafkaError with `code` (the coordinator's errors). */
export function err(code: number, message?: string): KafkaError {
  return new KafkaError(code, message);
}

/** See coordinator.ts (the class to use). */
export abstract class TxnCoordinatorBase {

  readonly markers: MarkerWriter;
  readonly producerIds: ProducerIdManager;
  protected readonly txns: TxnStateShard;
  /** The `__transaction_state` partitions loaded here (those this broker leads). */
  protected readonly partitions: TxnPartitions;
  protected active = false;
  private timer: TimerHandle | null = null;
  /** Writes a transactional id's next state and answers once it is committed and replayed. */
  protected readonly stateWriter: TxnStateWriter;
  /** Transactional ids with an operation in flight (Kafka's pending state). */
  protected readonly inFlight = new InFlightIds();
  /** What the completion of a transaction (txn-completion.ts) uses of this coordinator. */
  private readonly completion: TxnCompletionHost;

  constructor(protected readonly deps: TxnCoordinatorDeps) {
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

  protected now(): number {
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

  protected checkAvailable(transactionalId: string): void {
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

  /** `complete` holding the id: its requests get CONCURRENT_TRANSACTIONS until the Complete* record is committed (or failed). */
  protected completeHeld(m: TxnMetadata): void {
    this.inFlight.hold(m.transactionalId);
    completeTransaction(this.completion, m, () => this.inFlight.release(m.transactionalId));
  }

  /** `complete` as a value (or a promise): the state once the Complete* record is committed, or still Prepare* when it failed. */
  protected completeNow(m: TxnMetadata): MaybePromise<TxnMetadata> {
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
  protected abortOngoing(m: TxnMetadata): MaybePromise<TxnMetadata> {
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
