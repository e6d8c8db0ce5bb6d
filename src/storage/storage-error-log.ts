/**
 * Reports log-directory write failures for lack of space (disk full, quota) once per state change
 * instead of once per request. Kafka answers KAFKA_STORAGE_ERROR for a partition whose log dir
 * failed and takes the whole dir offline until restart, whatever the IOException.
 * Samsa deviation: a full disk (ENOSPC, EDQUOT) leaves the dir online: reads keep being served,
 * and a write that succeeds again (space freed) ends the failing state. Other I/O errors (EIO,
 * EROFS, ...: `isLogDirFailure`) take the dir offline as Kafka does (log-manager.ts). While failing, at most one summary line per
 * `intervalMs` (with the count of failures since the last line) is logged; the first failure gets
 * one WARN with the cause, the first success after it one INFO "resumed" line.
 */
import { LogDirFailureError } from '../common/errors.js';
import { log as processLog, type Logger } from '../common/logger.js';

/** errno codes that mean the storage, not the request, is at fault. */
const STORAGE_CODES = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT', 'ENXIO', 'ENODEV', 'ESTALE', 'EUCLEAN']);

/**
 * errno codes that mean the device or filesystem under a log dir failed: the dir goes offline
 * (Kafka's LogDirFailureChannel). ENOENT and the like are not here: a file removed by the broker's
 * own retention or deletion must not take a dir offline.
 */
const DIR_FAILURE_CODES = new Set(['EIO', 'EROFS', 'ENXIO', 'ENODEV', 'ESTALE', 'EUCLEAN']);

/** Whether `e` (or its cause) is an I/O failure that takes its log dir offline (not a full disk). */
export function isLogDirFailure(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && DIR_FAILURE_CODES.has(code)) return true;
  }
  return false;
}

/** The errno code when `e` (or its cause) is a storage failure; undefined otherwise. */
export function storageFailureCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && STORAGE_CODES.has(code)) return code;
  }
  return e instanceof LogDirFailureError ? 'EIO' : undefined;
}

export class StorageErrorLog {
  private failing = false;
  private since = 0;
  private lastLine = 0;
  private suppressed = 0;
  private total = 0;

  constructor(private readonly now: () => number, private readonly intervalMs = 10_000, private readonly logger: Logger = processLog) {}

  get isFailing(): boolean {
    return this.failing;
  }

  /** A write failed with a storage error (`what` names the operation, e.g. "append to t-0"). */
  failed(what: string, e: unknown): void {
    const now = this.now();
    this.total++;
    if (!this.failing) {
      this.failing = true;
      this.since = now;
      this.lastLine = now;
      this.suppressed = 0;
      this.total = 1;
      this.logger.warn(`Storage error (${storageFailureCode(e) ?? 'I/O'}) on ${what}: writes answer KAFKA_STORAGE_ERROR until they succeed again; reads are still served: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.suppressed++;
    if (now - this.lastLine >= this.intervalMs) {
      this.logger.warn(`Storage still failing (${storageFailureCode(e) ?? 'I/O'}): ${this.suppressed} more failed writes in the last ${Math.round((now - this.lastLine) / 1000)} s, latest on ${what}`);
      this.lastLine = now;
      this.suppressed = 0;
    }
  }

  /** A write succeeded: ends a failing state. Cheap when not failing (called on every append). */
  succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info(`Storage writes resumed after ${Math.round((this.now() - this.since) / 1000)} s and ${this.total} failed writes`);
  }
}
