/**
 * Event-loop stalls: every time the loop could not run a 10 ms timer within 5 ms of its due
 * time, the stall is counted with its length and its cause, as
 *   samsa_eventloop_stall_seconds{cause="gc"|"cpu"|"no_cpu"|"blocked"} (histogram, seconds:
 *   Prometheus's base unit)
 * - gc: garbage collection pauses make up at least half of the delay;
 * - cpu: otherwise the loop's own thread was on a CPU for at least half of the stall (a long
 *   synchronous task: a large request, a timer's loop over many partitions);
 * - no_cpu: the thread was ready but waited for a CPU (the OS ran other processes) for at least
 *   half of the delay: the machine, not the broker (Linux: the thread's run-queue wait in
 *   /proc/thread-self/schedstat; elsewhere this cause is never given);
 * - blocked: the thread neither ran nor waited for a CPU: a synchronous system call that waited
 *   (a disk flush, a rename that frees a file's blocks, a page fault from disk).
 * nodejs_eventloop_lag_max_seconds says how bad the worst delay was; this says how often and why,
 * which is what the latency tail needs (issue 22 target 2: p99.9 < 5 ms end to end).
 *
 * Kafka's rule: none (its request handler threads have no single loop to stall). Samsa's own
 * metric; on with the metrics listener only. Cost: one unref'd timer per 10 ms, a thread-CPU
 * read (getrusage) and a 100-byte read of schedstat per run; GC pause times come from the perf_hooks GC entries the
 * process metrics observe anyway. A stall is classified one tick after it ends: the GC entries of
 * the pauses inside it are delivered after the timer that measured it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { PlainHistogram, type HistogramCells } from './plain-histogram.js';

export const StallCause = { gc: 'gc', cpu: 'cpu', noCpu: 'no_cpu', blocked: 'blocked' } as const;
export type StallCause = (typeof StallCause)[keyof typeof StallCause];

/** The measuring timer's period, and the lateness counted as a stall. */
export const STALL_TICK_MS = 10;
export const STALL_THRESHOLD_MS = 5;
const BUCKETS_SECONDS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1] as const;

/**
 * Which cause a stall of `delayMs` (lateness) over `gapMs` (the whole interval) gets, from the GC
 * pauses, the thread's CPU time and its run-queue wait (`waitMs`) inside it.
 */
export function stallCause(delayMs: number, gapMs: number, gcMs: number, cpuMs: number, waitMs: number): StallCause {
  if (gcMs >= delayMs / 2) return StallCause.gc;
  if (cpuMs >= gapMs / 2) return StallCause.cpu;
  if (waitMs >= delayMs / 2) return StallCause.noCpu;
  return StallCause.blocked;
}

/** The event loop thread's run-queue wait in ms (Linux schedstat), or null where there is none. */
class RunQueueWait {
  private fd: number | null;
  private readonly buf = Buffer.alloc(128);

  constructor() {
    try {
      this.fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      this.fd = null;
    }
  }

  /** Total wait so far (ms); 0 where it cannot be read. */
  read(): number {
    if (this.fd === null) return 0;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      // "<ns on cpu> <ns waiting on a run queue> <timeslices>"
      const line = this.buf.toString('latin1', 0, n);
      const a = line.indexOf(' ');
      const b = line.indexOf(' ', a + 1);
      return Number(line.slice(a + 1, b < 0 ? undefined : b)) / 1e6;
    } catch {
      this.close();
      return 0;
    }
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** CPU time of the event loop's thread in ms (the process's where Node has no per-thread reading). */
const threadCpuUsage: () => NodeJS.CpuUsage = (() => {
  const perThread: unknown = Reflect.get(process, 'threadCpuUsage');
  return typeof perThread === 'function' ? () => (perThread as () => NodeJS.CpuUsage).call(process) : () => process.cpuUsage();
})();
const cpuMs = (): number => {
  const u = threadCpuUsage();
  return (u.user + u.system) / 1000;
};

interface Pending {
  start: number;
  end: number;
  delayMs: number;
  cpuMs: number;
  waitMs: number;
}

export class EventLoopStalls {
  readonly histogram: PlainHistogram;
  private readonly cells: Record<StallCause, HistogramCells>;
  private readonly timer: NodeJS.Timeout;
  private last = performance.now();
  private lastCpu = cpuMs();
  private readonly runQueue = new RunQueueWait();
  private lastWait = this.runQueue.read();
  private pending: Pending | null = null;
  /** Recent GC pauses as start, duration pairs (performance.now() ms), oldest first. */
  private gcs: number[] = [];

  constructor(registry: Registry) {
    this.histogram = new PlainHistogram('samsa_eventloop_stall_seconds', `Event-loop stalls (a ${STALL_TICK_MS} ms timer late by more than ${STALL_THRESHOLD_MS} ms): lateness in seconds, by cause (gc; cpu: the loop busy; no_cpu: waiting for a CPU; blocked: in a system call that waited)`, 'cause', BUCKETS_SECONDS, registry);
    this.cells = { gc: this.histogram.child(StallCause.gc), cpu: this.histogram.child(StallCause.cpu), no_cpu: this.histogram.child(StallCause.noCpu), blocked: this.histogram.child(StallCause.blocked) };
    this.timer = setInterval(() => this.tick(), STALL_TICK_MS);
    this.timer.unref();
  }

  /** A GC pause (from the process metrics' perf_hooks observer). */
  noteGc(startTime: number, durationMs: number): void {
    this.gcs.push(startTime, durationMs);
  }

  /** Stalls counted so far per cause (tests, the bench). */
  count(cause: StallCause): number {
    return this.histogram.totals(cause).count;
  }

  private tick(): void {
    const now = performance.now();
    const cpu = cpuMs();
    const wait = this.runQueue.read();
    if (this.pending !== null) this.classify(this.pending);
    const gap = now - this.last;
    const delay = gap - STALL_TICK_MS;
    this.pending = delay > STALL_THRESHOLD_MS ? { start: this.last, end: now, delayMs: delay, cpuMs: cpu - this.lastCpu, waitMs: wait - this.lastWait } : null;
    this.last = now;
    this.lastCpu = cpu;
    this.lastWait = wait;
    // GC entries older than the stall still waiting are not needed any more.
    const keepFrom = this.pending?.start ?? now;
    let drop = 0;
    while (drop < this.gcs.length && (this.gcs[drop] as number) + (this.gcs[drop + 1] as number) < keepFrom) drop += 2;
    if (drop > 0) this.gcs = this.gcs.slice(drop);
  }

  private classify(p: Pending): void {
    let gcMs = 0;
    for (let i = 0; i < this.gcs.length; i += 2) {
      const s = this.gcs[i] as number;
      const e = s + (this.gcs[i + 1] as number);
      if (e > p.start && s < p.end) gcMs += Math.min(e, p.end) - Math.max(s, p.start);
    }
    this.histogram.observe(this.cells[stallCause(p.delayMs, p.end - p.start, gcMs, p.cpuMs, p.waitMs)], p.delayMs / 1000);
  }

  close(): void {
    clearInterval(this.timer);
    this.runQueue.close();
  }
}
