/**
 * The records of KIP-848 consumer groups in `__consumer_offsets`, in Kafka's formats: each key is
 * an int16 schema version (3 group epoch, 4 partition metadata, 5 member metadata, 6 target
 * assignment metadata, 7 target assignment member, 8 current member assignment) followed by the
 * generated struct; each value an int16 version (0) and its struct; a null value is a tombstone.
 */
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { decodeConsumerGroupMetadataKey, encodeConsumerGroupMetadataKey } from '../../protocol/generated/internal/consumer-group-metadata-key.js';
import { decodeConsumerGroupMetadataValue, encodeConsumerGroupMetadataValue } from '../../protocol/generated/internal/consumer-group-metadata-value.js';
import { decodeConsumerGroupPartitionMetadataKey, encodeConsumerGroupPartitionMetadataKey } from '../../protocol/generated/internal/consumer-group-partition-metadata-key.js';
import { decodeConsumerGroupPartitionMetadataValue, encodeConsumerGroupPartitionMetadataValue } from '../../protocol/generated/internal/consumer-group-partition-metadata-value.js';
import { decodeConsumerGroupMemberMetadataKey, encodeConsumerGroupMemberMetadataKey } from '../../protocol/generated/internal/consumer-group-member-metadata-key.js';
import { decodeConsumerGroupMemberMetadataValue, encodeConsumerGroupMemberMetadataValue } from '../../protocol/generated/internal/consumer-group-member-metadata-value.js';
import { decodeConsumerGroupTargetAssignmentMetadataKey, encodeConsumerGroupTargetAssignmentMetadataKey } from '../../protocol/generated/internal/consumer-group-target-assignment-metadata-key.js';
import { decodeConsumerGroupTargetAssignmentMetadataValue, encodeConsumerGroupTargetAssignmentMetadataValue } from '../../protocol/generated/internal/consumer-group-target-assignment-metadata-value.js';
import { decodeConsumerGroupTargetAssignmentMemberKey, encodeConsumerGroupTargetAssignmentMemberKey } from '../../protocol/generated/internal/consumer-group-target-assignment-member-key.js';
import { decodeConsumerGroupTargetAssignmentMemberValue, encodeConsumerGroupTargetAssignmentMemberValue } from '../../protocol/generated/internal/consumer-group-target-assignment-member-value.js';
import { decodeConsumerGroupCurrentMemberAssignmentKey, encodeConsumerGroupCurrentMemberAssignmentKey } from '../../protocol/generated/internal/consumer-group-current-member-assignment-key.js';
import { decodeConsumerGroupCurrentMemberAssignmentValue, encodeConsumerGroupCurrentMemberAssignmentValue } from '../../protocol/generated/internal/consumer-group-current-member-assignment-value.js';
import {
  fromTopicPartitionList,
  memberStateOf,
  toTopicPartitionList,
  type MemberAssignment,
  type MemberSubscription,
  type SubscribedTopic,
  type TopicPartitions,
} from './consumer-model.js';

export const ConsumerRecordKey = {
  GroupEpoch: 3,
  PartitionMetadata: 4,
  MemberMetadata: 5,
  TargetAssignmentMetadata: 6,
  TargetAssignmentMember: 7,
  CurrentMemberAssignment: 8,
} as const;

const VALUE_VERSION = 0;

export type DecodedConsumerRecord =
  | { type: 'group-epoch'; group: string; epoch: number | null }
  | { type: 'partition-metadata'; group: string; topics: SubscribedTopic[] | null }
  | { type: 'member-metadata'; group: string; memberId: string; value: MemberSubscription | null }
  | { type: 'target-epoch'; group: string; epoch: number | null }
  | { type: 'target-member'; group: string; memberId: string; partitions: TopicPartitions | null }
  | { type: 'current-assignment'; group: string; memberId: string; value: MemberAssignment | null };

function versioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  body(w);
  return w.toBuffer();
}

function value(body: (w: Writer) => void): Buffer {
  return versioned(VALUE_VERSION, body);
}

const groupKey = (group: string): Buffer => versioned(ConsumerRecordKey.GroupEpoch, (w) => encodeConsumerGroupMetadataKey(w, { groupId: group }, ConsumerRecordKey.GroupEpoch));
const partitionMetadataKey = (group: string): Buffer =>
  versioned(ConsumerRecordKey.PartitionMetadata, (w) => encodeConsumerGroupPartitionMetadataKey(w, { groupId: group }, ConsumerRecordKey.PartitionMetadata));
