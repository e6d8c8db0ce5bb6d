/**
 * Connection creation rate per client address (KIP-612: the `connection_creation_rate` quota of
 * `ip` quota entities, set with AlterClientQuotas / `samsa quotas --entity-type ips`).
 * Kafka's rules (ConnectionQuotas.recordIpConnectionMaybeThrottle):
 * - An address's quota is its own ip entity's, else the default ip entity's; with neither, the
 *   address is not limited (nothing is measured).
 * - Each connection from the address is recorded in the address's rate (quota.window.num windows of
 *   quota.window.size.seconds); one that takes the rate over the quota is throttled: it is
 *   un-recorded (from the address's rate and from the listener's and broker's creation rates), not
 *   served, and closed once the throttle time has passed (the acceptor's delayed close). The
 *   throttle is capped at one quota window.
 * - Every listener applies it (the broker-wide and listener rates make the acceptor wait instead).
 * - A rate not recorded for an hour is dropped (Kafka's inactive sensor expiry).
 * Samsa deviation: addresses are compared as written (an IPv4-mapped IPv6 address as its IPv4
 * form), not as parsed addresses, so `::1` and `0:0:0:0:0:0:0:1` are two entities.
 */
import type { Clock } from '../common/clock.js';
import { SampledRate } from '../common/sampled-rate.js';

const EXPIRY_MS = 3_600_000;

export class IpConnectionRates {
  private readonly rates = new Map<string, SampledRate>();
  private recordsSinceSweep = 0;

  constructor(
    /** The connection_creation_rate quota of an address (its own, else the default ip's); undefined: unlimited. */
    private readonly quotaOf: (ip: string) => number | undefined,
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly numWindows: number,
  ) {}

  /**
   * Records a connection from `ip` and returns 0 when it may be served, else the throttle (ms)
   * after which it is to be closed (it is then no longer counted in the address's rate).
   */
  record(ip: string): number {
    const bound = this.quotaOf(ip);
    if (bound === undefined) return 0;
    const now = this.clock.now();
    let rate = this.rates.get(ip);
    if (rate === undefined) {
      rate = new SampledRate(this.windowMs, this.numWindows);
      this.rates.set(ip, rate);
    }
    rate.record(1, now);
    if (++this.recordsSinceSweep >= 1000) this.sweep(now);
    const throttle = Math.min(rate.throttleMs(bound, now), this.windowMs);
    if (throttle <= 0) return 0;
    rate.record(-1, now);
    return Math.max(throttle, 1);
  }

  /** The measured rate (connections per second) of an address, for tests and tools. */
  measured(ip: string): number {
    return this.rates.get(ip)?.rate(this.clock.now()) ?? 0;
  }

  private sweep(now: number): void {
    this.recordsSinceSweep = 0;
    for (const [ip, rate] of this.rates) if (now - rate.lastRecordMs > EXPIRY_MS) this.rates.delete(ip);
  }
}

/** An address as written in quota entities: an IPv4-mapped IPv6 address is its IPv4 form. */
export function plainAddress(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
