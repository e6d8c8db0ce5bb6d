/**
 * The values a KIP-848 consumer group is made of, one per record type it writes to
 * `__consumer_offsets` (Kafka's ConsumerGroupMember split by record): a member's subscription
 * (ConsumerGroupMemberMetadata), its target assignment (ConsumerGroupTargetAssignmentMember), its
 * current assignment with its epochs and reconciliation state (ConsumerGroupCurrentMemberAssignment),
 * and the subscribed topics' metadata (ConsumerGroupPartitionMetadata). Partitions are keyed by
 * topic id, as on the wire.
 */

/** topic id → partitions. */
export type TopicPartitions = ReadonlyMap<string, ReadonlySet<number>>;

export const NO_PARTITIONS: TopicPartitions = new Map();

/** Kafka's MemberState (its byte values are persisted in ConsumerGroupCurrentMemberAssignmentValue.State). */
export const MemberState = {
  Stable: 0,
  UnrevokedPartitions: 1,
  UnreleasedPartitions: 2,
  Unknown: 127,
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

export function memberStateOf(value: number): MemberState {
  return value === 0 || value === 1 || value === 2 ? value : MemberState.Unknown;
}

export interface MemberSubscription {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
  /** Set for a member that speaks the classic protocol (JoinGroup/SyncGroup/Heartbeat) to this group (online migration). */
  readonly classic?: ClassicMemberMetadata | null;
}

/** Kafka's ClassicMemberMetadata: what a classic member joined with. */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number;
  readonly supportedProtocols: readonly { readonly name: string; readonly metadata: Buffer }[];
}

export interface MemberAssignment {
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  readonly assigned: TopicPartitions;
  readonly pendingRevocation: TopicPartitions;
}

/** A member's assignment before its first reconciliation: epoch 0, nothing assigned. */
export const INITIAL_ASSIGNMENT: MemberAssignment = { memberEpoch: 0, previousMemberEpoch: 0, state: MemberState.Stable, assigned: NO_PARTITIONS, pendingRevocation: NO_PARTITIONS };

export interface SubscribedTopic {
  readonly topicId: string;
  readonly name: string;
  readonly numPartitions: number;
  /**
   * For each partition, the sorted racks of its replicas' brokers (ConsumerGroupPartitionMetadata
   * PartitionMetadata); absent when no replica's broker has a rack.
   */
  readonly partitionRacks?: readonly (readonly string[])[];
}

/** Whether two topics' partition racks are the same (absent = none). */
export function sameRacks(a: SubscribedTopic, b: SubscribedTopic): boolean {
  const x = a.partitionRacks ?? [];
  const y = b.partitionRacks ?? [];
  return x.length === y.length && x.every((rs, i) => rs.length === y[i]?.length && rs.every((r, j) => r === y[i]?.[j]));
}

/** Kafka's epoch sentinels of ConsumerGroupHeartbeat. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export function partitionCount(p: TopicPartitions): number {
  let n = 0;
  for (const s of p.values()) n += s.size;
  return n;
}

export function samePartitions(a: TopicPartitions, b: TopicPartitions): boolean {
  if (partitionCount(a) !== partitionCount(b)) return false;
  for (const [t, s] of a) {
    const o = b.get(t);
    if (o === undefined) return s.size === 0;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}

/** Wire form (topic id + sorted partitions), empty topics left out. */
export function toTopicPartitionList(p: TopicPartitions): { topicId: string; partitions: number[] }[] {
  const out: { topicId: string; partitions: number[] }[] = [];
  for (const [topicId, s] of p) if (s.size > 0) out.push({ topicId, partitions: [...s].sort((x, y) => x - y) });
  return out;
}

export function fromTopicPartitionList(list: readonly { topicId: string; partitions: readonly number[] }[]): TopicPartitions {
  const m = new Map<string, Set<number>>();
  for (const t of list) {
    let s = m.get(t.topicId);
    if (!s) m.set(t.topicId, (s = new Set()));
    for (const p of t.partitions) s.add(p);
  }
  return m;
}
