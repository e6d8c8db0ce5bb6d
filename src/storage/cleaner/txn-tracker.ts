/**
 * Transaction bookkeeping while the cleaner walks a log in offset order (Kafka's
 * CleanedTransactionMetadata): which data batches belong to aborted transactions (dropped), and
 * when a COMMIT/ABORT marker may go (once no batch of its transaction is left; the marker then
 * lingers for delete.retention.ms like a tombstone).
 */

/** An aborted transaction: data from `firstOffset` up to its ABORT marker at `lastOffset`. */
export interface AbortedRange {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
}

export const ControlType = { ABORT: 0, COMMIT: 1 } as const;

export class TxnTracker {
  private readonly aborted: AbortedRange[];
  private next = 0;
  /** Producers inside an aborted transaction → whether a data batch of it was seen in this pass. */
  private readonly ongoingAborted = new Map<bigint, boolean>();
  /** Producers inside a (to be) committed transaction with retained data. */
  private readonly ongoingCommitted = new Set<bigint>();

  constructor(aborted: readonly AbortedRange[]) {
    this.aborted = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private consumeUpTo(offset: number): void {
    while (this.next < this.aborted.length && (this.aborted[this.next] as AbortedRange).firstOffset <= offset) {
      this.ongoingAborted.set((this.aborted[this.next] as AbortedRange).producerId, false);
      this.next++;
    }
  }

  /** A transactional data batch: true when it belongs to an aborted transaction (drop its records). */
  isAbortedData(producerId: bigint, lastOffset: number): boolean {
    this.consumeUpTo(lastOffset);
    if (this.ongoingAborted.has(producerId)) {
      this.ongoingAborted.set(producerId, true);
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /**
   * A control batch (COMMIT/ABORT marker): true when the marker is no longer needed by any data
   * batch, so it may be removed once its delete horizon has passed.
   */
  onControlBatch(producerId: bigint, type: number, lastOffset: number): boolean {
    this.consumeUpTo(lastOffset);
    if (type === ControlType.ABORT) {
      const sawData = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      // As Kafka: the marker stays while this pass still saw (and dropped) data of the transaction,
      // since that data may sit in another segment group whose swap has not happened yet.
      return sawData !== true;
    }
    if (type === ControlType.COMMIT) return !this.ongoingCommitted.delete(producerId);
    return false;
  }
}
