/**
 * Punctuators: callbacks a processor schedules at a fixed interval of stream time or of wall-clock
 * time (Processor API), kept per task.
 *
 * Kafka's rules kept (PunctuationQueue, PunctuationSchedule): a stream-time punctuator fires first
 * with the first record the task processes, then whenever stream time reaches the next multiple of
 * the interval after the last firing, once per advance however far stream time jumped, with the
 * current stream time; a wall-clock punctuator fires an interval after it was scheduled, then
 * likewise on the system clock; a punctuator can be cancelled. Samsa's deviation: wall-clock
 * punctuators are checked once per poll loop (poll.ms, default 100 ms), not by a separate timer.
 */
export const PunctuationType = {
  STREAM_TIME: 'stream-time',
  WALL_CLOCK_TIME: 'wall-clock',
} as const;
export type PunctuationTypeName = (typeof PunctuationType)[keyof typeof PunctuationType];

export type Punctuator = (timestamp: number) => void;

export interface Cancellable {
  cancel(): void;
}

interface Schedule {
  type: PunctuationTypeName;
  intervalMs: number;
  /** The time of the next firing (-1: with the first record, stream time). */
  next: number;
  run: Punctuator;
  cancelled: boolean;
}

export class PunctuationQueue {
  private readonly schedules: Schedule[] = [];

  schedule(intervalMs: number, type: PunctuationTypeName, run: Punctuator, now: number): Cancellable {
    if (!(intervalMs >= 1)) throw new RangeError('The minimum supported scheduling interval is 1 millisecond.');
    const s: Schedule = { type, intervalMs, next: type === PunctuationType.STREAM_TIME ? -1 : now + intervalMs, run, cancelled: false };
    this.schedules.push(s);
    return {
      cancel: () => {
        s.cancelled = true;
        const i = this.schedules.indexOf(s);
        if (i >= 0) this.schedules.splice(i, 1);
      },
    };
  }

  /** Fires the due punctuators of `type` at `time`; returns how many fired. */
  mayPunctuate(type: PunctuationTypeName, time: number, fire: (run: Punctuator, time: number) => void): number {
    let fired = 0;
    for (const s of [...this.schedules]) {
      if (s.type !== type || s.cancelled || time < 0) continue;
      if (s.next === -1) s.next = time;
      if (time < s.next) continue;
      s.next += s.intervalMs * (Math.floor((time - s.next) / s.intervalMs) + 1);
      fire(s.run, time);
      fired++;
    }
    return fired;
  }

  get size(): number {
    return this.schedules.length;
  }
}
