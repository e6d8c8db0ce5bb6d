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
 * Here: InitProducerId/AddPartitions/EndTxn and the producer checks for Produce and
 * TxnOffsetCommit; the transactional ids' state, loading, completion, maintenance and admin views
 * are txn-coordinator-base.ts; loading the partitions this broker leads is txn-partitions.ts,
 * writing a state (record, commit, replay) txn-state-writer.ts, the pending state
 * in-flight-ids.ts, the completion (markers, then Complete*) txn-completion.ts, InitProducerId's
 * epoch rules producer-epoch.ts, the producer id and epoch checks producer-checks.ts and
 * ListTransactions' filters txn-listing.ts.
 */
import { ErrorCode } from '../common/error-codes.js';
import type { KafkaError } from '../common/kafka-error.js';
import { chain, type MaybePromise } from '../coordinator/maybe-async.js';
import { currentProducerState, inOngoingTransaction, txnOffsetCommitError, verifyOnlyResults } from './producer-checks.js';
import { isValidProducerId, nextProducerEpoch } from './producer-epoch.js';
import type { ProducerIdAndEpoch, TopicPartitionRef } from './txn-coordinator-deps.js';
import { NO_PARTITIONS, TxnState, emptyTransaction, hasPartition, isComplete, isPrepare, withPartitions, type TxnMetadata } from './txn-metadata.js';
import { TxnCoordinatorBase, err } from './txn-coordinator-base.js';

export type { ProducerIdAndEpoch, TopicPartitionRef, TxnCoordinatorDeps, TxnCoordinatorSettings } from './txn-coordinator-deps.js';

export class TransactionCoordinator extends TxnCoordinatorBase {
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
}
