/**
 * The log manager's options (Kafka's LogManager settings: log.dirs, log.retention.check.interval.ms,
 * log.flush.offset.checkpoint.interval.ms, replica.high.watermark.checkpoint.interval.ms,
 * num.recovery.threads.per.data.dir, log.cleaner.*) and its per-dir usage report (DescribeLogDirs).
 * Samsa's deviation: recovery runs on the calling thread (num.recovery.threads.per.data.dir is
 * accepted and ignored).
 */
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { BufferPool } from '../common/buffer-pool.js';
import type { LogCleanerOptions } from './cleaner/log-cleaner.js';
import type { LogConfig } from './log-config.js';
import type { SegmentResourceCache } from './segment-cache.js';

export interface LogManagerOptions {
  logDirs: string[];
  defaultConfig?: LogConfig;
  /** Time and the background tasks' timers (default real time). */
  scheduler?: Scheduler;
  /** Overrides the scheduler's clock (older tests drive only the time). */
  now?: () => number;
  /** The bound on open segment files of every log here (default: a cache of its own with the default log.open.files.max). */
  cache?: SegmentResourceCache;
  /** The broker's pool for large log reads (default: none). */
  readPool?: BufferPool;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** How often logs are checked for flush.ms (default 1000). */
  flushCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms and log.flush.start.offset.checkpoint.interval.ms (default 60000). */
  checkpointIntervalMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms (default 5000). */
  highWatermarkCheckpointIntervalMs?: number;
  /** Above this many logs the high watermark checkpoint is built this many lines per macrotask (sliced-checkpoint.ts; tests set it small). */
  checkpointSlicePartitions?: number;
  /** Accepted for Kafka parity (num.recovery.threads.per.data.dir); recovery runs on the calling thread. */
  recoveryThreads?: number;
  /** log.cleaner.* settings (the cleaner runs once background tasks start, when enabled). */
  cleaner?: Partial<LogCleanerOptions>;
  /** The owner's logger, given to every log here (default the process logger). */
  logger?: Logger;
  /** Told the duration (ms) of each log flush that fsynced something (Kafka's LogFlushStats). */
  onFlush?: (ms: number) => void;
  /** Dirs whose disk failed before the manager was made (start-up): offline from the start, never touched. */
  failedDirs?: ReadonlyMap<string, unknown>;
}

export interface LogDirUsage {
  dir: string;
  /** The dir failed (log-dir-failures.ts): no partitions are listed. */
  offline: boolean;
  partitions: { topic: string; partition: number; size: number }[];
  totalBytes?: number;
  usableBytes?: number;
}
