/**
 * Committed offsets (Kafka's OffsetMetadataManager for classic and simple groups): validating
 * and applying OffsetCommit, answering OffsetFetch, OffsetDelete, and expiring offsets by
 * retention. Commits and deletions are coordinator operations: they return the records to write
 * and the response, and the offsets change only when the coordinator replays those records.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { ClassicGroup, GroupState } from './group.js';
import { validateMember } from './join.js';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.js';
import { offsetCommitRecord, offsetTombstone, type CommittedOffset, type CoordinatorRecord } from './records.js';
import { groupAppendErrorCode } from '../coordinator/append-errors.js';
import type { CoordinatorResult } from '../coordinator/runtime.js';
import type { GroupRuntime } from './runtime.js';

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
export function commitOffsets(rt: Pick<GroupRuntime, 'scheduler' | 'settings'>, group: ClassicGroup, req: CommitRequest, known: (topic: string, partition: number) => boolean): CoordinatorResult<PartitionCode[]> {
  validateOffsetCommit(group, req);
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
export function failedCommitCodes(codes: readonly PartitionCode[], e: unknown): PartitionCode[] {
  const code = groupAppendErrorCode(e, 'committed offsets');
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

/** Offsets for the requested partitions (-1 where none is committed), or all of them when `topics` is null. */
export function fetchOffsets(group: ClassicGroup | undefined, topics: { name: string; partitions: number[] }[] | null): FetchedOffset[] {
  const out: FetchedOffset[] = [];
  if (topics === null) {
    if (!group) return out;
    for (const [topic, parts] of group.offsets) {
      for (const [partition, o] of parts) {
        out.push({ topic, partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE });
      }
    }
    return out;
  }
  for (const t of topics) {
    for (const partition of t.partitions) {
      const o = group?.offset(t.name, partition);
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
export function deleteOffsets(group: ClassicGroup, topics: { name: string; partitions: number[] }[]): CoordinatorResult<PartitionCode[]> {
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
      if (group.offset(t.name, partition)) records.push(offsetTombstone(group.groupId, t.name, partition));
    }
  }
  return { records, response: codes };
}

/** Tombstones for every committed offset of the group (DeleteGroups). */
export function allOffsetTombstones(group: ClassicGroup): CoordinatorRecord[] {
  const out: CoordinatorRecord[] = [];
  for (const [topic, parts] of group.offsets) for (const partition of parts.keys()) out.push(offsetTombstone(group.groupId, topic, partition));
  return out;
}

/**
 * Offsets past retention (Kafka 2.1+ semantics): an explicit expire timestamp wins; otherwise an
 * Empty group's offsets expire `retentionMs` after the group became empty (after the commit for
 * groups that never had members), and a consumer group's offsets for topics it no longer
 * subscribes to expire `retentionMs` after their commit.
 */
export function expiredOffsets(group: ClassicGroup, now: number, retentionMs: number): { topic: string; partition: number }[] {
  const out: { topic: string; partition: number }[] = [];
  let subscribed: Set<string> | null = null;
  let checkSubscription = false;
  if (!group.is(GroupState.Empty)) {
    if (group.protocolType !== CONSUMER_PROTOCOL_TYPE || !group.is(GroupState.Stable)) {
      // Only explicit expire timestamps apply while a non-consumer group is active.
    } else {
      subscribed = group.subscribedTopics();
      checkSubscription = subscribed !== null;
    }
  }
  for (const [topic, parts] of group.offsets) {
    for (const [partition, o] of parts) {
      let expired = false;
      if (o.expireTimestamp !== null) {
        expired = now >= o.expireTimestamp;
      } else if (group.is(GroupState.Empty)) {
        const base = group.protocolType !== null && group.protocolType !== '' && group.currentStateTimestamp !== null ? group.currentStateTimestamp : o.commitTimestamp;
        expired = now - base >= retentionMs;
      } else if (checkSubscription && !(subscribed as Set<string>).has(topic)) {
        expired = now - o.commitTimestamp >= retentionMs;
      }
      if (expired) out.push({ topic, partition });
    }
  }
  return out;
}
