/**
 * The records of KIP-932 share groups in `__consumer_offsets`, in Kafka's formats: each key is an
 * int16 schema version (9 partition metadata, 10 member metadata, 11 group epoch, 12 target
 * assignment metadata, 13 target assignment member, 14 current member assignment, 15 state
 * partition metadata) followed by the generated struct; each value an int16 version (0) and its
 * struct; a null value is a tombstone.
 *
 * Samsa writes 10-15 as Kafka 4.1 does; 9 (Kafka 4.0's subscription metadata, deprecated since)
 * is read and ignored.
 */
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { decodeShareGroupPartitionMetadataKey } from '../../protocol/generated/internal/share-group-partition-metadata-key.js';
import { decodeShareGroupMemberMetadataKey, encodeShareGroupMemberMetadataKey } from '../../protocol/generated/internal/share-group-member-metadata-key.js';
import { decodeShareGroupMemberMetadataValue, encodeShareGroupMemberMetadataValue } from '../../protocol/generated/internal/share-group-member-metadata-value.js';
import { decodeShareGroupMetadataKey, encodeShareGroupMetadataKey } from '../../protocol/generated/internal/share-group-metadata-key.js';
import { decodeShareGroupMetadataValue, encodeShareGroupMetadataValue } from '../../protocol/generated/internal/share-group-metadata-value.js';
import { decodeShareGroupTargetAssignmentMetadataKey, encodeShareGroupTargetAssignmentMetadataKey } from '../../protocol/generated/internal/share-group-target-assignment-metadata-key.js';
import { decodeShareGroupTargetAssignmentMetadataValue, encodeShareGroupTargetAssignmentMetadataValue } from '../../protocol/generated/internal/share-group-target-assignment-metadata-value.js';
import { decodeShareGroupTargetAssignmentMemberKey, encodeShareGroupTargetAssignmentMemberKey } from '../../protocol/generated/internal/share-group-target-assignment-member-key.js';
import { decodeShareGroupTargetAssignmentMemberValue, encodeShareGroupTargetAssignmentMemberValue } from '../../protocol/generated/internal/share-group-target-assignment-member-value.js';
import { decodeShareGroupCurrentMemberAssignmentKey, encodeShareGroupCurrentMemberAssignmentKey } from '../../protocol/generated/internal/share-group-current-member-assignment-key.js';
import { decodeShareGroupCurrentMemberAssignmentValue, encodeShareGroupCurrentMemberAssignmentValue } from '../../protocol/generated/internal/share-group-current-member-assignment-value.js';
import { decodeShareGroupStatePartitionMetadataKey, encodeShareGroupStatePartitionMetadataKey } from '../../protocol/generated/internal/share-group-state-partition-metadata-key.js';
import { decodeShareGroupStatePartitionMetadataValue, encodeShareGroupStatePartitionMetadataValue } from '../../protocol/generated/internal/share-group-state-partition-metadata-value.js';

export const ShareRecordKey = {
  PartitionMetadata: 9,
  MemberMetadata: 10,
  GroupEpoch: 11,
  TargetAssignmentMetadata: 12,
  TargetAssignmentMember: 13,
  CurrentMemberAssignment: 14,
  StatePartitionMetadata: 15,
} as const;

const VALUE_VERSION = 0;
/** Kafka's MemberState.STABLE: a share member is always at its target. */
const MEMBER_STATE_STABLE = 0;

/** topic id → partitions. */
export type ShareAssignment = Map<string, number[]>;

export interface ShareMemberSubscription {
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
}

export interface ShareCurrentAssignment {
  memberEpoch: number;
  previousMemberEpoch: number;
  assigned: ShareAssignment;
}

export interface InitializedTopic {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export type DecodedShareRecord =
  | { type: 'group-epoch'; group: string; epoch: number | null }
  | { type: 'member-metadata'; group: string; memberId: string; value: ShareMemberSubscription | null }
  | { type: 'target-epoch'; group: string; epoch: number | null }
  | { type: 'target-member'; group: string; memberId: string; partitions: ShareAssignment | null }
  | { type: 'current-assignment'; group: string; memberId: string; value: ShareCurrentAssignment | null }
  | { type: 'state-partitions'; group: string; initialized: InitializedTopic[] | null }
  | { type: 'ignored'; group: string };

function versioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  body(w);
  return w.toBuffer();
}

