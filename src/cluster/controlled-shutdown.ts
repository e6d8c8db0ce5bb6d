/**
 * Controlled shutdown (Kafka's `controlled.shutdown.enable`, KafkaController.onControlledShutdown /
 * KIP-841 in KRaft): before a broker closes, leadership of every partition it leads moves to
 * another ISR member and it leaves the ISRs, so producers see one retriable
 * NOT_LEADER_OR_FOLLOWER and a new leader at once instead of waiting out the broker's session.
 *
 * Kafka's rules:
 * - The broker asks the controller (ControlledShutdown request); the controller elects, for each
 *   partition it leads, the first replica in assignment order that is alive, in the ISR and not
 *   shutting down, and removes it from every ISR (not the last member: a partition nobody else
 *   can lead keeps it, and goes offline when it stops).
 * - The broker retries (`controlled.shutdown.max.retries`, `controlled.shutdown.retry.backoff.ms`
 *   between attempts) while partitions remain, then shuts down anyway.
 * - A broker in controlled shutdown is not added back to ISRs.
 *
 * Samsa's choice (docs/replication.md): the broker shutting down writes these elections itself,
 * with AlterPartition's compare-and-swap on each partition's epoch (the same write the start-up
 * step-down in broker/cluster-node.ts makes), using the controller's rule `electForShutdown`.
 * No request to the controller and no extra state in the registration: a lost compare (the
 * controller or a leader changed the partition meanwhile) is read again and retried, and the
 * controller never elects a broker that is out of the ISR. The caller stops its replica fetchers
 * first, so no leader sees it caught up and adds it back.
 */
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { MetadataImage } from '../metadata/image.js';
import type { PartitionStateChange } from './etcd/metadata-store.js';
import { electForShutdown, type PartitionState } from './partition-elections.js';

/** The writes controlled shutdown needs: the current image and AlterPartition with compare-and-swap. */
export interface PartitionStateWriter {
  image(): MetadataImage;
  alterPartition(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionStateChange): Promise<MetadataImage>;
}

export interface ControlledShutdownOptions {
  nodeId: number;
  /** controlled.shutdown.max.retries: attempts (at least one). */
  maxRetries: number;
  /** controlled.shutdown.retry.backoff.ms: the wait between attempts. */
  retryBackoffMs: number;
  scheduler: Scheduler;
  logger: Logger;
}

export interface ControlledShutdownResult {
  /** Partitions still led by the broker (or with it in the ISR) that another live ISR member could take. */
  remaining: number;
  /** Partitions whose leadership moved or whose ISR it left. */
  moved: number;
  attempts: number;
}

/** The changes that move `nodeId` out of leadership and ISRs, from `image`. */
export function shutdownChanges(image: MetadataImage, nodeId: number): { topicId: string; partition: number; from: PartitionState; to: PartitionState }[] {
  const alive = new Set(image.brokers().map((b) => b.nodeId));
  alive.add(nodeId);
  const out: { topicId: string; partition: number; from: PartitionState; to: PartitionState }[] = [];
  for (const t of image.topics()) {
    for (const p of t.partitions) {
      if (!p.isr.includes(nodeId) && p.leader !== nodeId) continue;
      const from: PartitionState = { replicas: p.replicas, isr: p.isr, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch ?? 0 };
      const to = electForShutdown(from, nodeId, alive);
      if (to !== null) out.push({ topicId: t.topicId, partition: p.partition, from, to });
    }
  }
  return out;
}

/**
 * Moves leadership and ISR membership off `opts.nodeId`, retrying lost compares; resolves with
 * what is left once nothing remains or the attempts are used up.
 */
export async function controlledShutdown(store: PartitionStateWriter, opts: ControlledShutdownOptions): Promise<ControlledShutdownResult> {
  const attempts = Math.max(1, opts.maxRetries);
  let moved = 0;
  for (let attempt = 1; ; attempt++) {
    // A lost compare is read again at once (a few passes); only what still fails waits for the backoff.
    for (let pass = 0; pass < 5; pass++) {
      let lost = 0;
      for (const c of shutdownChanges(store.image(), opts.nodeId)) {
        try {
          await store.alterPartition(c.topicId, c.partition, c.from.partitionEpoch, { leader: c.to.leader, leaderEpoch: c.to.leaderEpoch, isr: c.to.isr });
          moved++;
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          lost++; // changed meanwhile (a leader's ISR change, the controller, a deleted topic)
        }
      }
      if (lost === 0) break;
    }
    const remaining = shutdownChanges(store.image(), opts.nodeId).length;
    if (remaining === 0 || attempt >= attempts) {
      if (remaining > 0) opts.logger.warn(`controlled shutdown: ${remaining} partition(s) still need node ${opts.nodeId} after ${attempt} attempt(s); shutting down anyway`);
      return { remaining, moved, attempts: attempt };
    }
    opts.logger.info(`controlled shutdown: ${remaining} partition(s) left after attempt ${attempt}; retrying in ${opts.retryBackoffMs} ms`);
    await new Promise<void>((r) => opts.scheduler.schedule(opts.retryBackoffMs, r));
  }
}
