/**
 * The transaction side of the broker, for other modules: FindCoordinator (key type 1) calls
 * `findTransactionCoordinator`; the group coordinator hears about COMMIT/ABORT markers written
 * to `__consumer_offsets` through `onTransactionMarker`.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Broker } from '../broker/broker.js';
import type { MarkerListener } from './markers.js';

export { TransactionCoordinator } from './coordinator.js';
export type { MarkerListener, TxnMarker } from './markers.js';
export { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from './txn-log.js';

/**
 * FindCoordinator with key type 1 (TRANSACTION): this broker coordinates every transactional id.
 * Creates `__transaction_state` on first use (as Kafka does) and returns the partition holding
 * `transactionalId`; throws KafkaError (COORDINATOR_NOT_AVAILABLE) when the coordinator is not
 * running. The caller answers with this broker's node id and advertised address.
 */
export function findTransactionCoordinator(broker: Broker, transactionalId: string): number {
  const c = broker.txnCoordinator;
  if (c === undefined || !c.isActive) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not available');
  c.ensureTopic();
  return c.partitionFor(transactionalId);
}

/** For OffsetFetch with require_stable: whether an open transaction holds an offset of the group's partition (answer UNSTABLE_OFFSET_COMMIT). */
export function hasPendingTxnOffset(broker: Broker, groupId: string, topic: string, partition: number): boolean {
  return broker.txnCoordinator?.pendingOffsets.has(groupId, topic, partition) ?? false;
}

/** Registers a listener told after every transaction marker the broker writes; returns the unsubscribe function. */
export function onTransactionMarker(broker: Broker, listener: MarkerListener): () => void {
  return broker.txnCoordinator.markers.onMarker(listener);
}
