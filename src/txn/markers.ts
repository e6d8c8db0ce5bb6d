/**
 * Writing COMMIT/ABORT markers into data partitions (and `__consumer_offsets`), shared by the
 * transaction coordinator and the WriteTxnMarkers handler. Listeners hear about every marker
 * written, once it is committed (at once on a single node), so the group coordinator can complete
 * transactional offset commits.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { CoordinatorAppend, PartitionWriter } from '../coordinator/deps.js';
import { encodeControlBatch } from '../protocol/records/control-record.js';

export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

/** Told after a marker is committed in a partition's log. */
export type MarkerListener = (topic: string, partition: number, marker: TxnMarker, offset: number) => void;

export class MarkerWriter {
  private readonly listeners = new Set<MarkerListener>();

  constructor(
    private readonly writer: PartitionWriter,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  onMarker(l: MarkerListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Appends the marker; returns the partition's error code (UNKNOWN_TOPIC_OR_PARTITION when it is gone). */
  write(topic: string, partition: number, marker: TxnMarker): number {
    return this.append(topic, partition, marker).code;
  }

  /**
   * Appends the marker; returns the partition's error code and, when it was appended but is not
   * committed yet, a promise that settles once it is (rejections are logged here).
   */
  append(topic: string, partition: number, marker: TxnMarker): { code: number; committed: Promise<void> | null } {
    const batch = encodeControlBatch({
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      timestamp: BigInt(this.now()),
      type: marker.commit ? 'COMMIT' : 'ABORT',
      coordinatorEpoch: marker.coordinatorEpoch,
    });
    let appended: CoordinatorAppend;
    try {
      appended = this.writer.append(topic, partition, batch);
    } catch (e) {
      if (e instanceof KafkaError) return { code: e.code, committed: null };
      this.logger.error(`writing a ${marker.commit ? 'COMMIT' : 'ABORT'} marker for producer ${marker.producerId} to ${topic}-${partition} failed`, e);
      return { code: ErrorCode.UNKNOWN_SERVER_ERROR, committed: null };
    }
    const offset = appended.firstOffset;
    const notify = (): void => {
      for (const l of this.listeners) {
        try {
          l(topic, partition, marker, offset);
        } catch (e) {
          this.logger.error(`transaction marker listener failed for ${topic}-${partition}`, e);
        }
      }
    };
    if (appended.committed === null) {
      notify();
      return { code: ErrorCode.NONE, committed: null };
    }
    const committed = appended.committed.then(notify, (e: unknown) => this.logger.error(`the ${marker.commit ? 'COMMIT' : 'ABORT'} marker for producer ${marker.producerId} in ${topic}-${partition} was not committed`, e));
    return { code: ErrorCode.NONE, committed };
  }
}
