/**
 * The controller's work while this broker holds the controller election (Kafka's controller
 * reacting to broker changes): it keeps every partition's leader and ISR consistent with which
 * brokers are alive (registered, their lease current).
 *
 * On start and on every image where brokers came or went (or partitions appeared), each partition
 * is checked with `electAfterFailures` (partition-elections.ts): a dead broker leaves the ISR, a
 * dead or missing leader is replaced by the first live ISR member in assignment order, an offline
 * partition whose last ISR member returned gets it back as leader, a replica its broker reports
 * offline (failed log dir, in the broker's registration) is treated as dead for that partition, and unclean election applies
 * where the topic (or broker) allows it. Each change is written with AlterPartition semantics
 * (compare-and-swap on the partition's epoch) through the store fenced by the controller epoch: if
 * another controller won meanwhile the write fails with NOT_CONTROLLER and this one stops.
 * A lost compare-and-swap (a leader changed the ISR meanwhile) is retried on the next image.
 * Brokers shutting down in a controlled way move their own leaderships first (controlled-shutdown.ts).
 * Reassignments in progress (started by AlterPartitionReassignments) are completed here as soon as
 * their target replicas are all in the ISR (reassignment.ts): the controller drives them, as
 * Kafka's does, on every image that changes a partition.
 * With `rebalance` (auto.leader.rebalance.enable), every `leader.imbalance.check.interval.seconds`
 * leadership goes back to preferred replicas where a broker is imbalanced (leader-elections.ts).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler, TimerHandle } from '../common/scheduler.js';
import type { MetadataImage, PartitionImage, TopicImage } from '../metadata/image.js';
import type { MetadataDelta } from '../metadata/delta.js';
import type { FencedMetadataStore, PartitionAssignmentChange } from './etcd/metadata-store.js';
import { aliveFor, electAfterFailures, type PartitionState } from './partition-elections.js';
import { completeReassignment } from './reassignment.js';
import { rebalancePreferredLeaders } from './leader-elections.js';

export interface ControllerOptions {
  /** Whether unclean leader election is allowed for `topic` (topic config, else broker config). */
  uncleanAllowed(topic: TopicImage): boolean;
  logger: Logger;
  /** auto.leader.rebalance.enable: the periodic preferred-leader check (absent: disabled). */
  rebalance?: { scheduler: Scheduler; intervalMs: number; percentage: number };
}

function stateOf(p: PartitionImage): PartitionState {
  return { replicas: p.replicas, isr: p.isr, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch ?? 0 };
}

export class ControllerRole {
  private unwatch: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private rebalanceTimer: TimerHandle | null = null;

  constructor(
    private readonly store: FencedMetadataStore,
    private readonly opts: ControllerOptions,
  ) {}

  start(): void {
    this.unwatch = this.store.watch((_image, delta) => {
      if (relevant(delta)) this.schedule();
    });
    this.schedule();
    this.scheduleRebalance();
  }

  private scheduleRebalance(): void {
    const r = this.opts.rebalance;
    if (r === undefined || this.stopped) return;
    this.rebalanceTimer = r.scheduler.schedule(r.intervalMs, () => {
      this.rebalanceTimer = null;
      if (this.stopped) return;
      rebalancePreferredLeaders(this.store, r.percentage)
        .then((moved) => {
          if (moved > 0) this.opts.logger.info(`controller: auto leader rebalance moved ${moved} partition(s) back to their preferred replica`);
        })
        .catch((e: unknown) => this.opts.logger.error('controller: auto leader rebalance failed', e))
        .finally(() => this.scheduleRebalance());
    });
  }

  stop(): void {
    this.stopped = true;
    this.rebalanceTimer?.cancel();
    this.rebalanceTimer = null;
    this.unwatch?.();
    this.unwatch = null;
  }

  /** Resolves once the elections scheduled so far have been written (tests, controlled shutdown). */
  async settled(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.reconcile()
      .catch((e: unknown) => this.opts.logger.error('controller: elections failed', e))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const image = this.store.image();
    const alive = aliveOf(image);
    for (const t of image.topics()) {
      const unclean = this.opts.uncleanAllowed(t);
      for (const p of t.partitions) {
        if (this.stopped) return;
        const live = aliveFor(image, alive, t.topicId, p.partition, p.replicas);
        const next = electAfterFailures(stateOf(p), live, unclean);
        if (next !== null) {
          await this.write(t, p, next);
          continue; // a reassignment step waits for the image this write brings
        }
        const done = completeReassignment(p, live);
        if (done !== null) await this.writeAssignment(t, p, done);
      }
    }
  }

  /** Writes one partition's new leader and ISR; false when a compare-and-swap was lost (retried on the next image). */
  private async write(t: TopicImage, p: PartitionImage, next: PartitionState): Promise<boolean> {
    return this.guarded(async () => {
      await this.store.alterPartition(t.topicId, p.partition, p.partitionEpoch ?? 0, { leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr });
      if (next.leader !== p.leader) this.opts.logger.info(`controller: ${t.name}-${p.partition} leader ${p.leader} -> ${next.leader} (epoch ${next.leaderEpoch}), ISR [${next.isr.join(',')}]`);
    });
  }

  /** Writes the completion of a reassignment (replicas = target, removing replicas out of the ISR). */
  private async writeAssignment(t: TopicImage, p: PartitionImage, next: PartitionAssignmentChange): Promise<boolean> {
    return this.guarded(async () => {
      await this.store.alterPartitionAssignment(t.topicId, p.partition, p.partitionEpoch ?? 0, next);
      this.opts.logger.info(`controller: ${t.name}-${p.partition} reassignment completed: replicas [${next.replicas.join(',')}], leader ${next.leader} (epoch ${next.leaderEpoch}), ISR [${next.isr.join(',')}]`);
    });
  }

  /** Runs one fenced write; false when a compare-and-swap was lost (looked at again) or this controller was deposed. */
  private async guarded(write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.NOT_CONTROLLER) {
        this.opts.logger.warn('controller: another broker won the controller election; stopping');
        this.stop();
        return false;
      }
      if (e instanceof KafkaError && (e.code === ErrorCode.INVALID_UPDATE_VERSION || e.code === ErrorCode.FENCED_LEADER_EPOCH || e.code === ErrorCode.UNKNOWN_TOPIC_ID || e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) {
        this.again = true; // someone else changed it (or the topic went): look again
        return false;
      }
      throw e;
    }
  }
}

function aliveOf(image: MetadataImage): Set<number> {
  return new Set(image.brokers().map((b) => b.nodeId));
}

function relevant(d: MetadataDelta): boolean {
  return (d.registeredBrokers?.length ?? 0) > 0 || (d.unregisteredBrokers?.length ?? 0) > 0 || (d.createdTopics?.length ?? 0) > 0 || (d.addedPartitions?.length ?? 0) > 0 || (d.changedPartitions?.length ?? 0) > 0;
}
