/** Per-partition log settings (Kafka topic-level names in the comments). Updatable at runtime. */
export interface LogConfig {
  /** segment.bytes / log.segment.bytes: roll when the active segment would exceed this size. */
  segmentBytes: number;
  /** segment.ms / log.roll.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** retention.ms / log.retention.ms: -1 = unlimited. */
  retentionMs: number;
  /** retention.bytes / log.retention.bytes: -1 = unlimited. */
  retentionBytes: number;
  /** index.interval.bytes / log.index.interval.bytes: bytes of log between two index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes / log.index.size.max.bytes: max size of each index file; roll when full. */
  segmentIndexBytes: number;
  /** flush.messages / log.flush.interval.messages: fsync after this many unflushed records. */
  flushIntervalMessages: number;
  /** flush.ms / log.flush.interval.ms: fsync when the last flush is older than this. */
  flushIntervalMs: number;
  /** file.delete.delay.ms: how long deleted segment files linger (renamed to *.deleted). */
  fileDeleteDelayMs: number;
  /** message.timestamp.type */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** cleanup.policy: delete (time/size retention) and/or compact (the log cleaner). Default delete only. */
  cleanupPolicy?: CleanupPolicy;
  /** delete.retention.ms: how long tombstones and transaction markers outlive their first cleaning. */
  deleteRetentionMs?: number;
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio?: number;
  /** min.compaction.lag.ms: records younger than this are not compacted. */
  minCompactionLagMs?: number;
  /** max.compaction.lag.ms: a dirty segment older than this is compacted regardless of the dirty ratio. */
  maxCompactionLagMs?: number;
}

export interface CleanupPolicy {
  delete: boolean;
  compact: boolean;
}

/** Defaults of the cleaner-related settings (Kafka's). */
export const defaultCompactionConfig = Object.freeze({
  cleanupPolicy: Object.freeze({ delete: true, compact: false }) as CleanupPolicy,
  deleteRetentionMs: 86400000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
});

export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10485760,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
  flushIntervalMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 60000,
  messageTimestampType: 'CreateTime',
});
