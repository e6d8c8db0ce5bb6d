/**
 * Retention planning (Kafka's deleteRetentionMsBreachedSegments / deleteRetentionSizeBreachedSegments
 * / deleteLogStartOffsetBreachedSegments): how many of the oldest segments may go. Only whole,
 * non-active segments entirely below the high watermark are ever deleted.
 */
import type { LogConfig } from './log-config.js';
import type { Segment } from './segment.js';

export interface RetentionInput {
  segments: readonly Segment[];
  config: LogConfig;
  now: number;
  highWatermark: number;
  logStartOffset: number;
  /** Sum of all segment sizes. */
  totalSize: number;
}

export interface RetentionPlan {
  /** Number of leading segments to delete. */
  count: number;
  byTime: number;
  bySize: number;
  byStartOffset: number;
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { segments, config, now, highWatermark, logStartOffset } = input;
  let k = 0;

  /** Segment k may be deleted at all: it has a successor and lies entirely below the HW. */
  const deletable = (i: number): boolean => {
    const next = segments[i + 1];
    return next !== undefined && next.baseOffset <= highWatermark;
  };

  let byTime = 0;
  if (config.retentionMs >= 0) {
    while (deletable(k) && now - (segments[k] as Segment).largestTimestamp() > config.retentionMs) {
      k++;
      byTime++;
    }
  }

  let bySize = 0;
  if (config.retentionBytes >= 0) {
    let size = input.totalSize;
    for (let i = 0; i < k; i++) size -= (segments[i] as Segment).size;
    let diff = size - config.retentionBytes;
    while (deletable(k) && diff - (segments[k] as Segment).size >= 0) {
      diff -= (segments[k] as Segment).size;
      k++;
      bySize++;
    }
  }

  let byStartOffset = 0;
  while (deletable(k) && (segments[k + 1] as Segment).baseOffset <= logStartOffset) {
    k++;
    byStartOffset++;
  }

  return { count: k, byTime, bySize, byStartOffset };
}
