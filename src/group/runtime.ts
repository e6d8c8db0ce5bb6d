/**
 * What the group state machine needs from its surroundings: time, timers, settings, and a way to
 * write records (which change the state only by being replayed once committed).
 */
import { groupAppendErrorCode } from '../coordinator/append-errors.js';
import type { CoordinatorRecord } from '../coordinator/runtime.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from './scheduler.js';
import type { ConsumerGroupSettings } from './consumer/consumer-heartbeat.js';

export interface GroupSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
  /** How long a new member's JoinGroup may wait before it is dropped (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
}

export interface GroupRuntime {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly settings: GroupSettings;
  /**
   * Writes records for `groupId` to its `__consumer_offsets` partition. Once they are committed
   * they are replayed into the coordinator's state, then `done` is called with NONE; when they
   * cannot be written, nothing changes and `done` gets the error code a group API reports.
   */
  write(groupId: string, records: readonly CoordinatorRecord[], done: (errorCode: number) => void): void;
  /** Told when a group completes a rebalance (a new generation), for the coordinator's metrics. */
  rebalanceCompleted?(): void;
}

/** Kafka's appendGroupMetadataErrorToResponseError: the code a group API reports for a failed append or commit. */
export function appendErrorCode(e: unknown, what: string, logger: Logger): number {
  return groupAppendErrorCode(e, `${what} to __consumer_offsets`, logger);
}

/** Everything the group coordinator reads from the broker config. */
export interface GroupCoordinatorSettings extends GroupSettings {
  /** offsets.topic.num.partitions (used when `__consumer_offsets` does not exist yet). */
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicSegmentBytes: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  /** KIP-848 consumer groups (group.consumer.*); absent: Kafka's defaults. */
  readonly consumerGroups?: ConsumerGroupSettings;
}
