/**
 * The coordinator's view of one transactional id (Kafka's TransactionMetadata): its producer id
 * and epoch, timeout, state and the partitions of the open transaction. Values are immutable:
 * a transition builds the next value, which replaces the current one only when its record is
 * committed to `__transaction_state` and replayed.
 */

/** Kafka's TransactionState, with the ids stored in the transaction log. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

const STATE_NAMES: readonly string[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export function txnStateName(s: number): string {
  return STATE_NAMES[s] ?? `Unknown(${s})`;
}

export function txnStateByName(name: string): TxnState | undefined {
  const i = STATE_NAMES.indexOf(name);
  return i < 0 ? undefined : (i as TxnState);
}

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const MAX_PRODUCER_EPOCH = 32767;

/** Kafka's TransactionMetadata.isEpochExhausted: epochs at or above Short.MaxValue - 1 need a new producer id. */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  readonly producerId: bigint;
  /** The producer id before the last rotation (epoch exhaustion), else -1. */
  readonly previousProducerId: bigint;
  readonly producerEpoch: number;
  /** The epoch before the last bump (for retried InitProducerId), else -1. Not persisted. */
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TxnState;
  /** topic -> partitions of the open (or completing) transaction. */
  readonly partitions: ReadonlyMap<string, ReadonlySet<number>>;
  /** When the open transaction started (-1 when none). */
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

export function partitionCount(m: TxnMetadata): number {
  let n = 0;
  for (const s of m.partitions.values()) n += s.size;
  return n;
}

export function hasPartition(m: TxnMetadata, topic: string, partition: number): boolean {
  return m.partitions.get(topic)?.has(partition) ?? false;
}

export function withPartitions(m: TxnMetadata, added: readonly { topic: string; partition: number }[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [t, s] of m.partitions) out.set(t, new Set(s));
  for (const { topic, partition } of added) {
    let s = out.get(topic);
    if (!s) out.set(topic, (s = new Set()));
    s.add(partition);
  }
  return out;
}

export function isComplete(s: TxnState): boolean {
  return s === TxnState.Empty || s === TxnState.CompleteCommit || s === TxnState.CompleteAbort;
}

/** PrepareCommit or PrepareAbort: the markers (then Complete*) are still to be written. */
export function isPrepare(s: TxnState): boolean {
  return s === TxnState.PrepareCommit || s === TxnState.PrepareAbort;
}

/** The partitions of a state with no open transaction. */
export const NO_PARTITIONS: ReadonlyMap<string, ReadonlySet<number>> = new Map();

/** A transactional id's state before its first InitProducerId completes: Empty, a new producer id, no epoch yet. */
export function emptyTransaction(transactionalId: string, producerId: bigint, txnTimeoutMs: number, now: number): TxnMetadata {
  return {
    transactionalId,
    producerId,
    previousProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state: TxnState.Empty,
    partitions: NO_PARTITIONS,
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  };
}
