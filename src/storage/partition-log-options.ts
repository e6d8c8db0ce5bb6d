/**
 * How a partition log is opened (Kafka's UnifiedLog / LogLoader parameters): the checkpointed
 * recovery point, log start offset and high watermark, whether to recover (no clean-shutdown
 * marker: the segments after the recovery point are rescanned with their CRCs), the shared segment
 * file cache and read pool, and who is told of a log dir failure. Samsa's deviation: after a clean
 * shutdown the active segment is opened on first use instead of at load.
 */
import type { LogDirFailureError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { BufferPool } from '../common/buffer-pool.js';
import type { SegmentResourceCache } from './segment-cache.js';

export interface PartitionLogOpenOptions {
  /** Time and timers (delayed segment deletion); default real time. */
  scheduler?: Scheduler;
  /** Overrides the scheduler's clock (older tests drive only the time). */
  now?: () => number;
  /** Rescan (with CRCs) every segment from the recovery point on (unclean shutdown). */
  recover?: boolean;
  /** Offset below which everything is known flushed (from recovery-point-offset-checkpoint). */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number;
  /** From replication-offset-checkpoint; clamped to [logStartOffset, logEndOffset]. */
  highWatermark?: number;
  /** Handle cache for segment fds (the log manager's; default: one for this log alone). */
  cache?: SegmentResourceCache;
  /** Pool for large reads (the broker's; default: none, plain allocations). */
  readPool?: BufferPool;
  /**
   * The directory was shut down cleanly (with `recoveryPoint` from the checkpoint written then, which
   * is the log end offset): the active segment is opened on first use instead of at load.
   */
  cleanShutdown?: boolean;
  /**
   * Told (once per failure, before the error is thrown) when an I/O error on this log means its log
   * dir failed (`isLogDirFailure`); the log manager takes the dir offline.
   */
  onLogDirFailure?: (e: LogDirFailureError) => void;
  /** The owner's logger (the log manager's; default the process logger). */
  logger?: Logger;
  /** Told the duration (ms) of each flush that fsynced something (Kafka's LogFlushStats). */
  onFlush?: (ms: number) => void;
  /** The directory is known to exist (start-up loading of a listed directory): no mkdir. */
  existingDir?: boolean;
}
