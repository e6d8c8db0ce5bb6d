/**
 * The one timer source of a broker: a Clock (wall-clock milliseconds) plus `schedule`, behind an
 * interface so tests drive time by hand (ManualScheduler) instead of sleeping. Storage (retention,
 * flush, checkpoints, delayed segment deletion, the cleaner's backoff), Fetch long polls,
 * transaction timeouts, producer-id expiration, idle-connection sweeps, buffer-pool trimming and
 * the group coordinator's timers all take one.
 *
 * Kafka's equivalent is `Time` + `Scheduler` (KafkaScheduler / MockTime + MockScheduler). Samsa's
 * differences: one interface for both (a scheduler is a clock), and the real scheduler's timers are
 * unref'd, so a forgotten broker never keeps a process alive. Elapsed-time measurements for logs
 * and time slicing use `performance.now()` directly: they never decide behaviour a test asserts.
 */
import { systemClock, type Clock } from './clock.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler extends Clock {
  /** Runs `fn` once after `delayMs`. */
  schedule(delayMs: number, fn: () => void): TimerHandle;
}

/** Node's timers bound 32-bit delays; longer ones would fire at once. */
const MAX_DELAY_MS = 0x7fffffff;

export function realScheduler(clock: Clock = systemClock): Scheduler {
  return {
    now: () => clock.now(),
    schedule(delayMs, fn) {
      const t = setTimeout(fn, Math.min(Math.max(0, delayMs), MAX_DELAY_MS));
      t.unref();
      return { cancel: () => clearTimeout(t) };
    },
  };
}

/** Real time and real (unref'd) timers. */
export const systemScheduler: Scheduler = realScheduler(systemClock);

/**
 * Runs `fn` every `intervalMs` (at least 1 ms) until cancelled; the next run is scheduled after
 * `fn` returns, so a slow run never overlaps the next one.
 */
export function scheduleRepeating(scheduler: Scheduler, intervalMs: number, fn: () => void): TimerHandle {
  const every = Math.min(Math.max(1, intervalMs), MAX_DELAY_MS);
  let cancelled = false;
  let current: TimerHandle;
  const run = (): void => {
    if (cancelled) return;
    try {
      fn();
    } finally {
      if (!cancelled) current = scheduler.schedule(every, run);
    }
  };
  current = scheduler.schedule(every, run);
  return {
    cancel: () => {
      cancelled = true;
      current.cancel();
    },
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A scheduler whose time only moves when `advance` is called. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t: ManualTimer = { at: this.time + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      let live = 0;
      for (const t of this.timers) {
        if (t.cancelled) continue;
        this.timers[live++] = t;
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      this.timers.length = live;
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.time = end;
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