const value = (body: (w: Writer) => void): Buffer => versioned(VALUE_VERSION, body);
const groupKey = (group: string): Buffer => versioned(ShareRecordKey.GroupEpoch, (w) => encodeShareGroupMetadataKey(w, { groupId: group }, ShareRecordKey.GroupEpoch));
const memberKey = (group: string, memberId: string): Buffer => versioned(ShareRecordKey.MemberMetadata, (w) => encodeShareGroupMemberMetadataKey(w, { groupId: group, memberId }, ShareRecordKey.MemberMetadata));
const targetEpochKey = (group: string): Buffer =>
  versioned(ShareRecordKey.TargetAssignmentMetadata, (w) => encodeShareGroupTargetAssignmentMetadataKey(w, { groupId: group }, ShareRecordKey.TargetAssignmentMetadata));
const targetMemberKey = (group: string, memberId: string): Buffer =>
  versioned(ShareRecordKey.TargetAssignmentMember, (w) => encodeShareGroupTargetAssignmentMemberKey(w, { groupId: group, memberId }, ShareRecordKey.TargetAssignmentMember));
const currentKey = (group: string, memberId: string): Buffer =>
  versioned(ShareRecordKey.CurrentMemberAssignment, (w) => encodeShareGroupCurrentMemberAssignmentKey(w, { groupId: group, memberId }, ShareRecordKey.CurrentMemberAssignment));
const statePartitionsKey = (group: string): Buffer =>
  versioned(ShareRecordKey.StatePartitionMetadata, (w) => encodeShareGroupStatePartitionMetadataKey(w, { groupId: group }, ShareRecordKey.StatePartitionMetadata));

const toList = (a: ShareAssignment): { topicId: string; partitions: number[] }[] => [...a].map(([topicId, partitions]) => ({ topicId, partitions }));
const fromList = (l: readonly { topicId: string; partitions: readonly number[] }[]): ShareAssignment => new Map(l.map((t) => [t.topicId, [...t.partitions]]));

export function shareGroupEpochRecord(group: string, epoch: number): CoordinatorRecord {
  return { key: groupKey(group), value: value((w) => encodeShareGroupMetadataValue(w, { epoch }, VALUE_VERSION)) };
}

export function shareMemberRecord(group: string, memberId: string, s: ShareMemberSubscription): CoordinatorRecord {
  return { key: memberKey(group, memberId), value: value((w) => encodeShareGroupMemberMetadataValue(w, s, VALUE_VERSION)) };
}

export function shareTargetEpochRecord(group: string, epoch: number): CoordinatorRecord {
  return { key: targetEpochKey(group), value: value((w) => encodeShareGroupTargetAssignmentMetadataValue(w, { assignmentEpoch: epoch }, VALUE_VERSION)) };
}

export function shareTargetMemberRecord(group: string, memberId: string, a: ShareAssignment): CoordinatorRecord {
  return { key: targetMemberKey(group, memberId), value: value((w) => encodeShareGroupTargetAssignmentMemberValue(w, { topicPartitions: toList(a) }, VALUE_VERSION)) };
}

export function shareCurrentAssignmentRecord(group: string, memberId: string, a: ShareCurrentAssignment): CoordinatorRecord {
  return {
    key: currentKey(group, memberId),
    value: value((w) =>
      encodeShareGroupCurrentMemberAssignmentValue(w, { memberEpoch: a.memberEpoch, previousMemberEpoch: a.previousMemberEpoch, state: MEMBER_STATE_STABLE, assignedPartitions: toList(a.assigned) }, VALUE_VERSION),
    ),
  };
}

