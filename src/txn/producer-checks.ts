/**
 * The checks of a producer against its transactional id's state, on the coordinator that loaded
 * the id. Kafka's rule (TransactionCoordinator): a producer id other than the id's current one is
 * INVALID_PRODUCER_ID_MAPPING, an epoch other than the current one PRODUCER_FENCED; AddPartitions'
 * verifyOnly (KIP-890, v4+) answers NONE for a partition of the ongoing transaction, else
 * TRANSACTION_ABORTABLE, and CONCURRENT_TRANSACTIONS while the transaction completes.
 *
 * The same state answers the partition leaders and the group coordinator of this broker: whether
 * a transactional Produce goes to a partition of the producer's ongoing transaction, and whether a
 * TxnOffsetCommit may write (INVALID_TXN_STATE unless `__consumer_offsets`' partition was added).
 * Samsa's deviation: these are local calls rather than Kafka's verification requests, so when
 * another broker coordinates the id (coordinator.ts) the writes are accepted unverified, as by a
 * Kafka broker without KIP-890.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { TopicPartitionRef } from './txn-coordinator-deps.js';
import { TxnState, hasPartition, isPrepare, type TxnMetadata } from './txn-metadata.js';

/** NONE when `producerId`/`producerEpoch` is the id's current producer, else INVALID_PRODUCER_ID_MAPPING or PRODUCER_FENCED. */
function producerMismatch(m: TxnMetadata | undefined, producerId: bigint, producerEpoch: number): number {
  if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  return ErrorCode.NONE;
}

/** The id's state, when `producerId`/`producerEpoch` is its current producer; else throws INVALID_PRODUCER_ID_MAPPING or PRODUCER_FENCED. */
export function currentProducerState(m: TxnMetadata | undefined, transactionalId: string, producerId: bigint, producerEpoch: number): TxnMetadata {
  if (m === undefined || m.producerId !== producerId) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `Producer id ${producerId} is not the current one of transactional id ${transactionalId}`);
  if (m.producerEpoch !== producerEpoch) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `Producer epoch ${producerEpoch} is not the current epoch ${m.producerEpoch} of transactional id ${transactionalId}`);
  return m;
}

/** AddPartitionsToTxn v4+ verifyOnly: per partition NONE when in the transaction, else TRANSACTION_ABORTABLE; throws for the whole transaction. */
export function verifyOnlyResults(m: TxnMetadata, partitions: readonly TopicPartitionRef[]): number[] {
  if (isPrepare(m.state)) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS);
  return partitions.map((p) => (m.state === TxnState.Ongoing && hasPartition(m, p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE));
}

/** For Produce: whether the producer's ongoing transaction includes the partition. */
export function inOngoingTransaction(m: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, topic: string, partition: number): boolean {
  return m !== undefined && producerMismatch(m, producerId, producerEpoch) === ErrorCode.NONE && m.state === TxnState.Ongoing && hasPartition(m, topic, partition);
}

/** For TxnOffsetCommit: the error code when the producer may not commit offsets to `__consumer_offsets`-`offsetsPartition` now, else NONE. */
export function txnOffsetCommitError(m: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, offsetsTopic: string, offsetsPartition: number): number {
  const code = producerMismatch(m, producerId, producerEpoch);
  if (m === undefined || code !== ErrorCode.NONE) return code;
  if (m.state !== TxnState.Ongoing || !hasPartition(m, offsetsTopic, offsetsPartition)) return ErrorCode.INVALID_TXN_STATE;
  return ErrorCode.NONE;
}
