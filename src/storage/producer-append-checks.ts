/**
 * The checks a batch passes against its producer's state before it is appended to a partition
 * (Kafka's ProducerAppendInfo), and the duplicate detection over the producer's last batches.
 * Header fields only; the caller (producer-state.ts) records the batch once it is appended.
 *
 * Errors follow Kafka 3.x/4.x: an older epoch is INVALID_PRODUCER_EPOCH, a gap or an old
 * sequence is OUT_OF_ORDER_SEQUENCE_NUMBER, a retry of one of the last 5 batches is a duplicate
 * (the caller answers with the original offsets), an unknown producer may start at any sequence
 * (Kafka no longer answers UNKNOWN_PRODUCER_ID or DUPLICATE_SEQUENCE_NUMBER), a plain batch while
 * the producer's transaction is open is INVALID_TXN_STATE, a marker from an older coordinator is
 * TRANSACTION_COORDINATOR_FENCED. As in Kafka, replicated batches are not checked and coordinator
 * batches get the epoch checks only.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { type BatchMetadata, type ProducerBatch, type ProducerEntry, INT32_MAX, decrementSequence } from './producer-entry.js';

/** Where an append comes from: clients get sequence checks, coordinators only epoch checks, replication none. */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

const NO_EPOCH = -1;

function firstSeqOf(b: BatchMetadata): number {
  return decrementSequence(b.lastSeq, b.offsetDelta);
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/**
 * A client batch that repeats one of the producer's last batches (same epoch and sequence range):
 * its metadata, so the caller can answer with the original offsets.
 */
export function findDuplicateBatch(e: ProducerEntry | undefined, b: ProducerBatch): { firstOffset: number; lastOffset: number; timestamp: number } | undefined {
  if (e === undefined || e.producerEpoch !== b.producerEpoch) return undefined;
  for (const m of e.batches) {
    if (m.lastSeq === b.lastSequence && firstSeqOf(m) === b.baseSequence) {
      return { firstOffset: m.lastOffset - m.offsetDelta, lastOffset: m.lastOffset, timestamp: m.timestamp };
    }
  }
  return undefined;
}

/** Checks epoch, sequence and transaction state of a data batch of producer entry `e` (if known) in partition `name`. Throws KafkaError. */
export function checkDataBatch(e: ProducerEntry | undefined, b: ProducerBatch, origin: AppendOrigin, name: string): void {
  if (origin === 'replication') return;
  const currentEpoch = e?.producerEpoch ?? NO_EPOCH;
  if (b.producerEpoch < currentEpoch) {
    throw new KafkaError(
      ErrorCode.INVALID_PRODUCER_EPOCH,
      `Epoch of producer ${b.producerId} in ${name} is ${b.producerEpoch}, which is smaller than the last seen epoch ${currentEpoch}`,
    );
  }
  if (origin === 'client') {
    if (b.producerEpoch !== currentEpoch) {
      if (b.baseSequence !== 0 && currentEpoch !== NO_EPOCH) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Invalid sequence number for new epoch of producer ${b.producerId} in partition ${name}: ${b.producerEpoch} (request epoch), ${b.baseSequence} (seq. number), ${currentEpoch} (current producer epoch)`,
        );
      }
    } else {
      const last = e?.batches[e.batches.length - 1];
      const currentLastSeq = last?.lastSeq ?? -1;
      if (!inSequence(currentLastSeq, b.baseSequence)) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Out of order sequence number for producer ${b.producerId} in partition ${name}: ${b.baseSequence} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
        );
      }
    }
  }
  if (e !== undefined && e.currentTxnFirstOffset >= 0 && !b.isTransactional) {
    throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `Expected transactional write from producer ${b.producerId} in partition ${name}`);
  }
}

/** Checks a COMMIT/ABORT marker of producer entry `e` (if known) in partition `name`. Throws KafkaError. */
export function checkMarker(e: ProducerEntry | undefined, producerId: bigint, producerEpoch: number, coordinatorEpoch: number, name: string): void {
  if (e === undefined) return;
  if (producerEpoch < e.producerEpoch) {
    throw new KafkaError(
      ErrorCode.INVALID_PRODUCER_EPOCH,
      `Epoch of producer ${producerId} in ${name} is ${producerEpoch}, which is smaller than the last seen epoch ${e.producerEpoch}`,
    );
  }
  if (coordinatorEpoch < e.coordinatorEpoch) {
    throw new KafkaError(
      ErrorCode.TRANSACTION_COORDINATOR_FENCED,
      `Invalid coordinator epoch for producerId ${producerId} in partition ${name}: ${coordinatorEpoch} (zombie), ${e.coordinatorEpoch} (current)`,
    );
  }
}
