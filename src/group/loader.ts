/**
 * Replays one `__consumer_offsets` partition into group state when the coordinator starts:
 * offset commits and tombstones, group metadata and group tombstones, in log order. Records of
 * a transaction are held until its commit marker (and dropped on abort); those of transactions
 * still open at the end are handed back (they become pending transactional offsets). Reads in bounded slices
 * so a large partition does not block the event loop; the caller answers
 * COORDINATOR_LOAD_IN_PROGRESS for its groups meanwhile.
 */
import type { Logger } from '../common/logger.js';
import { decodeRecordBatches, type KafkaRecord } from '../protocol/records/record.js';
import type { InternalPartition } from '../coordinator/deps.js';
import { decodeCoordinatorRecord, type DecodedCoordinatorRecord } from './records.js';

const SLICE_BYTES = 4 * 1024 * 1024;
const CONTROL_COMMIT = 1;

export interface ReplayTarget {
  replay(record: DecodedCoordinatorRecord): void;
}

export interface LoadStats {
  records: number;
  bytes: number;
  ms: number;
  /** Records of transactions still open at the log end, by producer id (their marker is yet to come). */
  openTransactions: Map<bigint, DecodedCoordinatorRecord[]>;
}

function decodeRecord(r: KafkaRecord, logger: Logger): DecodedCoordinatorRecord | null {
  if (r.key === null) return null;
  try {
    return decodeCoordinatorRecord(r.key, r.value);
  } catch (e) {
    logger.warn(`skipping undecodable record at offset ${r.offset} of __consumer_offsets: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

/**
 * Loads `partition` into `target`, calling `done` when the log end (as of the start) is reached.
 * Runs the first slice synchronously, so a small partition is loaded before this returns.
 */
export function loadPartition(partition: InternalPartition, target: ReplayTarget, done: (err: Error | null, stats: LoadStats) => void, isCancelled: () => boolean, logger: Logger): void {
  const started = performance.now();
  // Up to the log end as it moves: a marker appended while loading is replayed here too.
  let end = partition.logEndOffset;
  let offset = partition.logStartOffset;
  const pendingTxn = new Map<bigint, DecodedCoordinatorRecord[]>();
  const stats: LoadStats = { records: 0, bytes: 0, ms: 0, openTransactions: pendingTxn };
  let exhausted = false;
  const step = (): void => {
    try {
      let budget = SLICE_BYTES;
      while (offset < end && budget > 0) {
        if (isCancelled()) return;
        const buf = partition.read(offset, 1024 * 1024, end);
        if (buf.length === 0) {
          exhausted = true;
          break;
        }
        budget -= buf.length;
        stats.bytes += buf.length;
        for (const batch of decodeRecordBatches(buf)) {
          const next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
          if (next <= offset) continue;
          if (batch.isControl) {
            const pending = pendingTxn.get(batch.producerId);
            pendingTxn.delete(batch.producerId);
            const marker = batch.records[0]?.key;
            if (pending && marker && marker.length >= 4 && marker.readInt16BE(2) === CONTROL_COMMIT) for (const d of pending) target.replay(d);
          } else {
            for (const r of batch.records) {
              if (Number(r.offset) < offset) continue;
              const d = decodeRecord(r, logger);
              if (!d) continue;
              stats.records++;
              if (batch.isTransactional) {
                let list = pendingTxn.get(batch.producerId);
                if (!list) pendingTxn.set(batch.producerId, (list = []));
                list.push(d);
              } else {
                target.replay(d);
              }
            }
          }
          offset = Math.max(offset, next);
        }
      }
    } catch (e) {
      stats.ms = performance.now() - started;
      done(e instanceof Error ? e : new Error(String(e)), stats);
      return;
    }
    end = Math.max(end, partition.logEndOffset);
    if (offset < end && !exhausted && !isCancelled()) {
      setImmediate(step);
      return;
    }
    stats.ms = performance.now() - started;
    done(null, stats);
  };
  step();
}
