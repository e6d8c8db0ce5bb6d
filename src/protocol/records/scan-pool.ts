/**
 * Runs ScanJobs (scan-job.ts) on worker threads so that decompressing, scanning and recompressing
 * a large batch never blocks the event loop. Workers start on first use, take one job at a time
 * (so at most `size` batches are inflated at once, each bounded by its limit) and do not keep the
 * process alive while idle. If a worker cannot be started the jobs run on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ErrorCode } from '../../common/error-codes.js';
import { log } from '../../common/logger.js';
import { runScanJob, type ScanJob, type ScanJobResult } from './scan-job.js';

interface Pending {
  /** The job with a private copy of the body (transferred to the worker). */
  job: ScanJob;
  /** The caller's bytes, still valid until the job settles: for running it here after all. */
  original: Uint8Array;
  resolve: (r: ScanJobResult) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

export class ScanPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private unavailable = false;
  /** Workers that died before finishing a job, in a row; after a few the pool gives up on workers. */
  private failedStarts = 0;
  /** Jobs run so far on workers / on the calling thread (for tests and diagnostics). */
  ranOnWorkers = 0;
  ranInline = 0;

  constructor(
    readonly size = Math.max(1, Math.min(4, availableParallelism() - 1)),
    private readonly workerUrl: URL = new URL('./scan-worker.js', import.meta.url),
  ) {}

  /**
   * Runs `job`. Its `body` is copied into a buffer the worker owns, so the caller's bytes (a view
   * of a request frame) are never shared with the worker.
   */
  run(job: ScanJob): Promise<ScanJobResult> {
    if (this.unavailable) {
      this.ranInline++;
      return runScanJob(job);
    }
    const body = new Uint8Array(job.body.byteLength);
    body.set(job.body);
    return new Promise<ScanJobResult>((resolve) => {
      this.queue.push({ job: { ...job, body }, original: job.body, resolve });
      this.pump();
    });
  }

  /** Stops the workers (pending jobs fail with UNKNOWN_SERVER_ERROR). */
  async close(): Promise<void> {
    const slots = [...this.slots];
    this.slots.clear();
    for (const p of this.queue.splice(0)) p.resolve(stopped());
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot: Slot | undefined;
      for (const s of this.slots) {
        if (s.busy === null) {
          slot = s;
          break;
        }
      }
      if (slot === undefined) {
        if (this.slots.size >= this.size && !this.unavailable) return;
        slot = this.unavailable ? undefined : this.spawn();
        if (slot === undefined) {
          // No workers in this environment: run what is queued here.
          for (const p of this.queue.splice(0)) this.runHere(p);
          return;
        }
      }
      const p = this.queue.shift() as Pending;
      slot.busy = p;
      slot.worker.ref();
      const id = this.nextId++;
      slot.worker.postMessage({ id, job: p.job }, [p.job.body.buffer as ArrayBuffer]);
    }
  }

  private runHere(p: Pending): void {
    this.ranInline++;
    void runScanJob({ ...p.job, body: p.original }).then(p.resolve);
  }

  private spawn(): Slot | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.workerUrl);
    } catch (e) {
      log.warn(`record validation workers unavailable, validating large batches on the event loop: ${e instanceof Error ? e.message : String(e)}`);
      this.unavailable = true;
      return undefined;
    }
    const slot: Slot = { worker, busy: null };
    let finishedAJob = false;
    worker.unref();
    worker.on('message', (msg: { id: number; result: ScanJobResult }) => {
      const p = slot.busy;
      slot.busy = null;
      if (this.slots.has(slot)) worker.unref();
      this.ranOnWorkers++;
      finishedAJob = true;
      this.failedStarts = 0;
      p?.resolve(msg.result);
      this.pump();
    });
    const gone = (why: string): void => {
      if (!this.slots.delete(slot)) return;
      const p = slot.busy;
      slot.busy = null;
      log.warn(`record validation worker ${why}`);
      if (!finishedAJob) {
        // A worker that never got going (e.g. its file is missing from a bundle): do the job here.
        if (++this.failedStarts >= 3) {
          log.warn('record validation workers keep failing; validating large batches on the event loop');
          this.unavailable = true;
        }
        if (p !== null) this.runHere(p);
      } else {
        p?.resolve({ ok: false, code: ErrorCode.UNKNOWN_SERVER_ERROR, message: `record validation worker ${why}` });
      }
      this.pump();
    };
    worker.on('error', (e) => gone(`failed: ${e instanceof Error ? e.message : String(e)}`));
    worker.on('exit', (code) => gone(`exited with code ${code}`));
    this.slots.add(slot);
    return slot;
  }
}

function stopped(): ScanJobResult {
  return { ok: false, code: ErrorCode.UNKNOWN_SERVER_ERROR, message: 'record validation pool stopped' };
}

let shared: ScanPool | undefined;

/** The process-wide pool the produce path uses. */
export function scanPool(): ScanPool {
  return (shared ??= new ScanPool());
}
