/**
 * Log recovery after an unclean shutdown: every segment from the one holding the recovery point
 * on is rescanned with CRC validation, its indexes rebuilt, and the log truncated at the first torn
 * or corrupt batch (a partial batch, a zero-filled tail, a bad CRC); all later segments are dropped.
 * Every truncation is logged (WARN, one line per partition): partition, the offsets cut (from the
 * new log end offset to the last offset the cut data claimed, when readable) and the bytes.
 */
import { basename, dirname } from 'node:path';
import { CorruptRecordError } from '../common/errors.js';
import { log as processLog, type Logger } from '../common/logger.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { isOutOfSpace, type Segment } from './segment.js';

export interface RecoveryResult {
  /** Segments rescanned. */
  recovered: number;
  /** Bytes cut from the log. */
  truncatedBytes: number;
  /** Segments removed from the list (after a corruption); the caller deletes their files. */
  removed: Segment[];
}

/** Index of the last segment whose base offset is <= offset (0 if none). */
export function floorSegmentIndex(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((segments[mid] as Segment).baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Recovers `segments` (sorted, mutated in place) from the one containing `recoveryPoint`.
 * Leader epochs found in recovered batches are (re)assigned to `epochs`.
 */
export function recoverSegments(segments: Segment[], recoveryPoint: number, epochs: LeaderEpochCache | undefined, logger: Logger = processLog): RecoveryResult {
  const result: RecoveryResult = { recovered: 0, truncatedBytes: 0, removed: [] };
  const onBatch =
    epochs === undefined
      ? undefined
      : (epoch: number, baseOffset: number): void => {
          if (epoch >= 0 && epoch > epochs.latestEpoch()) epochs.assign(epoch, baseOffset);
        };
  for (let i = floorSegmentIndex(segments, recoveryPoint); i < segments.length; i++) {
    const seg = segments[i] as Segment;
    const next = segments[i + 1];
    const truncated = seg.recover(true, next === undefined ? Number.MAX_SAFE_INTEGER : next.baseOffset, onBatch);
    result.recovered++;
    if (truncated > 0) {
      result.truncatedBytes += truncated;
      result.removed = segments.splice(i + 1);
      logTruncation(seg, truncated, result.removed, logger);
      break;
    }
  }
  return result;
}

/**
 * Makes `seg` (the last of `segments`) the active segment; if its indexes or tail are not
 * trustworthy it is recovered first (CRC scan, index rebuild, tail truncation).
 */
export function activateOrRecover(segments: Segment[], seg: Segment, epochs: LeaderEpochCache | undefined, logger: Logger = processLog): boolean {
  if (seg.activate()) return false;
  const result = recoverSegments(segments, seg.baseOffset, epochs, logger);
  for (const s of result.removed) s.deleteNow();
  if (!seg.activate()) throw new CorruptRecordError(`cannot recover ${seg.logFilePath}`);
  try {
    seg.flushSync();
  } catch (e) {
    // On a full disk the broker still starts: the recovered tail is rescanned at the next unclean start.
    if (!isOutOfSpace(e)) throw e;
    logger.warn(`cannot make the recovered segment ${seg.logFilePath} durable (disk full); it is recovered again after an unclean shutdown`);
  }
  return true;
}

function logTruncation(seg: Segment, truncated: number, removed: readonly Segment[], logger: Logger): void {
  let bytes = truncated;
  for (const s of removed) bytes += s.size;
  const claimed = seg.lastTruncatedLastOffset;
  const lastRemovedBase = removed.length > 0 ? (removed[removed.length - 1] as Segment).baseOffset : null;
  const to = Math.max(claimed ?? -1, lastRemovedBase ?? -1);
  const range = to >= seg.nextOffset ? `offsets ${seg.nextOffset} to ${to}${removed.length > 0 ? ' or later' : ''}` : `from offset ${seg.nextOffset} (the cut data had no readable offsets)`;
  logger.warn(
    `Recovery truncated partition ${basename(dirname(seg.logFilePath))}: removed ${range}, ${bytes} bytes ` +
      `(${truncated} at position ${seg.size} of ${basename(seg.logFilePath)}${removed.length > 0 ? ` and ${removed.length} later segments` : ''}); log end offset is now ${seg.nextOffset}`,
  );
}
