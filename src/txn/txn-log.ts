/**
 * Records of `__transaction_state`, in Kafka's formats: key = int16 version (0) + TransactionLogKey;
 * value = int16 version + TransactionLogValue, or null (a tombstone, when a transactional id
 * expires). Values are written as version 1 (flexible, with the previous producer id as a tagged
 * field), which Kafka 4 writes with transaction.version 1; versions 0 and 1 are read.
 * Transactions are placed like Kafka: `abs(javaStringHashCode(transactionalId)) % partitions`.
 */
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../protocol/generated/internal/transaction-log-key.js';
import { decodeTransactionLogValue, encodeTransactionLogValue } from '../protocol/generated/internal/transaction-log-value.js';
import { NO_PRODUCER_EPOCH, TxnState, type TxnMetadata } from './txn-metadata.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
export const TXN_LOG_KEY_VERSION = 0;
export const TXN_LOG_VALUE_VERSION = 1;

/** Java's String.hashCode over UTF-16 code units. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs (Integer.MIN_VALUE maps to 0). */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForTransactionalId(transactionalId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % numPartitions;
}

export function txnLogKey(transactionalId: string): Buffer {
  const w = new Writer(32 + transactionalId.length * 3);
  w.writeInt16(TXN_LOG_KEY_VERSION);
  encodeTransactionLogKey(w, { transactionalId }, TXN_LOG_KEY_VERSION);
  return w.toBuffer();
}

export function txnLogValue(m: TxnMetadata): Buffer {
  const w = new Writer(128);
  w.writeInt16(TXN_LOG_VALUE_VERSION);
  encodeTransactionLogValue(
    w,
    {
      producerId: m.producerId,
      previousProducerId: m.previousProducerId,
      producerEpoch: m.producerEpoch,
      transactionTimeoutMs: m.txnTimeoutMs,
      transactionStatus: m.state,
      // Kafka writes null partitions for Empty.
      transactionPartitions: m.state === TxnState.Empty ? null : [...m.partitions].map(([topic, parts]) => ({ topic, partitionIds: [...parts].sort((a, b) => a - b) })),
      transactionLastUpdateTimestampMs: BigInt(m.txnLastUpdateTimestamp),
      transactionStartTimestampMs: BigInt(m.txnStartTimestamp),
    },
    TXN_LOG_VALUE_VERSION,
  );
  return w.toBuffer();
}

export type DecodedTxnRecord = { transactionalId: string; value: TxnMetadata | null } | { transactionalId: null; keyVersion: number };

/** Decodes one `__transaction_state` record; unknown key versions are reported, not thrown. Throws on malformed data. */
export function decodeTxnLogRecord(key: Buffer, value: Buffer | null): DecodedTxnRecord {
  const kr = new Reader(key);
  const keyVersion = kr.readInt16();
  if (keyVersion !== 0) return { transactionalId: null, keyVersion };
  const { transactionalId } = decodeTransactionLogKey(kr, keyVersion);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const valueVersion = vr.readInt16();
  if (valueVersion < 0 || valueVersion > 1) throw new Error(`unknown transaction log value version ${valueVersion} for ${transactionalId}`);
  const v = decodeTransactionLogValue(vr, valueVersion);
  const partitions = new Map<string, Set<number>>();
  if (v.transactionStatus !== TxnState.Empty) {
    for (const p of v.transactionPartitions ?? []) {
      let s = partitions.get(p.topic);
      if (!s) partitions.set(p.topic, (s = new Set()));
      for (const id of p.partitionIds) s.add(id);
    }
  }
  return {
    transactionalId,
    value: {
      transactionalId,
      producerId: v.producerId,
      previousProducerId: v.previousProducerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      txnStartTimestamp: Number(v.transactionStartTimestampMs),
      txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
    },
  };
}

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** The `__consumer_offsets` partition of a group (same placement rule as transactional ids). */
export function offsetsPartitionFor(groupId: string, numPartitions: number): number {
  return partitionForTransactionalId(groupId, numPartitions);
}
