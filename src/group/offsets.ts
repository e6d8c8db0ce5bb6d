/**
 * The offset APIs (Kafka's OffsetMetadataManager operations for classic and simple groups):
 * validating OffsetCommit, answering OffsetFetch and OffsetDelete from the OffsetStore
 * (offset-store.ts). Commits and deletions are coordinator operations: they return the records
 * to write and the response, and the store changes only when the coordinator replays those
 * records.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { ClassicGroup, GroupState } from './group.js';
import { GroupType, type Group } from './groups.js';
import { validateConsumerOffsetCommit } from './consumer/consumer-offsets.js';
import { validateMember } from './join.js';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.js';
import { offsetCommitRecord, offsetTombstone, type CommittedOffset, type CoordinatorRecord } from './records.js';
import { groupAppendErrorCode } from '../coordinator/append-errors.js';
import type { OffsetStore } from './offset-store.js';
import type { CoordinatorResult } from '../coordinator/runtime.js';
import type { GroupRuntime } from './runtime.js';
import type { Logger } from '../common/logger.js';

export interface CommitPartition {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** Only OffsetCommit v1 carries a client timestamp; -1 otherwise. */
  commitTimestamp: number;
}

export interface CommitRequest {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  /** OffsetCommit v2-v4 retention time; -1 for the broker default. */
  retentionTimeMs: number;
  /** The request's version (a consumer group member must use v9+); the latest when absent. */
  apiVersion?: number;
  partitions: CommitPartition[];
}

/** Kafka's ClassicGroup.validateOffsetCommit; throws the KafkaError every partition reports. */
export function validateOffsetCommit(group: ClassicGroup, req: CommitRequest): void {
  if (group.is(GroupState.Dead)) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  // Generation -1 from a consumer that assigns partitions itself (or an admin): only into an empty group.
  if (req.generationId < 0 && group.is(GroupState.Empty)) return;
  if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    const code = validateMember(group, req.memberId, req.groupInstanceId);
    if (code !== ErrorCode.NONE) throw new KafkaError(code);
    if (req.generationId !== group.generationId) throw new KafkaError(ErrorCode.ILLEGAL_GENERATION);
  } else if (!group.is(GroupState.Empty)) {
    throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
  }
  if (group.is(GroupState.CompletingRebalance)) throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS);
}

export interface PartitionCode {
  topic: string;
  partition: number;
  errorCode: number;
}

/**
 * OffsetCommit as a coordinator operation: validates the commit (throwing the KafkaError every
 * partition reports) and returns the records to write with one code per partition, in request
 * order. Partitions have already been checked against topic metadata (`known`). Nothing changes
 * here: the offsets become the group's when the records are replayed.
 */
export function commitOffsets(rt: Pick<GroupRuntime, 'scheduler' | 'settings'>, group: Group, req: CommitRequest, known: (topic: string, partition: number) => boolean): CoordinatorResult<PartitionCode[]> {
  if (group.type === GroupType.Classic) validateOffsetCommit(group, req);
  else validateConsumerOffsetCommit(group, req.memberId, req.generationId, req.apiVersion ?? 9, false);
  const now = rt.scheduler.now();
  const records: CoordinatorRecord[] = [];
  const codes = req.partitions.map((p): PartitionCode => {
    if (!known(p.topic, p.partition)) return { topic: p.topic, partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (p.metadata !== null && Buffer.byteLength(p.metadata, 'utf8') > rt.settings.offsetMetadataMaxBytes) {
      return { topic: p.topic, partition: p.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
    }
    const commitTimestamp = p.commitTimestamp >= 0 ? p.commitTimestamp : now;
    const value: CommittedOffset = {
      offset: p.offset,
      leaderEpoch: p.leaderEpoch,
      metadata: p.metadata ?? '',
      commitTimestamp,
      expireTimestamp: req.retentionTimeMs >= 0 ? commitTimestamp + req.retentionTimeMs : null,
    };
    records.push(offsetCommitRecord(group.groupId, p.topic, p.partition, value));
    return { topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE };
  });
  return { records, response: codes };
}

/** The codes of a commit whose append or commit failed: partitions that would have been committed report Kafka's mapping of the error. */
export function failedCommitCodes(codes: readonly PartitionCode[], e: unknown, logger: Logger): PartitionCode[] {
  const code = groupAppendErrorCode(e, 'committed offsets', logger);
  return codes.map((c) => (c.errorCode === ErrorCode.NONE ? { ...c, errorCode: code } : c));
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

/** The group's offsets for the requested partitions (-1 where none is committed), or all of them when `topics` is null. */
export function fetchOffsets(store: OffsetStore, groupId: string, topics: { name: string; partitions: number[] }[] | null): FetchedOffset[] {
  if (topics === null) {
    return store.offsetsOf(groupId).map(({ topic, partition, value: o }) => ({ topic, partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }));
  }
  const out: FetchedOffset[] = [];
  for (const t of topics) {
    for (const partition of t.partitions) {
      const o = store.offset(groupId, t.name, partition);
      out.push(
        o
          ? { topic: t.name, partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
          : { topic: t.name, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
      );
    }
  }
  return out;
}

/** Whether the group's members subscribe to `topic` (unknown subscriptions count as subscribed). */
function isSubscribedTo(group: ClassicGroup, topic: string): boolean {
  if (group.size === 0) return false;
  const topics = group.subscribedTopics();
  return topics === null ? true : topics.has(topic);
}

/** OffsetDelete as a coordinator operation: the tombstones to write and the per-partition codes. Throws the group-level error. */
export function deleteOffsets(store: OffsetStore, group: ClassicGroup, topics: { name: string; partitions: number[] }[]): CoordinatorResult<PartitionCode[]> {
  if (group.is(GroupState.Dead)) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND);
  if (!group.is(GroupState.Empty) && group.protocolType !== CONSUMER_PROTOCOL_TYPE) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP);
  const records: CoordinatorRecord[] = [];
  const codes: PartitionCode[] = [];
  for (const t of topics) {
    const subscribed = isSubscribedTo(group, t.name);
    for (const partition of t.partitions) {
      if (subscribed) {
        codes.push({ topic: t.name, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
        continue;
      }
      codes.push({ topic: t.name, partition, errorCode: ErrorCode.NONE });
      if (store.offset(group.groupId, t.name, partition)) records.push(offsetTombstone(group.groupId, t.name, partition));
    }
  }
  return { records, response: codes };
}

/** Tombstones for every committed offset of the group (DeleteGroups). */
export function allOffsetTombstones(store: OffsetStore, groupId: string): CoordinatorRecord[] {
  return store.partitionsOf(groupId).map((tp) => offsetTombstone(groupId, tp.topic, tp.partition));
}
