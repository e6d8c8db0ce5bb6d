/**
 * Background upkeep of every partition's producer state: periodic snapshots (bounding the log
 * replay after a crash), producer id expiration (producer.id.expiration.ms), pruning aborted
 * transaction indexes below the log start, and a final snapshot at clean shutdown.
 */
import { scheduleRepeating, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import type { Logger } from '../common/logger.js';
import type { ProducerStateManager } from '../storage/producer-state.js';

/** A partition whose producer state is kept up (the broker's partitions satisfy this). */
export interface MaintainedPartition {
  readonly topic: string;
  readonly index: number;
  readonly log: { readonly isClosed: boolean; readonly logEndOffset: number };
  readonly producers: ProducerStateManager;
}

/** How often partitions are looked at. */
const TICK_MS = 5_000;
/** Minimum time between two periodic snapshots of a partition. */
export const SNAPSHOT_INTERVAL_MS = 30_000;
/** Kafka's producer.id.expiration.check.interval.ms default. */
const EXPIRATION_CHECK_INTERVAL_MS = 600_000;

export class ProducerStateMaintenance {
  private timer: TimerHandle | null = null;
  private lastExpirationCheck: number;

  constructor(
    private readonly partitions: () => Iterable<MaintainedPartition>,
    /** producer.id.expiration.ms, read at each tick (it is a dynamic broker config). */
    private readonly expirationMs: () => number,
    private readonly clock: Scheduler,
    private readonly logger: Logger,
  ) {
    this.lastExpirationCheck = clock.now();
  }

  start(): void {
    this.timer = scheduleRepeating(this.clock, TICK_MS, () => this.tick());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  tick(now: number = this.clock.now()): void {
    const expirationMs = this.expirationMs();
    const checkExpiration = now - this.lastExpirationCheck >= Math.min(EXPIRATION_CHECK_INTERVAL_MS, expirationMs);
    if (checkExpiration) this.lastExpirationCheck = now;
    for (const p of this.partitions()) {
      if (p.log.isClosed) continue;
      const ps = p.producers;
      try {
        ps.producerIdExpirationMs = expirationMs;
        if (checkExpiration) {
          ps.removeExpiredProducers(now);
          ps.cleanupBelowLogStart();
        }
        if (ps.needsSnapshot && now - ps.lastSnapshotAt >= SNAPSHOT_INTERVAL_MS) ps.takeSnapshot();
      } catch (e) {
        this.logger.error(`producer state upkeep of ${p.topic}-${p.index} failed`, e);
      }
    }
  }

  /** Snapshots every partition at its log end (clean shutdown), so the next start replays nothing. */
  snapshotAll(): void {
    for (const p of this.partitions()) {
      if (p.log.isClosed) continue;
      if (p.producers.needsSnapshot) p.producers.takeSnapshot(p.log.logEndOffset, true);
    }
  }
}
