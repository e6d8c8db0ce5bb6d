/**
 * ConsumerGroupHeartbeat (KIP-848) as Kafka's GroupMetadataManager answers it, as a coordinator
 * operation: it returns the records to write and the answer; the group changes when the records
 * are replayed (consumer-group.ts). One heartbeat:
 * 1. validates the request (joining needs a subscription, a rebalance timeout and an empty owned
 *    list; -2 needs an instance id; a known assignor) and the member epoch (a greater epoch is
 *    FENCED_MEMBER_EPOCH; a smaller one too, unless it is the previous epoch and the member owns a
 *    subset of its partitions: the answer with the new epoch was lost);
 * 2. creates or updates the member (ConsumerGroupMemberMetadata); a changed subscription, or
 *    changed metadata of the subscribed topics, bumps the group epoch;
 * 3. when the group epoch is ahead of the target assignment, runs the server assignor and writes
 *    the members whose target changed and the new assignment epoch;
 * 4. reconciles this member towards its target (reconciliation.ts) and writes its current
 *    assignment when it changed.
 * The answer carries the assignment when the member joined, reported its owned partitions, or got
 * a new assignment. Static members (instance id) leaving with epoch -2 keep their assignment until
 * their session expires; one rejoining with the same instance id takes over that assignment.
 *
 * Regular expressions are RE2/J patterns matched as a whole (topic-regex.ts: re2js, linear time,
 * compiled and resolved once per pattern by the coordinator's TopicRegexes).
 *
 * Deviations: a pattern is resolved against the topics when a member heartbeats (a new pattern or
 * new topics first in slices that yield to the event loop, consumer-groups.ts), not by Kafka's
 * periodic asynchronous refresh; Kafka's ConsumerGroupRegularExpression records are not written.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { CoordinatorRecord, CoordinatorResult } from '../../coordinator/runtime.js';
import { assignorNamed, type AssignmentMember } from './assignors.js';
import type { ConsumerGroup } from './consumer-group.js';
import {
  INITIAL_ASSIGNMENT,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  samePartitions,
  sameRacks,
  type ClassicMemberMetadata,
  type MemberAssignment,
  type MemberSubscription,
  type SubscribedTopic,
  type TopicPartitions,
} from './consumer-model.js';
import {
  currentAssignmentRecord,
  groupEpochRecord,
  memberMetadataRecord,
  memberTombstones,
  partitionMetadataRecord,
  targetEpochRecord,
  targetMemberRecord,
} from './consumer-records.js';
import { reconcile } from './reconciliation.js';
import { TopicRegexes } from './topic-regex.js';

export interface ConsumerHeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly owned: TopicPartitions | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** A classic member's JoinGroup (online migration): its session timeout and protocols. */
  readonly classic?: ClassicMemberMetadata | null;
}

export interface ConsumerHeartbeatAnswer {
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  readonly assignment: TopicPartitions | null;
}

/** The topics a consumer group can subscribe to (the metadata image, narrowly). */
export interface TopicCatalog {
  idOf(name: string): string | undefined;
  partitionsOf(name: string): number | undefined;
  names(): Iterable<string>;
  /** For each partition of the topic, the racks of its replicas' brokers (absent: racks unknown). */
  racksOf?(name: string): readonly (readonly string[])[] | undefined;
  /** The coordinator's compiled subscription regexes (absent: each use compiles afresh). */
  readonly regexes?: TopicRegexes;
}

export interface ConsumerGroupSettings {
  /** Whether ConsumerGroupHeartbeat is served (group.coordinator.rebalance.protocols includes consumer). */
  readonly enabled?: boolean;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxSize: number;
  /** group.consumer.assignors: the first is the default. */
  readonly assignors: readonly string[];
  /** group.consumer.migration.policy (lower case): disabled, upgrade, downgrade or bidirectional (the default). */
  readonly migrationPolicy?: string;
  /** group.max.size: a downgrade to a classic group larger than this is refused (absent: no limit). */
  readonly classicMaxSize?: number;
}

export interface HeartbeatContext {
  readonly topics: TopicCatalog;
  readonly settings: ConsumerGroupSettings;
  /** A new member id (v0 joins without one). */
  newMemberId(): string;
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, message);
}

/** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
export function validateHeartbeat(req: ConsumerHeartbeatRequest, apiVersion: number, settings: ConsumerGroupSettings, regexes: TopicRegexes = new TopicRegexes(1)): void {
  if (req.groupId === '') throw new KafkaError(ErrorCode.INVALID_GROUP_ID, 'GroupId can not be empty');
  if (req.instanceId === '') throw invalid('InstanceId can not be empty');
  if (req.rackId === '') throw invalid('RackId can not be empty');
  if (req.serverAssignor !== null && !settings.assignors.includes(req.serverAssignor)) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported; supported assignors: ${settings.assignors.join(', ')}`);
  }
  if (apiVersion >= 1 && req.memberId === '') throw invalid('MemberId can not be empty');
  if (req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (req.memberId === '') throw invalid('MemberId can not be empty');
  } else if (req.memberEpoch === 0) {
    if (req.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request');
    if (req.owned === null || req.owned.size > 0) throw invalid('TopicPartitions must be empty when (re-)joining');
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request');
  } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (req.instanceId === null) throw invalid('InstanceId can not be null when MemberEpoch is -2');
    if (req.memberId === '') throw invalid('MemberId can not be empty');
  } else {
    throw invalid(`MemberEpoch ${req.memberEpoch} is invalid`);
  }
  if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') regexes.validate(req.subscribedTopicRegex);
}

/**
 * The topic names a subscription covers (by name, or user topics matching its regex). `resolved`
 * memoizes the regexes' matches over one computation (members usually share a pattern).
 */
export function subscribedNames(s: MemberSubscription, topics: TopicCatalog, resolved: Map<string, Set<string>> = new Map()): Set<string> {
  const out = new Set(s.subscribedTopicNames);
  const regex = s.subscribedTopicRegex;
  if (regex !== null && regex !== '') {
    let matching = resolved.get(regex);
    if (matching === undefined) {
      try {
        matching = (topics.regexes ?? new TopicRegexes(1)).matching(regex, topics.names());
      } catch {
        // A stored pattern RE2 refuses (written before patterns were RE2-checked) matches nothing.
        matching = new Set();
      }
      resolved.set(regex, matching);
    }
    for (const name of matching) out.add(name);
  }
  return out;
}

/** The subscribed topics' metadata for the given subscriptions (existing topics, sorted by name; with partition racks when a member has a rack). */
export function subscriptionMetadata(subs: Iterable<MemberSubscription>, topics: TopicCatalog): SubscribedTopic[] {
  const names = new Set<string>();
  let memberRacks = false;
  const resolved = new Map<string, Set<string>>();
  for (const s of subs) {
    for (const n of subscribedNames(s, topics, resolved)) names.add(n);
    if (s.rackId !== null) memberRacks = true;
  }
  const out: SubscribedTopic[] = [];
  for (const name of [...names].sort()) {
    const topicId = topics.idOf(name);
    const numPartitions = topics.partitionsOf(name);
    if (topicId === undefined || numPartitions === undefined) continue;
    const racks = memberRacks ? topics.racksOf?.(name) : undefined;
    const partitionRacks = racks !== undefined && racks.some((r) => r.length > 0) ? racks.slice(0, numPartitions).map((r) => [...new Set(r)].sort()) : undefined;
    out.push(partitionRacks === undefined ? { topicId, name, numPartitions } : { topicId, name, numPartitions, partitionRacks });
  }
  return out;
}

function sameMetadata(a: readonly SubscribedTopic[], b: readonly SubscribedTopic[]): boolean {
  return a.length === b.length && a.every((t, i) => {
    const o = b[i];
    return o !== undefined && t.topicId === o.topicId && t.name === o.name && t.numPartitions === o.numPartitions && sameRacks(t, o);
  });
}

function sameSubscription(a: MemberSubscription, b: MemberSubscription): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    a.serverAssignor === b.serverAssignor &&
    a.subscribedTopicNames.length === b.subscribedTopicNames.length &&
    a.subscribedTopicNames.every((t, i) => t === b.subscribedTopicNames[i]) &&
    sameClassic(a.classic ?? null, b.classic ?? null)
  );
}

function sameClassic(a: ClassicMemberMetadata | null, b: ClassicMemberMetadata | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.sessionTimeoutMs === b.sessionTimeoutMs &&
    a.supportedProtocols.length === b.supportedProtocols.length &&
    a.supportedProtocols.every((p, i) => p.name === b.supportedProtocols[i]?.name && p.metadata.equals(b.supportedProtocols[i]?.metadata ?? Buffer.alloc(0)))
  );
}

function isSubset(owned: TopicPartitions | null, assigned: TopicPartitions): boolean {
  if (owned === null) return false;
  for (const [t, s] of owned) {
    const a = assigned.get(t);
    for (const p of s) if (!a?.has(p)) return false;
  }
  return true;
}

