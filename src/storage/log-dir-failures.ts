/**
 * Which log dirs of this broker have failed (Kafka's LogDirFailureChannel, KIP-112).
 *
 * Kafka's rule: an IOException on any file of a log dir (append, flush, roll, read, checkpoint,
 * open) marks the whole dir offline on this broker until restart: its logs are closed and never
 * touched again, its partitions answer KAFKA_STORAGE_ERROR, DescribeLogDirs reports the dir with
 * KAFKA_STORAGE_ERROR and no partitions, the controller moves leadership off its replicas and
 * takes them out of the ISRs; when every log dir has failed the broker shuts down.
 * Samsa's deviations: a full disk (ENOSPC, EDQUOT) does not take the dir offline (see
 * storage-error-log.ts: writes fail with KAFKA_STORAGE_ERROR and resume once space is freed);
 * only errors that mean the device or filesystem failed (`isLogDirFailure`: EIO, EROFS, ...) do.
 * A failure is reported by the code that hit it; the dir is taken offline on a microtask (Kafka
 * hands it to a separate thread), so the failing call unwinds first.
 */
import type { Logger } from '../common/logger.js';

export type LogDirFailureListener = (dir: string, cause: unknown) => void;

export class LogDirFailures {
  private readonly offline = new Set<string>();
  private readonly pending = new Set<string>();
  private readonly listeners: LogDirFailureListener[] = [];

  constructor(
    private readonly logger: Logger,
    /** Takes the dir offline in the owner (closes its logs); called once per dir. */
    private readonly takeOffline: (dir: string) => void,
  ) {}

  /** Whether `dir` has failed (reported and taken offline, or about to be). */
  isOffline(dir: string): boolean {
    return this.offline.has(dir) || this.pending.has(dir);
  }

  get offlineDirs(): readonly string[] {
    return [...this.offline];
  }

  /** `l` hears of each dir once it has been taken offline. */
  onFailure(l: LogDirFailureListener): void {
    this.listeners.push(l);
  }

  /** An I/O failure in `dir`: it goes offline on the next microtask (once; later reports are ignored). */
  report(dir: string, cause: unknown): void {
    if (this.isOffline(dir)) return;
    this.pending.add(dir);
    queueMicrotask(() => this.fail(dir, cause));
  }

  /** Takes `dir` offline now (no-op when it already is). */
  fail(dir: string, cause: unknown): void {
    if (this.offline.has(dir)) return;
    this.pending.delete(dir);
    this.offline.add(dir);
    const why = cause instanceof Error ? cause.message : String(cause);
    this.logger.error(`Log directory ${dir} failed (${why}): it is offline on this broker until restart; its partitions answer KAFKA_STORAGE_ERROR here`);
    try {
      this.takeOffline(dir);
    } catch (e) {
      this.logger.warn(`closing the logs of failed log directory ${dir}`, e);
    }
    for (const l of this.listeners) {
      try {
        l(dir, cause);
      } catch (e) {
        this.logger.error(`handling the failure of log directory ${dir}`, e);
      }
    }
  }
}