export function shareStatePartitionsRecord(group: string, initialized: readonly InitializedTopic[]): CoordinatorRecord {
  return {
    key: statePartitionsKey(group),
    value: value((w) => encodeShareGroupStatePartitionMetadataValue(w, { initializedTopics: initialized.map((t) => ({ topicId: t.topicId, topicName: t.topicName, partitions: t.partitions })), deletingTopics: [] }, VALUE_VERSION)),
  };
}

/** The tombstones removing a member, in Kafka's order (current assignment, target, subscription). */
export function shareMemberTombstones(group: string, memberId: string): CoordinatorRecord[] {
  return [
    { key: currentKey(group, memberId), value: null },
    { key: targetMemberKey(group, memberId), value: null },
    { key: memberKey(group, memberId), value: null },
  ];
}

/** The tombstones removing an empty share group (state partitions, target epoch, epoch). */
export function shareGroupTombstones(group: string): CoordinatorRecord[] {
  return [
    { key: statePartitionsKey(group), value: null },
    { key: targetEpochKey(group), value: null },
    { key: groupKey(group), value: null },
  ];
}

/** Whether a key version is one of a share group's records. */
export function isShareRecordKey(keyVersion: number): boolean {
  return keyVersion >= ShareRecordKey.PartitionMetadata && keyVersion <= ShareRecordKey.StatePartitionMetadata;
}

/** Decodes a share group record whose key (after its version) is in `kr`. Throws on malformed data. */
export function decodeShareRecord(keyVersion: number, kr: Reader, raw: Buffer | null): DecodedShareRecord {
  const vr = raw === null ? null : new Reader(raw);
  const vv = vr === null ? 0 : vr.readInt16();
  switch (keyVersion) {
    case ShareRecordKey.PartitionMetadata:
      return { type: 'ignored', group: decodeShareGroupPartitionMetadataKey(kr, keyVersion).groupId };
    case ShareRecordKey.MemberMetadata: {
      const k = decodeShareGroupMemberMetadataKey(kr, keyVersion);
      if (vr === null) return { type: 'member-metadata', group: k.groupId, memberId: k.memberId, value: null };
      const v = decodeShareGroupMemberMetadataValue(vr, vv);
      return { type: 'member-metadata', group: k.groupId, memberId: k.memberId, value: { rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost, subscribedTopicNames: v.subscribedTopicNames } };
    }
    case ShareRecordKey.GroupEpoch: {
      const k = decodeShareGroupMetadataKey(kr, keyVersion);
      return { type: 'group-epoch', group: k.groupId, epoch: vr === null ? null : decodeShareGroupMetadataValue(vr, vv).epoch };
    }
    case ShareRecordKey.TargetAssignmentMetadata: {
      const k = decodeShareGroupTargetAssignmentMetadataKey(kr, keyVersion);
      return { type: 'target-epoch', group: k.groupId, epoch: vr === null ? null : decodeShareGroupTargetAssignmentMetadataValue(vr, vv).assignmentEpoch };
    }
    case ShareRecordKey.TargetAssignmentMember: {
      const k = decodeShareGroupTargetAssignmentMemberKey(kr, keyVersion);
      return { type: 'target-member', group: k.groupId, memberId: k.memberId, partitions: vr === null ? null : fromList(decodeShareGroupTargetAssignmentMemberValue(vr, vv).topicPartitions) };
    }
    case ShareRecordKey.CurrentMemberAssignment: {
      const k = decodeShareGroupCurrentMemberAssignmentKey(kr, keyVersion);
      if (vr === null) return { type: 'current-assignment', group: k.groupId, memberId: k.memberId, value: null };
      const v = decodeShareGroupCurrentMemberAssignmentValue(vr, vv);
      return { type: 'current-assignment', group: k.groupId, memberId: k.memberId, value: { memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch, assigned: fromList(v.assignedPartitions) } };
    }
    default: {
      const k = decodeShareGroupStatePartitionMetadataKey(kr, keyVersion);
      const initialized = vr === null ? null : decodeShareGroupStatePartitionMetadataValue(vr, vv).initializedTopics.map((t) => ({ topicId: t.topicId, topicName: t.topicName, partitions: t.partitions }));
      return { type: 'state-partitions', group: k.groupId, initialized };
    }
  }
}