/** The new target assignment after a group epoch bump: records for the members whose target changed, then the epoch. */
function computeTarget(
  group: ConsumerGroup,
  subs: ReadonlyMap<string, MemberSubscription>,
  metadata: readonly SubscribedTopic[],
  groupEpoch: number,
  ctx: HeartbeatContext,
  preferred: string | null,
): { records: CoordinatorRecord[]; targets: Map<string, TopicPartitions> } {
  const byName = new Map(metadata.map((t) => [t.name, t]));
  const members: AssignmentMember[] = [];
  const resolved = new Map<string, Set<string>>();
  for (const [memberId, s] of subs) {
    const ids = new Set<string>();
    for (const n of subscribedNames(s, ctx.topics, resolved)) {
      const t = byName.get(n);
      if (t) ids.add(t.topicId);
    }
    members.push({ memberId, topicIds: ids, rack: s.rackId });
  }
  const partitionRacks = new Map<string, readonly (readonly string[])[]>();
  for (const t of metadata) if (t.partitionRacks !== undefined) partitionRacks.set(t.topicId, t.partitionRacks);
  const name = preferred ?? ctx.settings.assignors[0] ?? 'uniform';
  const assignor = assignorNamed(name) ?? assignorNamed('uniform');
  const result = (assignor as NonNullable<typeof assignor>)({ members, topics: new Map(metadata.map((t) => [t.topicId, t.numPartitions])), previous: group.targets, partitionRacks });
  const records: CoordinatorRecord[] = [];
  const targets = new Map<string, TopicPartitions>();
  for (const [memberId, parts] of result) {
    targets.set(memberId, parts);
    const before = group.targets.get(memberId);
    if (before === undefined || !samePartitions(before, parts)) records.push(targetMemberRecord(group.groupId, memberId, parts));
  }
  records.push(targetEpochRecord(group.groupId, groupEpoch));
  return { records, targets };
}

/** The server assignor the members ask for most (Kafka's computePreferredServerAssignor), else null (the default). */
function preferredAssignor(subs: Iterable<MemberSubscription>): string | null {
  const counts = new Map<string, number>();
  for (const s of subs) if (s.serverAssignor !== null) counts.set(s.serverAssignor, (counts.get(s.serverAssignor) ?? 0) + 1);
  let best: string | null = null;
  for (const [n, c] of counts) if (best === null || c > (counts.get(best) as number)) best = n;
  return best;
}

