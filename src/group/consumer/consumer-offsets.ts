/**
 * Offset commits and fetches of KIP-848 consumer groups (Kafka's ConsumerGroup
 * validateOffsetCommit / validateOffsetFetch): a commit with a negative member epoch is an admin's
 * (or a standalone consumer's) and is accepted only while the group has no members; otherwise
 * the member must exist (UNKNOWN_MEMBER_ID), use OffsetCommit v9+ (UNSUPPORTED_VERSION: older
 * versions carry a generation, not a member epoch), and give its current epoch
 * (STALE_MEMBER_EPOCH: the client refreshes its epoch by heartbeating and retries).
 * Transactional commits without member information are accepted as Kafka does. A classic member
 * of a migrated group (classic-members.ts) commits with any version and its generation, which must
 * be its member epoch (ILLEGAL_GENERATION otherwise).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { ConsumerGroup } from './consumer-group.js';

function validateEpoch(group: ConsumerGroup, memberId: string, memberEpoch: number): void {
  if (!group.hasMember(memberId)) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}`);
  const expected = group.assignment(memberId).memberEpoch;
  if (memberEpoch !== expected) throw new KafkaError(ErrorCode.STALE_MEMBER_EPOCH, `The member epoch ${memberEpoch} is not the current epoch ${expected} of member ${memberId}`);
}

export function validateConsumerOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, apiVersion: number, transactional: boolean): void {
  if (group.is('Dead')) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (memberEpoch < 0 && group.size === 0) return;
  if (transactional && memberEpoch === -1 && memberId === '') return;
  if (!group.hasMember(memberId)) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}`);
  if (group.subscriptions.get(memberId)?.classic) {
    // A classic member (online migration) commits with its generation, which is its member epoch.
    if (memberEpoch !== group.assignment(memberId).memberEpoch) throw new KafkaError(ErrorCode.ILLEGAL_GENERATION, `The generation ${memberEpoch} is not the current generation ${group.assignment(memberId).memberEpoch} of classic member ${memberId}`);
    return;
  }
  if (!transactional && apiVersion < 9) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'A member of a consumer group (KIP-848) must commit with OffsetCommit v9 or later');
  validateEpoch(group, memberId, memberEpoch);
}

/** OffsetFetch v9+: a member's fetch carries its id and epoch; an admin's carries neither. */
export function validateConsumerOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): void {
  if (memberEpoch < 0 && (memberId === null || memberId === '')) return;
  validateEpoch(group, memberId ?? '', memberEpoch);
}
