/**
 * JoinWindows: how far apart in time two records of a stream-stream join may be, and the grace
 * period after which a window closes (late records are dropped, and a left/outer join emits the
 * records that found no partner).
 *
 * Kafka's rules kept: ofTimeDifferenceAndGrace(d, g) joins records whose timestamps differ by at
 * most d either way (before = after = d); before(ms) / after(ms) make the window asymmetric (a
 * left record at t joins right records in [t - before, t + after]); a negative difference or
 * grace is refused. Samsa's deviation: ofTimeDifferenceWithNoGrace() is the only no-grace form
 * (no deprecated 24 h default).
 */
export class JoinWindows {
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {
    if (beforeMs + afterMs < 0) throw new RangeError('Window interval (ie, beforeMs+afterMs) must not be negative.');
    if (graceMs < 0) throw new RangeError('Grace period must not be negative.');
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    if (timeDifferenceMs < 0) throw new RangeError('Time difference must not be negative.');
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, graceMs);
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /** Right records may be up to `ms` older than the left record. */
  before(ms: number): JoinWindows {
    return new JoinWindows(ms, this.afterMs, this.graceMs);
  }

  /** Right records may be up to `ms` newer than the left record. */
  after(ms: number): JoinWindows {
    return new JoinWindows(this.beforeMs, ms, this.graceMs);
  }

  /** How long a buffered record can still find a partner, plus grace: the stores' retention. */
  get retentionMs(): number {
    return this.beforeMs + this.afterMs + this.graceMs;
  }
}
