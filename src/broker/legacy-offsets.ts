/**
 * ListOffsets v0 (ZooKeeper-era clients: sarama below 0.10.1, kafka-python 0.8/0.9 modes), as
 * Kafka 3.x answered it from the log (UnifiedLog.legacyFetchOffsetsBefore): the candidates are
 * every segment's base offset (at least the log start offset) paired with the segment file's
 * last-modified time, plus the log end offset paired with now when the active segment is not
 * empty. LATEST (-1) starts from the newest candidate, EARLIEST (-2) from the oldest, any other
 * timestamp from the newest candidate modified at or before it (none: an empty list). Up to
 * max_num_offsets offsets are returned, newest first. A consumer (replica id -1) never sees an
 * offset above the high watermark: those are replaced by the high watermark.
 * Samsa's segments are Kafka's, so the answers are the same, including the coarse granularity
 * (a timestamp query answers segment boundaries, not the offset of a message).
 */
import type { Partition } from './partition.js';

export const CONSUMER_REPLICA_ID = -1;
const LATEST = -1n;
const EARLIEST = -2n;

/** The old-style offsets list for one partition. */
export function legacyOffsetsBefore(p: Partition, timestamp: bigint, maxNumOffsets: number, fromConsumer: boolean, now: number): bigint[] {
  const segments = p.log.segmentList;
  const last = segments[segments.length - 1];
  const candidates: { offset: number; time: number }[] = segments.map((s) => ({ offset: Math.max(s.baseOffset, p.logStartOffset), time: s.lastModified() }));
  if (last !== undefined && last.size > 0) candidates.push({ offset: p.log.logEndOffset, time: now });
  let start: number;
  if (timestamp === LATEST) start = candidates.length - 1;
  else if (timestamp === EARLIEST) start = 0;
  else {
    start = candidates.length - 1;
    while (start >= 0 && BigInt((candidates[start] as { time: number }).time) > timestamp) start--;
  }
  const out: number[] = [];
  for (let i = start; i >= 0 && out.length < Math.max(maxNumOffsets, 0); i--) out.push((candidates[i] as { offset: number }).offset);
  out.sort((a, b) => b - a);
  if (fromConsumer) {
    const hw = p.highWatermark;
    if (out.some((o) => o > hw)) return [BigInt(hw), ...out.filter((o) => o <= hw).map(BigInt)];
  }
  return out.map(BigInt);
}
