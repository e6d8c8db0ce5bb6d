/**
 * Completing a transaction once its Prepare* record is committed (Kafka's
 * TransactionMarkerChannelManager and the completion in TransactionStateManager): a COMMIT or ABORT
 * marker goes into every partition of the transaction, and once every marker is committed the
 * CompleteCommit / CompleteAbort record is written. On a single node the markers are appended
 * locally (markers.ts `append`); in a cluster each is delivered to its partition's leader
 * (WriteTxnMarkers, markers.ts `deliver`), retried until acknowledged, and Complete* is written
 * only while this broker still coordinates the id with the same coordinator epoch (otherwise its
 * new coordinator completes the transaction when it loads it).
 *
 * Samsa's deviation (as coordinator.ts says): a marker that fails to append (the partition was
 * deleted, a newer epoch is there) is skipped with a log line instead of being retried forever;
 * a failed Complete* write is retried by the coordinator's maintenance.
 */
import { ErrorCode } from '../common/error-codes.js';
import type { Logger } from '../common/logger.js';
import type { MaybePromise } from '../coordinator/maybe-async.js';
import type { MarkerWriter, TxnMarker } from './markers.js';
import { NO_PARTITIONS, TxnState, type TxnMetadata } from './txn-metadata.js';

/** What the completion uses of the transaction coordinator. */
export interface TxnCompletionHost {
  readonly markers: MarkerWriter;
  readonly logger: Logger;
  now(): number;
  /** The leader epoch of the id's `__transaction_state` partition (the markers' coordinator epoch). */
  coordinatorEpoch(transactionalId: string): number;
  /** Whether this broker still coordinates the id with `coordinatorEpoch` (its partition taken now). */
  stillCoordinates(transactionalId: string, coordinatorEpoch: number): () => boolean;
  /** Writes the record of `next` (txn-state-writer.ts `write`). */
  write(transactionalId: string, next: TxnMetadata): MaybePromise<TxnMetadata | undefined>;
}

/**
 * Writes the markers of a (committed) Prepare* transaction and, once they are committed, its
 * Complete* record; `done` is called when that record is committed or failed (synchronously
 * when every commit is immediate). A marker that fails is skipped with a log line.
 */
export function completeTransaction(host: TxnCompletionHost, m: TxnMetadata, done: () => void): void {
  const commit = m.state === TxnState.PrepareCommit;
  const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: host.coordinatorEpoch(m.transactionalId), commit };
  if (host.markers.routing !== null) {
    completeRouted(host, m, marker, done);
    return;
  }
  const waiting: Promise<void>[] = [];
  for (const [topic, parts] of m.partitions) {
    for (const partition of parts) {
      const r = host.markers.append(topic, partition, marker);
      if (r.committed !== null) waiting.push(r.committed);
      if (r.code !== ErrorCode.NONE && r.code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        host.logger.warn(`could not write the ${commit ? 'COMMIT' : 'ABORT'} marker of ${m.transactionalId} (producer ${m.producerId}, epoch ${m.producerEpoch}) to ${topic}-${partition}: error ${r.code}`);
      }
    }
  }
  if (waiting.length === 0) writeComplete(host, m, commit, done);
  else void Promise.allSettled(waiting).then(() => writeComplete(host, m, commit, done));
}

/** Writes CompleteCommit/CompleteAbort once the markers are in; `done` either way (a failure is retried later). */
function writeComplete(host: TxnCompletionHost, m: TxnMetadata, commit: boolean, done: () => void): void {
  const next = { ...m, state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: NO_PARTITIONS, txnLastUpdateTimestamp: host.now() };
  const failed = (e: unknown): void => {
    host.logger.error(`could not complete the transaction of ${m.transactionalId}; will retry`, e);
    done();
  };
  try {
    const written = host.write(m.transactionalId, next);
    if (written instanceof Promise) written.then(done, failed);
    else done();
  } catch (e) {
    failed(e);
  }
}

/**
 * `completeTransaction` in a cluster: each marker is delivered to its partition's leader (retried
 * until acknowledged), then Complete* is written, unless this broker stopped coordinating the id
 * meanwhile (its new coordinator completes the transaction when it loads it).
 */
function completeRouted(host: TxnCompletionHost, m: TxnMetadata, marker: TxnMarker, done: () => void): void {
  const commit = marker.commit;
  const valid = host.stillCoordinates(m.transactionalId, marker.coordinatorEpoch);
  const sends: Promise<void>[] = [];
  for (const [topic, parts] of m.partitions) {
    for (const partition of parts) {
      sends.push(
        host.markers.deliver(topic, partition, marker, valid).then((code) => {
          if (code !== ErrorCode.NONE && code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && code !== ErrorCode.NOT_COORDINATOR) {
            host.logger.warn(`could not write the ${commit ? 'COMMIT' : 'ABORT'} marker of ${m.transactionalId} (producer ${m.producerId}, epoch ${m.producerEpoch}) to ${topic}-${partition}: error ${code}`);
          }
        }),
      );
    }
  }
  void Promise.all(sends).then(() => {
    if (!valid()) {
      done();
      return;
    }
    writeComplete(host, m, commit, done);
  });
}
