/**
 * A rate measured over `numWindows` windows of `windowMs` (Kafka's Rate over a SampledStat, as the
 * quota managers configure it from quota.window.num and quota.window.size.seconds).
 * Kafka's rules: samples older than numWindows windows are dropped; the rate is the kept total over
 * the time since the oldest sample began, counted as at least (numWindows − 1) whole windows so a
 * first burst is not inflated; a client over its bound is throttled for
 * (rate − bound) / bound × that window size, capped at numWindows × windowMs.
 */

interface Sample {
  start: number;
  value: number;
}

export class SampledRate {
  private readonly samples: Sample[] = [];
  /** When something was last recorded (for expiring idle rates). */
  lastRecordMs = 0;

  constructor(
    private readonly windowMs: number,
    private readonly numWindows: number,
  ) {}

  record(value: number, now: number): void {
    this.lastRecordMs = now;
    this.expire(now);
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && now - last.start < this.windowMs) last.value += value;
    else this.samples.push({ start: now, value });
  }

  /** The span the rate is measured over, in ms (Kafka's Rate.windowSize). */
  windowSizeMs(now: number): number {
    this.expire(now);
    const first = this.samples[0];
    const elapsed = first === undefined ? 0 : now - first.start;
    return Math.max(elapsed, (this.numWindows - 1) * this.windowMs, 1);
  }

  /** Value per second. */
  rate(now: number): number {
    this.expire(now);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return (total * 1000) / this.windowSizeMs(now);
  }

  /** The throttle, in ms, a client measured by this rate gets under `bound` (0: within it). */
  throttleMs(bound: number, now: number): number {
    const rate = this.rate(now);
    if (rate <= bound) return 0;
    const ms = ((rate - bound) / bound) * this.windowSizeMs(now);
    return Math.min(Math.round(ms), this.numWindows * this.windowMs);
  }

  private expire(now: number): void {
    const keep = this.numWindows * this.windowMs;
    while (this.samples.length > 0 && now - (this.samples[0] as Sample).start >= keep) this.samples.shift();
  }
}
