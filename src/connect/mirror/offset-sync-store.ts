/**
 * The offset syncs of one source → target flow, read from `mm2-offset-syncs.<target>.internal`
 * and kept per source partition, to translate a consumer's upstream offset into the target's
 * (Kafka's OffsetSyncStore).
 *
 * Kafka's rule kept (since KAFKA-14666): an upstream offset U translates through the latest sync
 * at or before it: to the sync's downstream offset when the sync is for U itself, else to one
 * past it, never beyond, so a consumer that fails over may read again (at most `offset.lag.max`
 * records per partition) but never skips one; with no sync at or before U there is no
 * translation. A sync below an earlier one (the source task restarted or the topic was rewound)
 * replaces the syncs above it. Samsa's deviation: it keeps the newest 1,024 syncs of a partition
 * and thins the older half when full, where Kafka keeps 64 exponentially spaced ones.
 */
import type { ClusterClient } from '../../client/cluster-client.js';
import { KafkaLog } from '../kafka-log.js';
import { decodeOffsetSync, MirrorFormatError, type OffsetSync } from './formats.js';

const MAX_SYNCS = 1024;

/** The syncs of each partition in memory; `add` them in the order they were written. */
export class OffsetSyncIndex {
  private readonly syncs = new Map<string, OffsetSync[]>();

  add(s: OffsetSync): void {
    const key = `${s.topic}\u0000${s.partition}`;
    let list = this.syncs.get(key);
    if (!list) this.syncs.set(key, (list = []));
    while (list.length > 0 && (list[list.length - 1]?.upstreamOffset ?? -1n) >= s.upstreamOffset) list.pop();
    list.push(s);
    if (list.length > MAX_SYNCS) {
      const half = list.length >> 1;
      const older = list.slice(0, half).filter((_, i) => i % 2 === 0);
      this.syncs.set(key, [...older, ...list.slice(half)]);
    }
  }

  /** The target offset to resume from for upstream offset `upstream`, or null when no sync covers it. */
  translate(topic: string, partition: number, upstream: bigint): bigint | null {
    const list = this.syncs.get(`${topic}\u0000${partition}`);
    if (!list) return null;
    let lo = 0;
    let hi = list.length - 1;
    let found: OffsetSync | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid] as OffsetSync;
      if (s.upstreamOffset <= upstream) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!found) return null;
    return found.upstreamOffset === upstream ? found.downstreamOffset : found.downstreamOffset + 1n;
  }
}

/** An OffsetSyncIndex fed by tailing the offset syncs topic. */
export class OffsetSyncStore {
  readonly index = new OffsetSyncIndex();
  private readonly log: KafkaLog;

  constructor(cluster: ClusterClient, topic: string, replicationFactor: number, onError: (e: unknown) => void) {
    this.log = new KafkaLog(
      cluster,
      topic,
      1,
      replicationFactor,
      (key, value) => {
        try {
          this.index.add(decodeOffsetSync(key, value));
        } catch (e) {
          if (!(e instanceof MirrorFormatError)) throw e;
        }
      },
      onError,
    );
  }

  start(): Promise<void> {
    return this.log.start();
  }

  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }

  stop(): Promise<void> {
    return this.log.stop();
  }
}
