/**
 * A KIP-848 consumer group (Kafka's ConsumerGroup): the group epoch, the members' subscriptions,
 * the target assignment and its epoch, each member's current assignment, and the subscribed
 * topics' metadata — exactly what its records in `__consumer_offsets` hold, and changed only by
 * `replay` (consumer-records.ts). Derived from them: which member epoch owns each partition (a
 * partition is handed to a new owner only once its previous owner released it) and the group
 * state: Empty (no members), Assigning (group epoch ahead of the target assignment), Reconciling
 * (some member not yet at the target epoch, or not Stable), Stable.
 * One kind of the `Group` union (groups.ts); its committed offsets live in the OffsetStore.
 */
import { GroupType } from '../groups.js';
import type { TimerHandle } from '../scheduler.js';
import type { RetentionStart } from '../offset-store.js';
import type { DecodedConsumerRecord } from './consumer-records.js';
import {
  INITIAL_ASSIGNMENT,
  MemberState,
  NO_PARTITIONS,
  type MemberAssignment,
  type MemberSubscription,
  type SubscribedTopic,
  type TopicPartitions,
} from './consumer-model.js';

export const ConsumerGroupState = {
  Empty: 'Empty',
  Assigning: 'Assigning',
  Reconciling: 'Reconciling',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type ConsumerGroupState = (typeof ConsumerGroupState)[keyof typeof ConsumerGroupState];

export const CONSUMER_GROUP_TYPE = 'consumer';

export class ConsumerGroup {
  readonly type = GroupType.Consumer;
  /** ListGroups/DescribeGroups report consumer groups with the consumer protocol type. */
  readonly protocolType = 'consumer';
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly subscriptions = new Map<string, MemberSubscription>();
  readonly targets = new Map<string, TopicPartitions>();
  readonly assignments = new Map<string, MemberAssignment>();
  subscribedTopics: readonly SubscribedTopic[] = [];
  /** When the group last became Empty (offset retention), null while it has members. */
  emptySince: number | null;
  /** Runtime only (not state): each member's session timer and pending-revocation timer. */
  readonly sessionTimers = new Map<string, TimerHandle>();
  readonly revocationTimers = new Map<string, TimerHandle>();
  /** "topicId:partition" → the member owning it (assigned or pending revocation) and its epoch. */
  private readonly owners = new Map<string, { memberId: string; epoch: number }>();
  private dead = false;

  constructor(
    readonly groupId: string,
    now: number | null,
  ) {
    this.emptySince = now;
  }

  get state(): ConsumerGroupState {
    if (this.dead) return ConsumerGroupState.Dead;
    if (this.subscriptions.size === 0) return ConsumerGroupState.Empty;
    if (this.groupEpoch > this.assignmentEpoch) return ConsumerGroupState.Assigning;
    for (const id of this.subscriptions.keys()) {
      const a = this.assignment(id);
      if (a.memberEpoch !== this.assignmentEpoch || a.state !== MemberState.Stable) return ConsumerGroupState.Reconciling;
    }
    return ConsumerGroupState.Stable;
  }

  is(state: string): boolean {
    return this.state === state;
  }

  /** Only to Dead (the group's tombstones were replayed). */
  transitionTo(_target: 'Dead', _now: number): void {
    this.dead = true;
  }

  get size(): number {
    return this.subscriptions.size;
  }

  hasMember(memberId: string): boolean {
    return this.subscriptions.has(memberId);
  }

  assignment(memberId: string): MemberAssignment {
    return this.assignments.get(memberId) ?? INITIAL_ASSIGNMENT;
  }

  target(memberId: string): TopicPartitions {
    return this.targets.get(memberId) ?? NO_PARTITIONS;
  }

  /** The member id holding `instanceId`, if any. */
  staticMemberId(instanceId: string): string | undefined {
    for (const [id, s] of this.subscriptions) if (s.instanceId === instanceId) return id;
    return undefined;
  }

  /** Epoch of the member owning the partition, -1 when it is free. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.owners.get(`${topicId}:${partition}`)?.epoch ?? -1;
  }

  /** The member owning the partition, if any. */
  partitionOwner(topicId: string, partition: number): string | undefined {
    return this.owners.get(`${topicId}:${partition}`)?.memberId;
  }

  /** Topic names any member subscribes to by name. */
  subscribedTopicNames(): Set<string> {
    const out = new Set<string>();
    for (const s of this.subscriptions.values()) for (const t of s.subscribedTopicNames) out.add(t);
    return out;
  }

  /** Offsets expire from the commit once the group is Empty (Kafka: consumer groups have no retention grace for subscribed topics). */
  offsetRetentionStart(): RetentionStart {
    if (this.subscriptions.size > 0) {
      const subscribed = new Set(this.subscribedTopics.map((t) => t.name));
      return (topic, commitTimestamp) => (subscribed.has(topic) ? null : commitTimestamp);
    }
    const since = this.emptySince;
    return (_topic, commitTimestamp) => Math.max(since ?? commitTimestamp, commitTimestamp);
  }

  replay(d: DecodedConsumerRecord, now: number | null): void {
    switch (d.type) {
      case 'group-epoch':
        if (d.epoch !== null) this.groupEpoch = d.epoch;
        return;
      case 'partition-metadata':
        this.subscribedTopics = d.topics ?? [];
        return;
      case 'member-metadata':
        if (d.value === null) {
          this.subscriptions.delete(d.memberId);
          if (this.subscriptions.size === 0) this.emptySince = now;
        } else {
          if (this.subscriptions.size === 0) this.emptySince = null;
          this.subscriptions.set(d.memberId, d.value);
        }
        return;
      case 'target-epoch':
        if (d.epoch !== null) this.assignmentEpoch = d.epoch;
        return;
      case 'target-member':
        if (d.partitions === null) this.targets.delete(d.memberId);
        else this.targets.set(d.memberId, d.partitions);
        return;
      case 'current-assignment': {
        const prior = this.assignments.get(d.memberId);
        if (prior) this.release(d.memberId, prior);
        if (d.value === null) this.assignments.delete(d.memberId);
        else {
          this.assignments.set(d.memberId, d.value);
          this.own(d.memberId, d.value);
        }
        return;
      }
    }
  }

  private own(memberId: string, a: MemberAssignment): void {
    for (const p of [a.assigned, a.pendingRevocation]) for (const [t, s] of p) for (const n of s) this.owners.set(`${t}:${n}`, { memberId, epoch: a.memberEpoch });
  }

  private release(memberId: string, a: MemberAssignment): void {
    for (const p of [a.assigned, a.pendingRevocation]) {
      for (const [t, s] of p) {
        for (const n of s) {
          const key = `${t}:${n}`;
          if (this.owners.get(key)?.memberId === memberId) this.owners.delete(key);
        }
      }
    }
  }
}
