/**
 * Writing COMMIT/ABORT markers into data partitions (and `__consumer_offsets`), shared by the
 * transaction coordinator and the WriteTxnMarkers handler. Listeners hear about every marker
 * written, once it is committed (at once on a single node), so the group coordinator can complete
 * transactional offset commits.
 *
 * In a cluster (Kafka's TransactionMarkerChannelManager), `deliver` writes a marker where the
 * partition's leader is: appended here when this broker leads it, else sent to the leader as a
 * WriteTxnMarkers request (MarkerRouting, implemented by the broker), retried after a backoff
 * until the leader acknowledges it committed, the partition is gone, or the coordinator that
 * sends it is no longer the transaction's coordinator.
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

/** Where markers go in a cluster; the broker implements it over its metadata image and connections. */
export interface MarkerRouting {
  /** The partition's leader: 'local', another broker's id, -1 while it has none, null when the partition does not exist. */
  leaderOf(topic: string, partition: number): 'local' | number | null;
  /** Sends WriteTxnMarkers for one partition to `brokerId`; resolves with the partition's error code, rejects when the broker cannot be reached. */
  send(brokerId: number, topic: string, partition: number, marker: TxnMarker): Promise<number>;
  /** Resolves after the retry backoff. */
  backoff(): Promise<void>;
}

/** Errors after which a marker is sent again (the leader moves, is not there yet, or its ISR is short). */
const RETRIABLE: ReadonlySet<number> = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

/** Told after a marker is committed in a partition's log. */
export type MarkerListener = (topic: string, partition: number, marker: TxnMarker, offset: number) => void;

export class MarkerWriter {
  private readonly listeners = new Set<MarkerListener>();

  constructor(
    private readonly writer: PartitionWriter,
    private readonly now: () => number,
    private readonly logger: Logger,
    /** Null on a single node: every partition is led here. */
    readonly routing: MarkerRouting | null = null,
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
    const r = this.appendChecked(topic, partition, marker);
    return { code: r.code, committed: r.committed === null ? null : r.committed.then(() => undefined) };
  }

  /** Appends the marker; answers its error code once it is committed (WriteTxnMarkers answers then, as Kafka's acks=-1 append does). */
  writeCommitted(topic: string, partition: number, marker: TxnMarker): number | Promise<number> {
    const r = this.appendChecked(topic, partition, marker);
    return r.committed ?? r.code;
  }

  /**
   * Writes the marker where the partition's leader is, again after each retriable error, until
   * it is committed there (NONE), fails for good (its code; UNKNOWN_TOPIC_OR_PARTITION when the
   * partition no longer exists) or `valid()` turns false (NOT_COORDINATOR). Needs `routing`.
   */
  async deliver(topic: string, partition: number, marker: TxnMarker, valid: () => boolean): Promise<number> {
    const routing = this.routing;
    if (routing === null) return this.writeCommitted(topic, partition, marker);
    for (;;) {
      if (!valid()) return ErrorCode.NOT_COORDINATOR;
      const leader = routing.leaderOf(topic, partition);
      if (leader === null) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      let code: number;
      if (leader === 'local') code = await this.writeCommitted(topic, partition, marker);
      else if (leader < 0) code = ErrorCode.LEADER_NOT_AVAILABLE;
      else code = await routing.send(leader, topic, partition, marker).catch(() => ErrorCode.NETWORK_EXCEPTION);
      if (!RETRIABLE.has(code)) return code;
      await routing.backoff();
    }
  }

  /** The append; `committed` (when not immediate) resolves with NONE once committed, or the KafkaError code of the failed commit. */
  private appendChecked(topic: string, partition: number, marker: TxnMarker): { code: number; committed: Promise<number> | null } {
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
    const committed = appended.committed.then(
      () => {
        notify();
        return ErrorCode.NONE;
      },
      (e: unknown) => {
        this.logger.warn(`the ${marker.commit ? 'COMMIT' : 'ABORT'} marker for producer ${marker.producerId} in ${topic}-${partition} was not committed: ${e instanceof Error ? e.message : String(e)}`);
        return e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
      },
    );
    return { code: ErrorCode.NONE, committed };
  }
}
