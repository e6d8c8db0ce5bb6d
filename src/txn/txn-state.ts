/**
 * The transaction coordinator's state (Kafka's TransactionStateManager's metadata cache) as a
 * coordinator shard: transactional id -> TxnMetadata, changed only by `replay` of
 * `__transaction_state` records, the committed ones the coordinator writes and those read from
 * the log when a partition loads (`load` replays it).
 *
 * Kafka's rule: the transaction log holds everything but the last producer epoch, which lives
 * only in memory (a loaded value has none). Samsa's written records carry it to their replay
 * (TxnLogRecord); records read back from the log do not.
 */
import type { Logger } from '../common/logger.js';
import type { InternalPartition } from '../coordinator/deps.js';
import type { CoordinatorRecord } from '../coordinator/runtime.js';
import { decodeRecordBatches } from '../protocol/records/record.js';
import type { ProducerIdManager } from './producer-id-manager.js';
import { TRANSACTION_STATE_TOPIC, decodeTxnLogRecord, txnLogKey, txnLogValue } from './txn-log.js';
import type { TxnMetadata } from './txn-metadata.js';

const LOAD_CHUNK_BYTES = 1 << 20;

/** A `__transaction_state` record written by the coordinator, with the epoch the log does not hold. */
interface TxnLogRecord extends CoordinatorRecord {
  readonly lastProducerEpoch: number;
}

function isTxnLogRecord(r: CoordinatorRecord): r is TxnLogRecord {
  return typeof (r as Partial<TxnLogRecord>).lastProducerEpoch === 'number';
}

/** The record of `next`, or the tombstone of `transactionalId` when `next` is null. */
export function txnRecord(transactionalId: string, next: TxnMetadata | null): CoordinatorRecord {
  const key = txnLogKey(transactionalId);
  if (next === null) return { key, value: null };
  const record: TxnLogRecord = { key, value: txnLogValue(next), lastProducerEpoch: next.lastProducerEpoch };
  return record;
}

export class TxnStateShard {
  private readonly txns = new Map<string, TxnMetadata>();

  constructor(
    private readonly producerIds: ProducerIdManager,
    private readonly logger: Logger,
  ) {}

  get(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  get size(): number {
    return this.txns.size;
  }

  values(): TxnMetadata[] {
    return [...this.txns.values()];
  }

  clear(): void {
    this.txns.clear();
  }

  /** Forgets one id (its partition was unloaded); not a state change of the id. */
  delete(transactionalId: string): void {
    this.txns.delete(transactionalId);
  }

  /** The only way the state changes. Throws on a malformed record. */
  replay(record: CoordinatorRecord): void {
    const d = decodeTxnLogRecord(record.key, record.value);
    if (d.transactionalId === null) return;
    if (d.value === null) {
      this.txns.delete(d.transactionalId);
      return;
    }
    const m = isTxnLogRecord(record) ? { ...d.value, lastProducerEpoch: record.lastProducerEpoch } : d.value;
    this.txns.set(d.transactionalId, m);
    // Ids found in the log are never handed out again.
    this.producerIds.ensureAbove(m.producerId);
    if (m.previousProducerId >= 0n) this.producerIds.ensureAbove(m.previousProducerId);
  }

  /** Replays partition `p` of `__transaction_state` from its start; malformed records are skipped with a log line. Returns the number of records. */
  load(p: InternalPartition): number {
    let records = 0;
    let offset = p.logStartOffset;
    const end = p.logEndOffset;
    while (offset < end) {
      const buf = p.read(offset, LOAD_CHUNK_BYTES, end);
      if (buf.length === 0) break;
      for (const b of decodeRecordBatches(buf)) {
        offset = Number(b.baseOffset) + b.lastOffsetDelta + 1;
        if (b.isControl) continue;
        for (const r of b.records) {
          if (r.key === null) continue;
          records++;
          try {
            this.replay({ key: r.key, value: r.value });
          } catch (e) {
            this.logger.error(`skipping a malformed record at offset ${r.offset} of ${TRANSACTION_STATE_TOPIC}-${p.index}`, e);
          }
        }
      }
    }
    return records;
  }
}
