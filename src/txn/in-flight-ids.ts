/**
 * Transactional ids with an operation in flight (Kafka's pending state of a TransactionMetadata),
 * counted by holder: a request, and after EndTxn's answer the completion (markers, then
 * Complete*). While an id is held, its other requests get CONCURRENT_TRANSACTIONS, as Kafka
 * answers during a pending transition.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { always, type MaybePromise } from '../coordinator/maybe-async.js';

export class InFlightIds {
  private readonly holders = new Map<string, number>();

  has(transactionalId: string): boolean {
    return this.holders.has(transactionalId);
  }

  /** Throws CONCURRENT_TRANSACTIONS while an operation for the id is in flight. */
  checkNone(transactionalId: string): void {
    if (this.holders.has(transactionalId)) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `an operation for ${transactionalId} is waiting for its commit`);
  }

  hold(transactionalId: string): void {
    this.holders.set(transactionalId, (this.holders.get(transactionalId) ?? 0) + 1);
  }

  release(transactionalId: string): void {
    const n = (this.holders.get(transactionalId) ?? 1) - 1;
    if (n > 0) this.holders.set(transactionalId, n);
    else this.holders.delete(transactionalId);
  }

  /** Runs `body` as the id's one operation in flight (CONCURRENT_TRANSACTIONS when there is one already). */
  exclusive<T>(transactionalId: string, body: () => MaybePromise<T>): MaybePromise<T> {
    this.checkNone(transactionalId);
    this.hold(transactionalId);
    return always(body, () => this.release(transactionalId));
  }
}
