/**
 * Cooperative slicing for long request work. Node serves every connection from one thread, so a
 * request that decodes, handles or encodes a million elements in one go stalls all other clients
 * (Kafka runs requests on a pool of handler threads and has no such problem). Long work is
 * written as a generator that counts its elements on a TimeSlice and yields when the slice's
 * time is used up; runSliced() drives it synchronously while it fits in one slice (so ordinary
 * requests pay nothing but a generator) and otherwise resumes it after each yield to the event
 * loop, so other connections' requests are read and answered between two slices.
 */
import { setImmediate as immediate } from 'node:timers/promises';

/** Milliseconds of work between two yields (a concurrent small request waits about this long). */
export const SLICE_MS = 8;

/** Elements counted between two reads of the clock. */
const CHECK_EVERY = 64;

/** Resolves after pending I/O callbacks (other connections' reads) have run. */
export function yieldToEventLoop(): Promise<void> {
  return immediate();
}

/** Counts units of work; tick() is true once the slice's time is used up. */
export class TimeSlice {
  private left = CHECK_EVERY;
  private deadline: number;

  constructor(private readonly sliceMs = SLICE_MS) {
    this.deadline = performance.now() + sliceMs;
  }

  /** Counts one unit of work; true when the caller should yield now. */
  tick(): boolean {
    if (--this.left > 0) return false;
    this.left = CHECK_EVERY;
    return performance.now() >= this.deadline;
  }

  /** Starts a new slice (after a yield). */
  restart(): void {
    this.left = CHECK_EVERY;
    this.deadline = performance.now() + this.sliceMs;
  }
}

/**
 * Runs a generator that yields when `slice` says so: synchronously if it never yields, else as a
 * promise that resumes it after each yield to the event loop. A throw rejects (or throws).
 */
export function runSliced<T>(job: Generator<void, T, void>, slice: TimeSlice): T | Promise<T> {
  const first = job.next();
  if (first.done === true) return first.value;
  return (async () => {
    for (;;) {
      await yieldToEventLoop();
      slice.restart();
      const step = job.next();
      if (step.done === true) return step.value;
    }
  })();
}

/** Chains `then` onto a value that may or may not be a promise (keeps the synchronous case synchronous). */
export function whenDone<T, U>(value: T | Promise<T>, then: (v: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/**
 * Runs handler work written as a generator over a fresh TimeSlice: synchronously when it fits in
 * one slice, else in slices (see runSliced). The generator yields when `slice.tick()` is true,
 * typically through mapSliced.
 */
export function sliceWork<T>(work: (slice: TimeSlice) => Generator<void, T, void>): T | Promise<T> {
  const slice = new TimeSlice();
  return runSliced(work(slice), slice);
}

/** Maps a list one element per tick; use with `yield*` inside sliceWork. */
export function* mapSliced<T, U>(list: readonly T[], slice: TimeSlice, fn: (e: T, i: number) => U): Generator<void, U[], void> {
  const out: U[] = [];
  for (let i = 0; i < list.length; i++) {
    out.push(fn(list[i] as T, i));
    if (slice.tick()) yield;
  }
  return out;
}

/** Calls `each(i)` for i in [0, n), one element per tick, in time slices (see sliceWork). */
export function forEachSliced(n: number, each: (i: number) => void): void | Promise<void> {
  return sliceWork(function* (slice) {
    for (let i = 0; i < n; i++) {
      each(i);
      if (slice.tick()) yield;
    }
  });
}
