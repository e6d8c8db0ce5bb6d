/**
 * The connection creation rate limit (Kafka's ConnectionQuotas, KIP-612): `max.connection.creation.rate`
 * connections per second, broker-wide, measured over quota.window.num windows of
 * quota.window.size.seconds like the client quotas (common/sampled-rate.ts).
 * Kafka's rule: an acceptor over the rate does not refuse connections, it waits before accepting
 * the next one until the measured rate is back within the limit; every accepted connection counts.
 * The same limiter measures one listener's `listener.name.<l>.max.connection.creation.rate`; a
 * connection waits for the longer of the two delays. A connection throttled by its address's
 * quota (ip-connection-rate.ts) is un-recorded from both.
 * Samsa: the listeners share the broker's limiter; a listener holds the sockets it has not accepted
 * yet (paused, unread) in arrival order and accepts them when the limiters allow (network/server.ts).
 */
import type { Clock } from '../common/clock.js';
import { SampledRate } from '../common/sampled-rate.js';

export class ConnectionRateLimiter {
  private readonly rate: SampledRate;

  constructor(
    /** Connections per second (Kafka's default Int.MaxValue: unlimited), read at each use (a dynamic broker config). */
    private readonly limit: () => number,
    private readonly clock: Clock,
    windowMs: number,
    numWindows: number,
  ) {
    this.rate = new SampledRate(windowMs, numWindows);
  }

  /** Whether the limit can ever hold a connection back. */
  get unlimited(): boolean {
    return this.limit() >= 2147483647;
  }

  /** How long (ms) the next connection must wait; 0: it may be accepted now. */
  delayMs(): number {
    const limit = this.limit();
    if (limit >= 2147483647) return 0;
    const now = this.clock.now();
    // Accepting one more must keep the rate within the limit (0: none is accepted until it changes).
    if (limit <= 0) return 1000;
    this.rate.record(1, now);
    const t = this.rate.throttleMs(limit, now);
    this.rate.record(-1, now);
    return t;
  }

  /** Counts an accepted connection. */
  accepted(): void {
    if (!this.unlimited) this.rate.record(1, this.clock.now());
  }

  /** Un-counts a connection counted by accepted() (one throttled by its address's quota). */
  unrecord(): void {
    if (!this.unlimited) this.rate.record(-1, this.clock.now());
  }
}