/** A regular heartbeat (or a join), after validateHeartbeat. */
export function consumerHeartbeat(group: ConsumerGroup, req: ConsumerHeartbeatRequest, ctx: HeartbeatContext): CoordinatorResult<ConsumerHeartbeatAnswer> {
  const records: CoordinatorRecord[] = [];
  const joining = req.memberEpoch === 0;
  const memberId = req.memberId === '' ? ctx.newMemberId() : req.memberId;
  if (group.size >= ctx.settings.maxSize && !group.hasMember(memberId)) {
    throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${ctx.settings.maxSize} members`);
  }
  let prior = group.subscriptions.get(memberId);
  let assignment: MemberAssignment = group.assignment(memberId);
  let target = group.target(memberId);
  let replaced: string | undefined;
  if (joining && req.instanceId !== null) {
    const holder = group.staticMemberId(req.instanceId);
    if (holder !== undefined && holder !== memberId) {
      const held = group.assignment(holder);
      if (held.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new KafkaError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} cannot join the group because the instance id is owned by member ${holder}`);
      }
      // The new member replaces the static member that left temporarily: it takes over its assignment.
      replaced = holder;
      prior = group.subscriptions.get(holder);
      assignment = { ...held, memberEpoch: held.previousMemberEpoch, previousMemberEpoch: held.previousMemberEpoch };
      target = group.target(holder);
      records.push(...memberTombstones(group.groupId, holder));
      records.push(targetMemberRecord(group.groupId, memberId, target));
    }
  }
  if (!joining) {
    if (!group.hasMember(memberId)) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}`);
    if (req.memberEpoch > assignment.memberEpoch) {
      throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is greater than the coordinator's ${assignment.memberEpoch}: the member must give up its partitions and rejoin`);
    }
    if (req.memberEpoch < assignment.memberEpoch && (req.memberEpoch !== assignment.previousMemberEpoch || !isSubset(req.owned, assignment.assigned))) {
      throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is smaller than the coordinator's ${assignment.memberEpoch}: the member must give up its partitions and rejoin`);
    }
  } else if (group.hasMember(memberId) && assignment.memberEpoch !== 0) {
    // A member rejoining with epoch 0 starts over (Kafka fences its previous incarnation).
    assignment = { ...INITIAL_ASSIGNMENT };
  }

  // 1. The member's subscription.
  const updated: MemberSubscription = {
    instanceId: req.instanceId ?? prior?.instanceId ?? null,
    rackId: req.rackId ?? prior?.rackId ?? null,
    clientId: req.clientId,
    clientHost: req.clientHost,
    subscribedTopicNames: req.subscribedTopicNames !== null ? [...req.subscribedTopicNames] : (prior?.subscribedTopicNames ?? []),
    subscribedTopicRegex: req.subscribedTopicRegex !== null ? req.subscribedTopicRegex : (prior?.subscribedTopicRegex ?? null),
    rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : (prior?.rebalanceTimeoutMs ?? -1),
    serverAssignor: req.serverAssignor ?? prior?.serverAssignor ?? null,
    classic: req.classic ?? null,
  };
  const subs = new Map(group.subscriptions);
  if (replaced !== undefined) subs.delete(replaced);
  subs.set(memberId, updated);
  let groupEpoch = group.groupEpoch;
  if (prior === undefined || !sameSubscription(prior, updated) || !group.hasMember(memberId)) records.push(memberMetadataRecord(group.groupId, memberId, updated));
  const metadata = subscriptionMetadata(subs.values(), ctx.topics);
  const subscriptionChanged =
    prior === undefined ||
    prior.subscribedTopicRegex !== updated.subscribedTopicRegex ||
    prior.subscribedTopicNames.length !== updated.subscribedTopicNames.length ||
    prior.subscribedTopicNames.some((t, i) => t !== updated.subscribedTopicNames[i]);
  const metadataChanged = !sameMetadata(metadata, group.subscribedTopics);
  if (metadataChanged) records.push(partitionMetadataRecord(group.groupId, metadata));
  if (subscriptionChanged || metadataChanged) {
    groupEpoch += 1;
    records.push(groupEpochRecord(group.groupId, groupEpoch));
  }

  // 2. The target assignment.
  let targetEpoch = group.assignmentEpoch;
  if (groupEpoch > targetEpoch) {
    const computed = computeTarget(group, subs, metadata, groupEpoch, ctx, preferredAssignor(subs.values()));
    records.push(...computed.records);
    target = computed.targets.get(memberId) ?? target;
    targetEpoch = groupEpoch;
  }

  // 3. Reconciliation of this member.
  const before = assignment;
  let after = assignment;
  if (after.state !== 0 || after.memberEpoch !== targetEpoch) {
    // A partition is free when nobody owns it; this member's own (from before a rejoin or a replaced static member's) are free to it.
    const self = new Set([memberId, replaced]);
    const partitionEpoch = (t: string, p: number): number => (self.has(group.partitionOwner(t, p)) ? -1 : group.currentPartitionEpoch(t, p));
    after = reconcile({ member: assignment, targetEpoch, target, partitionEpoch, owned: req.owned });
  }
  const assignmentUpdated = after !== before || !group.assignments.has(memberId);
  if (assignmentUpdated) records.push(currentAssignmentRecord(group.groupId, memberId, after));

  const showAssignment = req.owned !== null || joining || assignmentUpdated;
  return {
    records,
    response: { memberId, memberEpoch: after.memberEpoch, heartbeatIntervalMs: ctx.settings.heartbeatIntervalMs, assignment: showAssignment ? after.assigned : null },
  };
}

/**
 * Removes a member (it left with epoch -1, its session expired, or it did not revoke within its
 * rebalance timeout): its tombstones, the subscription metadata without it, and a group epoch
 * bump so the others get its partitions.
 */
export function removeMember(group: ConsumerGroup, memberId: string, topics: TopicCatalog): CoordinatorRecord[] {
  const records = memberTombstones(group.groupId, memberId);
  const subs = new Map(group.subscriptions);
  subs.delete(memberId);
  const metadata = subscriptionMetadata(subs.values(), topics);
  if (!sameMetadata(metadata, group.subscribedTopics)) records.push(partitionMetadataRecord(group.groupId, metadata));
  records.push(groupEpochRecord(group.groupId, group.groupEpoch + 1));
  return records;
}

/** A static member leaving temporarily (epoch -2): it keeps its assignment, at epoch -2, until its session expires. */
export function staticLeave(group: ConsumerGroup, memberId: string): CoordinatorRecord[] {
  const a = group.assignment(memberId);
  return [currentAssignmentRecord(group.groupId, memberId, { ...a, previousMemberEpoch: a.memberEpoch, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH })];
}
