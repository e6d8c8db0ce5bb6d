/**
 * InitProducerId's producer id and epoch rules (Kafka's TransactionMetadata
 * prepareIncrementProducerEpoch / prepareProducerIdRotation and TransactionCoordinator
 * isValidProducerId): the epoch is bumped on each InitProducerId; an exhausted epoch rotates to a
 * new producer id with epoch 0; a producer that retries with the previous epoch (KIP-360) gets the
 * same answer again; any other expected epoch is fenced (PRODUCER_FENCED). Samsa deviates in
 * nothing here (transaction version 2, the epoch bump per transaction, is not offered).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { ProducerIdAndEpoch } from './txn-coordinator-deps.js';
import { NO_PARTITIONS, NO_PRODUCER_EPOCH, TxnState, isEpochExhausted, type TxnMetadata } from './txn-metadata.js';

/** The Empty state InitProducerId moves `m` to, at `now`; `newProducerId` only when the epoch is exhausted. */
export function nextProducerEpoch(m: TxnMetadata, txnTimeoutMs: number, expected: ProducerIdAndEpoch | null, now: number, newProducerId: () => bigint): TxnMetadata {
  const base = { ...m, txnTimeoutMs, state: TxnState.Empty, partitions: NO_PARTITIONS, txnStartTimestamp: -1, txnLastUpdateTimestamp: now };
  if (isEpochExhausted(m.producerEpoch) && (expected === null || expected.producerEpoch === m.producerEpoch)) {
    return { ...base, producerId: newProducerId(), previousProducerId: m.producerId, producerEpoch: 0, lastProducerEpoch: expected !== null ? m.producerEpoch : NO_PRODUCER_EPOCH };
  }
  if (isEpochExhausted(m.producerEpoch)) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `Producer epoch ${expected?.producerEpoch} is fenced`);
  if (expected === null) return { ...base, producerEpoch: m.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH };
  if (m.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === m.producerEpoch) {
    return { ...base, producerEpoch: m.producerEpoch + 1, lastProducerEpoch: m.producerEpoch };
  }
  if (expected.producerEpoch === m.lastProducerEpoch) return { ...base, producerEpoch: m.producerEpoch, lastProducerEpoch: m.lastProducerEpoch };
  throw new KafkaError(ErrorCode.PRODUCER_FENCED, `Expected producer epoch ${expected.producerEpoch} does not match the current epoch ${m.producerEpoch} or the previous epoch ${m.lastProducerEpoch}`);
}

/** Kafka's isValidProducerId for InitProducerId with an expected producer id and epoch. */
export function isValidProducerId(m: TxnMetadata, expected: ProducerIdAndEpoch): boolean {
  return (
    m.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === m.producerId ||
    (expected.producerId === m.previousProducerId && isEpochExhausted(expected.producerEpoch))
  );
}
