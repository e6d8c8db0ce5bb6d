/**
 * The leader's side of ISR changes (Kafka's Partition.maybeShrinkIsr / maybeExpandIsr and the
 * AlterPartition request): every `replica.lag.time.max.ms / 2` each partition this broker leads is
 * checked for followers that fell out of sync, and a follower outside the ISR that caught up to the
 * high watermark is proposed at once (on its fetch) if its broker is registered (Kafka's
 * eligibility rule, KIP-841: the controller would drop an unregistered one again at once). A proposal is written with a compare-and-swap
 * on the partition epoch (the store's alterPartition); it takes effect only when the new image
 * arrives (PartitionRoles → Partition.isrChanged), so a leader that was replaced meanwhile changes
 * nothing (FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION: it learns of its replacement from the
 * next image). One proposal per partition is in flight at a time. Until a proposal is answered the
 * high watermark waits for the members of both ISRs (LeaderState's maximal ISR); one whose outcome
 * is unknown (etcd unreachable) is sent again at each check until etcd accepts or refuses it.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler, TimerHandle } from '../common/scheduler.js';
import type { MetadataImage } from '../metadata/image.js';
import type { PartitionStateChange } from '../cluster/etcd/metadata-store.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export interface IsrWriter {
  alterPartition(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionStateChange): Promise<MetadataImage>;
}

export interface IsrUpdaterDeps {
  localId: number;
  replicas: Pick<ReplicaManager, 'all'>;
  writer: IsrWriter;
  scheduler: Scheduler;
  /** replica.lag.time.max.ms (read at each check: a dynamic config). */
  lagTimeMaxMs(): number;
  /** Whether a broker may join an ISR (registered in the current metadata). */
  isrEligible(brokerId: number): boolean;
  logger: Logger;
}

export class IsrUpdater {
  private readonly inFlight = new Set<Partition>();
  private timer: TimerHandle | null = null;
  private stopped = false;
  /** ISR changes committed (metrics: IsrShrinksPerSec, IsrExpandsPerSec). */
  shrinks = 0;
  expands = 0;

  constructor(private readonly deps: IsrUpdaterDeps) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.checkAll();
      this.timer = this.deps.scheduler.schedule(Math.max(100, Math.floor(this.deps.lagTimeMaxMs() / 2)), tick);
    };
    this.timer = this.deps.scheduler.schedule(Math.max(100, Math.floor(this.deps.lagTimeMaxMs() / 2)), tick);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  /** Hooked to each led Partition: a follower outside the ISR caught up. */
  readonly onCandidate = (p: Partition): void => this.maybePropose(p);

  checkAll(): void {
    for (const p of this.deps.replicas.all()) if (p.role === 'leader') this.maybePropose(p);
  }

  maybePropose(p: Partition): void {
    const state = p.leader;
    if (this.stopped || state === null || this.inFlight.has(p)) return;
    // A proposal whose outcome is unknown (etcd did not answer) is sent again until answered.
    const isr = state.isrChangeNeeded(this.deps.lagTimeMaxMs(), p.logEndOffset, this.deps.isrEligible) ?? (state.pendingIsr !== null ? [...state.pendingIsr] : null);
    if (isr === null) return;
    this.inFlight.add(p);
    const epoch = p.leaderEpoch;
    const beforeIsr = [...state.isr];
    const before = beforeIsr.join(',');
    p.isrProposed(isr);
    this.deps.writer
      .alterPartition(p.topicId, p.index, p.partitionEpoch, { leader: this.deps.localId, leaderEpoch: epoch, isr })
      .then(
        () => {
          // Kafka's IsrShrinksPerSec / IsrExpandsPerSec: one per committed change.
          if (beforeIsr.some((id) => !isr.includes(id))) this.shrinks++;
          else this.expands++;
          this.deps.logger.info(`${p.topic}-${p.index}: ISR [${before}] -> [${isr.join(',')}] (leader epoch ${epoch})`);
        },
        (e: unknown) => {
          if (e instanceof KafkaError && (e.code === ErrorCode.INVALID_UPDATE_VERSION || e.code === ErrorCode.FENCED_LEADER_EPOCH)) {
            // Refused: nothing was written (the newer image brings what was).
            if (p.leader === state && state.pendingIsr !== null) p.isrProposed(null);
            this.deps.logger.info(`${p.topic}-${p.index}: ISR change to [${isr.join(',')}] refused (${e.message}); waiting for the newer metadata`);
          } else {
            this.deps.logger.warn(`${p.topic}-${p.index}: ISR change to [${isr.join(',')}] failed`, e);
          }
        },
      )
      .finally(() => this.inFlight.delete(p));
  }
}
