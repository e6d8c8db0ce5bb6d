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

/** Elements a long loop handles between two yields (each element costs a few microseconds). */
export const SLICE_ELEMENTS = 2000;

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
 * Calls `each(i)` for i in [0, n) in time slices: synchronously when the loop fits in one slice,
 * otherwise yielding to the event loop between slices. For handlers whose work grows with the
 * request (one element per topic, partition, group or config key).
 */
export function forEachSliced(n: number, each: (i: number) => void): void | Promise<void> {
  const slice = new TimeSlice();
  function* loop(): Generator<void, void, void> {
    for (let i = 0; i < n; i++) {
      each(i);
      if (slice.tick()) yield;
    }
  }
  return runSliced(loop(), slice);
}

/** forEachSliced over the elements of a list. */
export function forEachOfSliced<T>(list: readonly T[], each: (e: T, i: number) => void): void | Promise<void> {
  return forEachSliced(list.length, (i) => each(list[i] as T, i));
}
