/**
 * KIP-848 online migration from a classic group to a consumer group (Kafka 4's
 * `group.consumer.migration.policy`, default BIDIRECTIONAL; UPGRADE and BIDIRECTIONAL allow it).
 *
 * Kafka's rule (ConsumerGroup.fromClassicGroup): when a member using the consumer protocol
 * (ConsumerGroupHeartbeat) joins a classic group that has members, and every member of it uses
 * the `consumer` protocol type, the classic group becomes a consumer group: each classic member
 * becomes a consumer group member carrying ClassicMemberMetadata (its session timeout and
 * supported protocols), its subscription decoded from its JoinGroup metadata, its target and
 * current assignment decoded from the group's assignment, at member epoch = group epoch =
 * assignment epoch = the classic generation. The records written are the classic group's
 * tombstone followed by the consumer group's records; the heartbeat that triggered the
 * conversion is then processed against the converted group.
 * The classic members keep speaking the classic protocol to it (classic-members.ts).
 *
 * A classic group with more members than group.consumer.max.size is not converted
 * (GROUP_ID_NOT_FOUND, Kafka's validateOnlineUpgrade); one at the limit is, and the joining member
 * then gets GROUP_MAX_SIZE_REACHED (nothing is written).
 *
 * Deviation: the conversion happens in any classic group state (members with a JoinGroup or
 * SyncGroup pending get COORDINATOR_NOT_AVAILABLE when the classic group's tombstone is replayed,
 * and rejoin). The downgrade is in classic-downgrade.ts.
 *
 * An empty group converts offline in either direction whatever the policy (as in Kafka): an empty
 * classic group becomes a consumer group on the first ConsumerGroupHeartbeat (consumer-groups.ts),
 * and an empty consumer group is removed (its records tombstoned, its committed offsets kept) when
 * a classic member joins, which then creates a classic group (`removeEmptyConsumerGroup`).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import { decodeAssignment, decodeSubscription, CONSUMER_PROTOCOL_TYPE } from '../../protocol/consumer-protocol.js';
import type { ClassicGroup } from '../group.js';
import { decodeCoordinatorRecord, groupTombstone } from '../records.js';
import { GroupType } from '../groups.js';
import { ConsumerGroup } from './consumer-group.js';
import type { ConsumerGroupSettings, TopicCatalog } from './consumer-heartbeat.js';
import { subscriptionMetadata } from './consumer-heartbeat.js';
import { MemberState, NO_PARTITIONS, type MemberSubscription, type TopicPartitions } from './consumer-model.js';
import type { ConsumerGroupHost } from './consumer-groups.js';
import {
  currentAssignmentRecord,
  groupTombstones,
  groupEpochRecord,
  memberMetadataRecord,
  partitionMetadataRecord,
  targetEpochRecord,
  targetMemberRecord,
} from './consumer-records.js';

/** Whether the policy allows classic → consumer. */
export function upgradeAllowed(settings: ConsumerGroupSettings): boolean {
  const p = settings.migrationPolicy ?? 'bidirectional';
  return p === 'upgrade' || p === 'bidirectional';
}

/** Topic names → ids (topics that do not exist are left out, as Kafka's conversion does). */
function toTopicIds(list: readonly { topic: string; partitions: readonly number[] }[], topics: TopicCatalog): TopicPartitions {
  const m = new Map<string, Set<number>>();
  for (const tp of list) {
    const id = topics.idOf(tp.topic);
    if (id === undefined) continue;
    let s = m.get(id);
    if (!s) m.set(id, (s = new Set()));
    for (const p of tp.partitions) s.add(p);
  }
  return m;
}

/**
 * The records converting the non-empty classic `classic` into a consumer group, and that group
 * (built by replaying them, for the heartbeat that triggered the conversion). Throws
 * GROUP_ID_NOT_FOUND when the group cannot be converted (policy, or a member that does not use
 * the consumer protocol type or whose metadata cannot be read).
 */
export function convertClassicGroup(classic: ClassicGroup, settings: ConsumerGroupSettings, topics: TopicCatalog, now: number): { group: ConsumerGroup; records: CoordinatorRecord[] } {
  const groupId = classic.groupId;
  if (!upgradeAllowed(settings)) {
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is a classic group with members and group.consumer.migration.policy does not allow upgrading it`);
  }
  if (classic.protocolType !== CONSUMER_PROTOCOL_TYPE) {
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is a classic group of protocol type ${classic.protocolType ?? 'none'}, it cannot become a consumer group`);
  }
  if (classic.size > settings.maxSize) {
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade classic group ${groupId} to consumer group because the group size exceeds the consumer group maximum size.`);
  }
  const generation = classic.generationId;
  const subs = new Map<string, MemberSubscription>();
  const assigned = new Map<string, TopicPartitions>();
  for (const m of classic.members.values()) {
    if (m.protocolType !== CONSUMER_PROTOCOL_TYPE) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Member ${m.memberId} of group ${groupId} does not use the consumer protocol type`);
    const chosen = (classic.protocolName !== null ? m.protocols.find((p) => p.name === classic.protocolName) : undefined) ?? m.protocols[0];
    const sub = chosen ? decodeSubscription(chosen.metadata) : null;
    if (sub === null) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `The subscription of member ${m.memberId} of group ${groupId} cannot be read`);
    const assignment = decodeAssignment(m.assignment);
    if (assignment === null) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `The assignment of member ${m.memberId} of group ${groupId} cannot be read`);
    subs.set(m.memberId, {
      instanceId: m.groupInstanceId,
      rackId: sub.rackId ?? null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...sub.topics].sort(),
      subscribedTopicRegex: null,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: null,
      classic: { sessionTimeoutMs: m.sessionTimeoutMs, supportedProtocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
    });
    assigned.set(m.memberId, toTopicIds(assignment, topics));
  }
  const records: CoordinatorRecord[] = [groupTombstone(groupId)];
  const converted: CoordinatorRecord[] = [];
  converted.push(groupEpochRecord(groupId, generation));
  converted.push(partitionMetadataRecord(groupId, subscriptionMetadata(subs.values(), topics)));
  for (const [memberId, s] of subs) converted.push(memberMetadataRecord(groupId, memberId, s));
  for (const [memberId, parts] of assigned) converted.push(targetMemberRecord(groupId, memberId, parts));
  converted.push(targetEpochRecord(groupId, generation));
  for (const [memberId, parts] of assigned) {
    converted.push(currentAssignmentRecord(groupId, memberId, { memberEpoch: generation, previousMemberEpoch: generation, state: MemberState.Stable, assigned: parts, pendingRevocation: NO_PARTITIONS }));
  }
  const group = new ConsumerGroup(groupId, now);
  for (const r of converted) {
    const d = decodeCoordinatorRecord(r.key, r.value);
    if (d.type === 'consumer') group.replay(d.record, now);
  }
  records.push(...converted);
  return { group, records };
}

/** Removes the empty consumer group `groupId` (a classic JoinGroup arrived); resolves once its tombstones are replayed. */
export function removeEmptyConsumerGroup(c: ConsumerGroupHost, groupId: string): Promise<void> {
  return c.runAsync(groupId, () => {
    const g = c.anyGroup(groupId);
    if (g?.type !== GroupType.Consumer || g.size > 0) return { records: [], response: undefined };
    c.logger.info(`Removing empty consumer group ${groupId}: a classic member joins it`);
    return { records: groupTombstones(groupId), response: undefined };
  });
}
