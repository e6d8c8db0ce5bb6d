/**
 * The transaction side of the broker, for other modules: FindCoordinator (key type 1) calls
 * `findTransactionCoordinator`; the broker tells the group coordinator about COMMIT/ABORT markers
 * written to `__consumer_offsets` through the coordinator's `markers.onMarker`.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { TransactionCoordinator } from './coordinator.js';

export { TransactionCoordinator } from './coordinator.js';
export type { MarkerListener, TxnMarker } from './markers.js';
export { TRANSACTION_STATE_TOPIC, partitionForTransactionalId } from './txn-log.js';

/**
 * FindCoordinator with key type 1 (TRANSACTION): this broker coordinates every transactional id.
 * Creates `__transaction_state` on first use (as Kafka does) and returns the partition holding
 * `transactionalId` once the topic exists; rejects with KafkaError (COORDINATOR_NOT_AVAILABLE) when the coordinator is not
 * running. The caller answers with this broker's node id and advertised address.
 */
export async function findTransactionCoordinator(c: TransactionCoordinator | undefined, transactionalId: string): Promise<number> {
  if (c === undefined || !c.isActive) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not available');
  await c.topicReady();
  return c.partitionFor(transactionalId);
}
