/**
 * What a partition remembers of one producer (Kafka's ProducerStateEntry): its epoch, the
 * coordinator epoch of its last marker, the metadata of its last batches (duplicate detection and
 * sequence checks) and the first offset of its open transaction; plus the header fields of a
 * produced batch the checks read and a completed transaction. Sequences wrap at Int32.MAX_VALUE
 * to 0, as Kafka's DefaultRecordBatch does.
 */

export const INT32_MAX = 0x7fffffff;

/** What the producer checks need from a produce request's batch (its header fields). */
export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
  isTransactional: boolean;
}

export interface BatchMetadata {
  lastSeq: number;
  lastOffset: number;
  /** lastOffset - firstOffset (= lastSeq - firstSeq). */
  offsetDelta: number;
  timestamp: number;
}

export interface ProducerEntry {
  readonly producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  lastTimestamp: number;
  /** First offset of the producer's open transaction in this partition, -1 when none. */
  currentTxnFirstOffset: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
}

export interface CompletedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  isAborted: boolean;
}

/** Kafka's DefaultRecordBatch.decrementSequence. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

