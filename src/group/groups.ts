/**
 * The kinds of group a group coordinator hosts, as one discriminated union on `type` (Kafka's
 * Group interface with its GroupType). Committed offsets are not part of any group: they live in
 * the OffsetStore (offset-store.ts), keyed by group id, whatever the group's kind.
 *
 * Kafka's rule: an API for one kind that finds a group of another kind fails: a classic API
 * (OffsetCommit with a generation, Heartbeat, SyncGroup, ...) answers GROUP_ID_NOT_FOUND, and a
 * JoinGroup that cannot convert the group answers INCONSISTENT_GROUP_PROTOCOL.
 * `asClassic` answers that mismatch for the classic APIs.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { ClassicGroup } from './group.js';
import type { ConsumerGroup } from './consumer/consumer-group.js';

export const GroupType = {
  Classic: 'classic',
  /** KIP-848 consumer groups (ConsumerGroupHeartbeat): consumer/consumer-group.ts. */
  Consumer: 'consumer',
  // Share: 'share' — KIP-932 share groups (ShareGroupHeartbeat), not implemented.
} as const;
export type GroupType = (typeof GroupType)[keyof typeof GroupType];

/** Every group kind: classic and KIP-848 consumer groups; `| ShareGroup` (KIP-932) goes here. */
export type Group = ClassicGroup | ConsumerGroup;

/** The group as a classic one, for the classic APIs; GROUP_ID_NOT_FOUND when it is of another kind. */
export function asClassic(group: Group): ClassicGroup {
  if (group.type !== GroupType.Classic) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${group.groupId} is not a classic group`);
  return group;
}
