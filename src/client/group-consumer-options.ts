/**
 * The options of the classic-group consumer (group-consumer.ts), its pluggable assignor, the poll
 * options, committed positions and the error of a call made in the wrong state.
 *
 * Kafka's rules kept: the option names follow the consumer configs (session.timeout.ms,
 * rebalance.timeout.ms / max.poll.interval.ms, heartbeat.interval.ms, auto.offset.reset,
 * enable.auto.commit, auto.commit.interval.ms, isolation.level); GroupAssignor mirrors
 * ConsumerPartitionAssignor (name, subscription user data, assign, onAssignment); a call in the
 * wrong state fails as IllegalStateException does. Samsa's deviations: none.
 */
import type { TopicPartition } from './partition-fetcher.js';

export type OffsetReset = 'earliest' | 'latest' | 'none';

export interface GroupConsumerOptions {
  groupId: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  autoOffsetReset?: OffsetReset;
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  isolationLevel?: number;
  /** Called with errors of background work (heartbeats, rejoining). */
  onError?: (e: unknown) => void;
  /** The assignor this member offers and, as leader, runs (default: Kafka's "range"). */
  assignor?: GroupAssignor;
  /** Called before each rebalance (after the auto commit), e.g. to flush and commit processed work. */
  onRevoke?: () => Promise<void>;
}

/** A partition assignor plugged into the group consumer (Kafka's ConsumerPartitionAssignor). */
export interface GroupAssignor {
  name: string;
  /** The subscription's user data this member sends (e.g. the tasks it owns, for stickiness). */
  userData?: () => Buffer | null;
  assign(members: readonly { memberId: string; metadata: Buffer }[], topics: ReadonlyMap<string, { partitions: readonly unknown[] }>): { memberId: string; assignment: Buffer }[];
  /** Told this member's assignment bytes after each successful SyncGroup (Kafka's onAssignment). */
  onAssignment?: (assignment: Buffer) => void;
}

export interface PollOptions {
  maxWaitMs: number;
  maxBytes: number;
  minBytes?: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: bigint;
  metadata?: string;
}

/** A consumer in the wrong state for the call (Kafka's IllegalStateException). */
export class IllegalStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
  }
}
