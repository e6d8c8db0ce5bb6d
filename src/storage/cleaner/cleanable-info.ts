/**
 * How dirty a compacted log is (Kafka's LogCleanerManager.cleanableOffsets and dirty ratio): the
 * dirty range starts at the cleaner checkpoint (or the log start when the checkpoint is missing or
 * out of range) and ends before the active segment, the high watermark, the last stable offset and
 * the first segment newer than min.compaction.lag.ms. A log must be cleaned regardless of its
 * ratio when max.compaction.lag.ms passed for its first dirty segment or a pending tombstone /
 * marker delete horizon is due.
 */
import { defaultCompactionConfig } from '../log-config.js';
import type { PartitionLog } from '../partition-log.js';
import type { Segment } from '../segment.js';

const LONG_MAX = Number.MAX_SAFE_INTEGER;

export interface CleanableInfo {
  firstDirty: number;
  /** End (exclusive) of the cleanable range: the base offset of the first segment not to clean. */
  dirtyEnd: number;
  cleanBytes: number;
  dirtyBytes: number;
  ratio: number;
  /** max.compaction.lag.ms passed or a delete horizon is due: clean regardless of the ratio. */
  mustClean: boolean;
}

/**
 * Cleaning state of a compacted log (null when it is not compacted or has nothing cleanable).
 * `cp` is its cleaner checkpoint, `horizon` the earliest delete horizon pending in its cleaned part.
 */
export function cleanableInfo(plog: PartitionLog, now: number, cp: number | undefined, horizon: number | undefined): CleanableInfo | null {
  const cfg = plog.config;
  if (plog.isClosed || cfg.cleanupPolicy?.compact !== true) return null;
  const segs = plog.segmentList;
  if (segs.length < 2) return null;
  const logStart = plog.logStartOffset;
  const firstDirty = cp === undefined || cp < logStart || cp > plog.logEndOffset ? logStart : cp;
  const hooks = plog.cleanerHooks;
  const upper = Math.min((segs[segs.length - 1] as Segment).baseOffset, plog.highWatermark, hooks !== undefined ? hooks.stableOffset() : LONG_MAX);
  const minLag = cfg.minCompactionLagMs ?? defaultCompactionConfig.minCompactionLagMs;
  const maxLag = cfg.maxCompactionLagMs ?? defaultCompactionConfig.maxCompactionLagMs;
  let cleanBytes = 0;
  let dirtyBytes = 0;
  let dirtyEnd = (segs[0] as Segment).baseOffset;
  let firstDirtyTimestamp = -1;
  for (let i = 0; i + 1 < segs.length; i++) {
    const s = segs[i] as Segment;
    const next = segs[i + 1] as Segment;
    if (next.baseOffset > upper) break;
    if (next.baseOffset <= firstDirty) {
      cleanBytes += s.size;
      dirtyEnd = next.baseOffset;
      continue;
    }
    if (minLag > 0 && s.largestTimestamp() > now - minLag) break;
    if (firstDirtyTimestamp < 0) firstDirtyTimestamp = s.rollingBasedTimestamp();
    dirtyBytes += s.size;
    dirtyEnd = next.baseOffset;
  }
  const total = cleanBytes + dirtyBytes;
  const ratio = total > 0 ? dirtyBytes / total : 0;
  const lagPassed = dirtyBytes > 0 && maxLag < LONG_MAX && firstDirtyTimestamp >= 0 && now - firstDirtyTimestamp > maxLag;
  const horizonDue = horizon !== undefined && horizon <= now && cleanBytes > 0;
  return { firstDirty, dirtyEnd, cleanBytes, dirtyBytes, ratio, mustClean: lagPassed || horizonDue };
}