const memberKey = (group: string, memberId: string): Buffer =>
  versioned(ConsumerRecordKey.MemberMetadata, (w) => encodeConsumerGroupMemberMetadataKey(w, { groupId: group, memberId }, ConsumerRecordKey.MemberMetadata));
const targetEpochKey = (group: string): Buffer =>
  versioned(ConsumerRecordKey.TargetAssignmentMetadata, (w) => encodeConsumerGroupTargetAssignmentMetadataKey(w, { groupId: group }, ConsumerRecordKey.TargetAssignmentMetadata));
const targetMemberKey = (group: string, memberId: string): Buffer =>
  versioned(ConsumerRecordKey.TargetAssignmentMember, (w) => encodeConsumerGroupTargetAssignmentMemberKey(w, { groupId: group, memberId }, ConsumerRecordKey.TargetAssignmentMember));
const currentKey = (group: string, memberId: string): Buffer =>
  versioned(ConsumerRecordKey.CurrentMemberAssignment, (w) => encodeConsumerGroupCurrentMemberAssignmentKey(w, { groupId: group, memberId }, ConsumerRecordKey.CurrentMemberAssignment));

export function groupEpochRecord(group: string, epoch: number): CoordinatorRecord {
  return { key: groupKey(group), value: value((w) => encodeConsumerGroupMetadataValue(w, { epoch }, VALUE_VERSION)) };
}

export function partitionMetadataRecord(group: string, topics: readonly SubscribedTopic[]): CoordinatorRecord {
  return {
    key: partitionMetadataKey(group),
    value: value((w) =>
      encodeConsumerGroupPartitionMetadataValue(
        w,
        {
          topics: topics.map((t) => ({
            topicId: t.topicId,
            topicName: t.name,
            numPartitions: t.numPartitions,
            partitionMetadata: (t.partitionRacks ?? []).map((racks, partition) => ({ partition, racks: [...racks] })),
          })),
        },
        VALUE_VERSION,
      ),
    ),
  };
}

export function memberMetadataRecord(group: string, memberId: string, s: MemberSubscription): CoordinatorRecord {
  return { key: memberKey(group, memberId), value: value((w) => encodeConsumerGroupMemberMetadataValue(w, { ...s, classicMemberMetadata: s.classic ?? null }, VALUE_VERSION)) };
}

export function targetEpochRecord(group: string, epoch: number): CoordinatorRecord {
  return { key: targetEpochKey(group), value: value((w) => encodeConsumerGroupTargetAssignmentMetadataValue(w, { assignmentEpoch: epoch }, VALUE_VERSION)) };
}

export function targetMemberRecord(group: string, memberId: string, partitions: TopicPartitions): CoordinatorRecord {
  return { key: targetMemberKey(group, memberId), value: value((w) => encodeConsumerGroupTargetAssignmentMemberValue(w, { topicPartitions: toTopicPartitionList(partitions) }, VALUE_VERSION)) };
}

export function currentAssignmentRecord(group: string, memberId: string, a: MemberAssignment): CoordinatorRecord {
  return {
    key: currentKey(group, memberId),
    value: value((w) =>
      encodeConsumerGroupCurrentMemberAssignmentValue(
        w,
        {
          memberEpoch: a.memberEpoch,
          previousMemberEpoch: a.previousMemberEpoch,
          state: a.state,
          assignedPartitions: toTopicPartitionList(a.assigned),
          partitionsPendingRevocation: toTopicPartitionList(a.pendingRevocation),
        },
        VALUE_VERSION,
      ),
    ),
  };
}

/** The tombstones removing a member, in Kafka's order (current assignment, target, subscription). */
export function memberTombstones(group: string, memberId: string): CoordinatorRecord[] {
  return [
    { key: currentKey(group, memberId), value: null },
    { key: targetMemberKey(group, memberId), value: null },
    { key: memberKey(group, memberId), value: null },
  ];
}

/** The tombstones removing an empty group (its target epoch, subscription metadata and epoch). */
export function groupTombstones(group: string): CoordinatorRecord[] {
  return [
    { key: targetEpochKey(group), value: null },
    { key: partitionMetadataKey(group), value: null },
    { key: groupKey(group), value: null },
  ];
}

