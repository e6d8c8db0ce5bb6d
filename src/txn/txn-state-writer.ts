/**
 * How the transaction coordinator changes a transactional id's state (Kafka's
 * TransactionStateManager.appendTransactionToLog): the record of the next TxnMetadata (or the
 * tombstone of an expired id) goes to the id's `__transaction_state` partition through a
 * CoordinatorRuntime, and the write answers with the state the record's replay left, once the
 * record is committed: synchronously when the commit is immediate (single node), else as a
 * promise. Writes to one partition queue behind a write waiting for its commit.
 *
 * Kafka's rule for a failed append or commit: the state is unchanged and the client gets the
 * mapped log error (coordinator/append-errors.ts: NOT_LEADER_OR_FOLLOWER -> NOT_COORDINATOR,
 * NOT_ENOUGH_REPLICAS -> COORDINATOR_NOT_AVAILABLE, ...); a partition not on this broker is
 * NOT_COORDINATOR. Samsa's deviation (coordinator/runtime.ts): the record is replayed after its
 * commit instead of before it with a revert on failure.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { txnAppendErrorCode } from '../coordinator/append-errors.js';
import { chain, type MaybePromise } from '../coordinator/maybe-async.js';
import { CoordinatorRuntime } from '../coordinator/runtime.js';
import type { TxnCoordinatorDeps } from './txn-coordinator-deps.js';
import { TRANSACTION_STATE_TOPIC } from './txn-log.js';
import type { TxnMetadata } from './txn-metadata.js';
import { type TxnStateShard, txnRecord } from './txn-state.js';

export class TxnStateWriter {
  private readonly runtime: CoordinatorRuntime;

  constructor(
    private readonly deps: TxnCoordinatorDeps,
    private readonly txns: TxnStateShard,
    /** The `__transaction_state` partition of a transactional id. */
    private readonly partitionFor: (transactionalId: string) => number,
  ) {
    this.runtime = new CoordinatorRuntime(
      TRANSACTION_STATE_TOPIC,
      {
        append: (topic, partition, batch) => {
          if (!deps.internal.partition(topic, partition)) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `No ${topic} partition ${partition}`);
          return deps.writer.append(topic, partition, batch);
        },
      },
      { replay: (_partition, record) => txns.replay(record) },
      () => deps.scheduler.now(),
    );
  }

  /**
   * Writes the record of `next` (or the tombstone, when null) and returns (or resolves with) the
   * state its replay left, once it is committed: at once when the commit is immediate. Throws (or
   * rejects with) the KafkaError the client gets when the append or its commit fails; the state is
   * then unchanged.
   */
  write(transactionalId: string, next: TxnMetadata | null): MaybePromise<TxnMetadata | undefined> {
    const partition = this.partitionFor(transactionalId);
    if (!this.deps.internal.partition(TRANSACTION_STATE_TOPIC, partition)) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `No ${TRANSACTION_STATE_TOPIC} partition for ${transactionalId}`);
    const failed = (e: unknown): never => {
      throw new KafkaError(txnAppendErrorCode(e, `the transaction state of ${transactionalId}`, this.deps.logger), `writing the transaction state of ${transactionalId} failed`);
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
  transition(next: TxnMetadata): MaybePromise<TxnMetadata> {
    return chain(this.write(next.transactionalId, next), (m) => m ?? next);
  }
}
