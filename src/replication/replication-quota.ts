/**
 * Replication throttling (Kafka's ReplicationQuotaManager, KIP-73): a byte rate measured over
 * `numWindows` windows of `windowMs`, compared with a bound read at each check (the dynamic broker
 * configs `leader.replication.throttled.rate` / `follower.replication.throttled.rate`).
 *
 * Kafka's rules:
 * - Only throttled replicas count and are held back: the partitions a topic lists in
 *   `leader.replication.throttled.replicas` (leader side: `partition:broker` entries naming this
 *   broker, or `*`) and `follower.replication.throttled.replicas` (follower side, the same way).
 * - The leader leaves a throttled partition out of its answer to a follower that is not in the ISR
 *   while the leader's rate is over its bound; a follower leaves a throttled partition out of its
 *   fetch while it is not in the ISR itself and its rate is over its bound. In-sync replicas are
 *   never held back, so a throttle never stalls the high watermark.
 * - The rate is the bytes of the samples kept, over their span, counted as at least
 *   (numWindows − 1) windows (Kafka's Rate: a burst right after a quiet period is not inflated).
 * Samsa deviation: the bytes counted are the record bytes of the throttled partitions (Kafka counts
 * their share of the response size, headers included).
 */
import type { Clock } from '../common/clock.js';

export interface ReplicationQuotaOptions {
  clock: Clock;
  /** The bound in bytes per second (read at each check). */
  rate(): number;
  /** replication.quota.window.size.seconds, in ms. */
  windowMs: number;
  /** replication.quota.window.num */
  numWindows: number;
}

interface Sample {
  start: number;
  bytes: number;
}

export class ReplicationQuota {
  private readonly samples: Sample[] = [];

  constructor(private readonly opts: ReplicationQuotaOptions) {}

  /** Counts `bytes` of throttled replication traffic now. */
  record(bytes: number): void {
    if (bytes <= 0) return;
    this.current().bytes += bytes;
  }

  /** Whether the measured rate is above the bound. */
  exceeded(): boolean {
    const bound = this.opts.rate();
    if (!Number.isFinite(bound) || bound >= Number.MAX_SAFE_INTEGER) return false;
    return this.measured() > bound;
  }

  /** Bytes per second over the kept samples. */
  measured(): number {
    const now = this.opts.clock.now();
    this.expire(now);
    const first = this.samples[0];
    if (first === undefined) return 0;
    const { windowMs, numWindows } = this.opts;
    const span = Math.max(now - first.start, (numWindows - 1) * windowMs, 1);
    let bytes = 0;
    for (const s of this.samples) bytes += s.bytes;
    return (bytes * 1000) / span;
  }

  private current(): Sample {
    const now = this.opts.clock.now();
    this.expire(now);
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && now - last.start < this.opts.windowMs) return last;
    const s = { start: now, bytes: 0 };
    this.samples.push(s);
    return s;
  }

  /** Drops samples older than numWindows windows. */
  private expire(now: number): void {
    const keep = this.opts.numWindows * this.opts.windowMs;
    while (this.samples.length > 0 && now - (this.samples[0] as Sample).start >= keep) this.samples.shift();
  }
}

/** The partitions of a topic's `*.replication.throttled.replicas` value that name `brokerId` ('*': all). */
export function throttledPartitions(value: string | undefined, brokerId: number): ReadonlySet<number> | 'all' {
  if (value === undefined) return new Set();
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.includes('*')) return 'all';
  const out = new Set<number>();
  for (const e of entries) {
    const m = /^(\d+):(\d+)$/.exec(e);
    if (m && Number(m[2]) === brokerId) out.add(Number(m[1]));
  }
  return out;
}