/** Whether a key version is one of a consumer group's records. */
export function isConsumerRecordKey(keyVersion: number): boolean {
  return keyVersion >= ConsumerRecordKey.GroupEpoch && keyVersion <= ConsumerRecordKey.CurrentMemberAssignment;
}

/** A topic of ConsumerGroupPartitionMetadata, with its partitions' racks when any were written (bounded by its partition count). */
function decodeSubscribedTopic(t: { topicId: string; topicName: string; numPartitions: number; partitionMetadata: readonly { partition: number; racks: readonly string[] }[] }): SubscribedTopic {
  const base = { topicId: t.topicId, name: t.topicName, numPartitions: t.numPartitions };
  if (t.partitionMetadata.length === 0) return base;
  let count = 0;
  for (const pm of t.partitionMetadata) if (pm.partition >= 0 && pm.partition < t.numPartitions) count = Math.max(count, pm.partition + 1);
  const racks: string[][] = Array.from({ length: count }, () => []);
  for (const pm of t.partitionMetadata) {
    const slot = racks[pm.partition];
    if (slot !== undefined) slot.push(...pm.racks);
  }
  return { ...base, partitionRacks: racks.map((r) => [...new Set(r)].sort()) };
}

/** Decodes a consumer group record whose key (after its version) is in `kr`. Throws on malformed data. */
export function decodeConsumerRecord(keyVersion: number, kr: Reader, raw: Buffer | null): DecodedConsumerRecord {
  const vr = raw === null ? null : new Reader(raw);
  const vv = vr === null ? 0 : vr.readInt16();
  switch (keyVersion) {
    case ConsumerRecordKey.GroupEpoch: {
      const k = decodeConsumerGroupMetadataKey(kr, keyVersion);
      return { type: 'group-epoch', group: k.groupId, epoch: vr === null ? null : decodeConsumerGroupMetadataValue(vr, vv).epoch };
    }
    case ConsumerRecordKey.PartitionMetadata: {
      const k = decodeConsumerGroupPartitionMetadataKey(kr, keyVersion);
      const topics = vr === null ? null : decodeConsumerGroupPartitionMetadataValue(vr, vv).topics.map(decodeSubscribedTopic);
      return { type: 'partition-metadata', group: k.groupId, topics };
    }
    case ConsumerRecordKey.MemberMetadata: {
      const k = decodeConsumerGroupMemberMetadataKey(kr, keyVersion);
      if (vr === null) return { type: 'member-metadata', group: k.groupId, memberId: k.memberId, value: null };
      const v = decodeConsumerGroupMemberMetadataValue(vr, vv);
      return {
        type: 'member-metadata',
        group: k.groupId,
        memberId: k.memberId,
        value: {
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: v.subscribedTopicNames,
          subscribedTopicRegex: v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          serverAssignor: v.serverAssignor,
          classic: v.classicMemberMetadata,
        },
      };
    }
    case ConsumerRecordKey.TargetAssignmentMetadata: {
      const k = decodeConsumerGroupTargetAssignmentMetadataKey(kr, keyVersion);
      return { type: 'target-epoch', group: k.groupId, epoch: vr === null ? null : decodeConsumerGroupTargetAssignmentMetadataValue(vr, vv).assignmentEpoch };
    }
    case ConsumerRecordKey.TargetAssignmentMember: {
      const k = decodeConsumerGroupTargetAssignmentMemberKey(kr, keyVersion);
      const partitions = vr === null ? null : fromTopicPartitionList(decodeConsumerGroupTargetAssignmentMemberValue(vr, vv).topicPartitions);
      return { type: 'target-member', group: k.groupId, memberId: k.memberId, partitions };
    }
    default: {
      const k = decodeConsumerGroupCurrentMemberAssignmentKey(kr, keyVersion);
      if (vr === null) return { type: 'current-assignment', group: k.groupId, memberId: k.memberId, value: null };
      const v = decodeConsumerGroupCurrentMemberAssignmentValue(vr, vv);
      return {
        type: 'current-assignment',
        group: k.groupId,
        memberId: k.memberId,
        value: {
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: memberStateOf(v.state),
          assigned: fromTopicPartitionList(v.assignedPartitions),
          pendingRevocation: fromTopicPartitionList(v.partitionsPendingRevocation),
        },
      };
    }
  }
}
