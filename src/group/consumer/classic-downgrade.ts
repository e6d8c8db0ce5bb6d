/**
 * KIP-848 online downgrade from a consumer group to a classic group (Kafka 4's
 * `group.consumer.migration.policy` DOWNGRADE or BIDIRECTIONAL; ClassicGroup.fromConsumerGroup).
 *
 * Kafka's rule: when the last member using the consumer protocol leaves the group (LeaveGroup
 * epoch -1, or it is removed on a session or rebalance timeout) and the members left all use the
 * classic protocol, the group becomes a classic group: the consumer group's records are
 * tombstoned and a GroupMetadata record written with the classic members (their session and
 * rebalance timeouts, the subscription of the protocol they all support, their current
 * assignment encoded in the consumer protocol), at generation = the group epoch; the classic
 * group then rebalances (its members are told REBALANCE_IN_PROGRESS on their next heartbeat and
 * rejoin, the leader assigning as usual).
 *
 * The downgrade is refused (the group stays a consumer group of classic members) when the
 * classic group would have more members than `group.max.size` (Kafka's validateOnlineDowngrade).
 */
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import { CONSUMER_PROTOCOL_TYPE, encodeAssignment } from '../../protocol/consumer-protocol.js';
import { groupMetadataRecord } from '../records.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { ConsumerGroupSettings } from './consumer-heartbeat.js';
import { groupTombstones, memberTombstones } from './consumer-records.js';

export function downgradeAllowed(settings: ConsumerGroupSettings): boolean {
  const p = settings.migrationPolicy ?? 'bidirectional';
  return p === 'downgrade' || p === 'bidirectional';
}

/** The protocol every remaining classic member supports (the first member's preference), or null. */
function commonProtocol(group: ConsumerGroup, remaining: readonly string[]): string | null {
  const first = group.subscriptions.get(remaining[0] ?? '')?.classic;
  for (const p of first?.supportedProtocols ?? []) {
    if (remaining.every((id) => group.subscriptions.get(id)?.classic?.supportedProtocols.some((q) => q.name === p.name))) return p.name;
  }
  return null;
}

/**
 * The records turning `group` into a classic group once `leaving` (a consumer-protocol member)
 * is gone, or null when it stays a consumer group (policy, no members left, a consumer-protocol
 * member left, or no protocol common to the classic members).
 */
export function downgradeRecords(group: ConsumerGroup, leaving: string, settings: ConsumerGroupSettings, now: number): CoordinatorRecord[] | null {
  if (!downgradeAllowed(settings)) return null;
  if (group.subscriptions.get(leaving)?.classic) return null;
  const remaining = [...group.subscriptions.keys()].filter((id) => id !== leaving);
  if (remaining.length === 0 || remaining.some((id) => !group.subscriptions.get(id)?.classic)) return null;
  if (settings.classicMaxSize !== undefined && remaining.length > settings.classicMaxSize) return null;
  const protocol = commonProtocol(group, remaining);
  if (protocol === null) return null;
  const names = new Map(group.subscribedTopics.map((t) => [t.topicId, t.name]));
  const records: CoordinatorRecord[] = [];
  for (const id of group.subscriptions.keys()) records.push(...memberTombstones(group.groupId, id));
  records.push(...groupTombstones(group.groupId));
  records.push(
    groupMetadataRecord(group.groupId, {
      protocolType: CONSUMER_PROTOCOL_TYPE,
      generation: group.groupEpoch,
      protocol,
      leader: remaining[0] ?? null,
      currentStateTimestamp: BigInt(now),
      members: remaining.map((id) => {
        const s = group.subscriptions.get(id);
        const assigned: { topic: string; partitions: number[] }[] = [];
        for (const [topicId, ps] of group.assignment(id).assigned) {
          const topic = names.get(topicId);
          if (topic !== undefined && ps.size > 0) assigned.push({ topic, partitions: [...ps].sort((a, b) => a - b) });
        }
        return {
          memberId: id,
          groupInstanceId: s?.instanceId ?? null,
          clientId: s?.clientId ?? '',
          clientHost: s?.clientHost ?? '',
          rebalanceTimeout: s?.rebalanceTimeoutMs ?? 0,
          sessionTimeout: s?.classic?.sessionTimeoutMs ?? 0,
          subscription: s?.classic?.supportedProtocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0),
          assignment: encodeAssignment({ assignedPartitions: assigned, userData: null }),
        };
      }),
    }),
  );
  return records;
}
