/** What the group state machine needs from its surroundings: time, timers, settings, and the log. */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { log } from '../common/logger.js';
import type { CoordinatorRecord } from './records.js';
import type { Scheduler } from './scheduler.js';

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
  readonly settings: GroupSettings;
  /**
   * Appends records for `groupId` to its `__consumer_offsets` partition. Returns once they are in
   * the log; throws a KafkaError (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR) when they cannot be.
   */
  append(groupId: string, records: readonly CoordinatorRecord[]): void;
}

/** Appends and maps any failure to the error code a group API reports (Kafka's appendGroupMetadataErrorToResponseError). */
export function tryAppend(rt: GroupRuntime, groupId: string, records: readonly CoordinatorRecord[]): number {
  if (records.length === 0) return ErrorCode.NONE;
  try {
    rt.append(groupId, records);
    return ErrorCode.NONE;
  } catch (e) {
    if (e instanceof KafkaError) {
      if (e.code === ErrorCode.NOT_COORDINATOR || e.code === ErrorCode.COORDINATOR_NOT_AVAILABLE || e.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return e.code;
      if (e.code === ErrorCode.MESSAGE_TOO_LARGE || e.code === ErrorCode.RECORD_LIST_TOO_LARGE) return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    log.error(`appending ${records.length} record(s) for group ${groupId} to __consumer_offsets failed`, e);
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

/** Everything the group coordinator reads from the broker config. */
export interface GroupCoordinatorSettings extends GroupSettings {
  /** offsets.topic.num.partitions (used when `__consumer_offsets` does not exist yet). */
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicSegmentBytes: number;
  readonly offsetsRetentionCheckIntervalMs: number;
}
