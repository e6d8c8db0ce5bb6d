/**
 * KIP-932 share groups on the group coordinator: ShareGroupHeartbeat (join, stay, leave),
 * ShareGroupDescribe and the groups ListGroups shows with type "share".
 *
 * Kafka's rules: a member joins with epoch 0 and its subscribed topic names (INVALID_REQUEST
 * without them), leaves with epoch -1, and otherwise heartbeats with the epoch it was last given
 * (FENCED_MEMBER_EPOCH when it differs, UNKNOWN_MEMBER_ID for an unknown member). A change of
 * membership, of a subscription or of the subscribed topics' partitions bumps the group epoch; the
 * assignment is computed by the coordinator with Kafka's share-group SimpleAssignor, which for
 * share groups may give a partition to several members: here every member gets every partition of
 * the topics it subscribes to (records are shared out per fetch by the partition leaders, so no
 * revocation step is needed and a member is at the group epoch after each heartbeat). A member
 * that misses `group.share.session.timeout.ms` is removed. At most `group.share.max.size`
 * members (GROUP_MAX_SIZE_REACHED). A group id used by a classic or consumer group is not a
 * share group (GROUP_ID_NOT_FOUND), as Kafka answers.
 *
 * Membership is durable, as in Kafka: a heartbeat is a coordinator write (the group coordinator's
 * runtime) whose ShareGroup* records (share-records.ts) go to the group's `__consumer_offsets`
 * partition; the group changes only when they are replayed, once committed, and loading a
 * partition replays them, so after a restart or a coordinator move the group is back with its
 * epochs, members and assignments, and each loaded member must heartbeat (with its member id and
 * epoch) within its session timeout or it is removed (Kafka's onLoaded).
 *
 * DeleteGroups deletes an Empty share group: the state of its share-partitions at their share
 * coordinators (DeleteShareGroupState), then its records (tombstones).
 *
 * One group type per id, as Kafka: a share group's id is refused by the classic and consumer
 * group APIs (GroupCoordinator.isShareGroup), and ShareGroupHeartbeat refuses a classic or consumer
 * group's id. Samsa's deviations: in a cluster, a share group and a consumer group created for the
 * same id at the same instant can both be created; a group with persisted share-partition state
 * but no records here is listed Empty.
 *
 * Here: the heartbeats, deletion and replay of share groups; the group model (ShareGroup, its
 * members) and the pure helpers over it are share-group.ts, the records share-records.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { CoordinatorResult, WriteOutcome } from '../../coordinator/runtime.js';
import { randomUuid } from '../../protocol/primitives/uuid.js';
import type { Scheduler } from '../scheduler.js';
import type { TopicCatalog } from '../consumer/consumer-heartbeat.js';
import type { GroupShard } from '../coordinator.js';
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import {
  shareCurrentAssignmentRecord,
  shareGroupEpochRecord,
  shareGroupTombstones,
  shareMemberRecord,
  shareMemberTombstones,
  shareStatePartitionsRecord,
  shareTargetEpochRecord,
  shareTargetMemberRecord,
  type DecodedShareRecord,
  type InitializedTopic,
  type ShareAssignment,
} from './share-records.js';
import { SHARE_GROUP_TYPE, ShareGroup, type ShareGroupSettings, memberOf, mergeInitialized, removal, sameAssignment, sameNames } from './share-group.js';

export interface ShareHeartbeat {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatAnswer {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** topic id → partitions; null when unchanged, and on a leave. */
  assignment: ShareAssignment | null;
}

/** The coordinator writes share group records through (GroupCoordinator implements it). */
export interface ShareGroupHost {
  run<T>(groupId: string, op: () => CoordinatorResult<T>, done: (outcome: WriteOutcome<T>) => void): void;
  runAsync<T>(groupId: string, op: () => CoordinatorResult<T>): Promise<T>;
  availability(groupId: string): number;
  attachShareShard(shard: GroupShard): void;
}

export interface ShareGroupsDeps {
  readonly host: ShareGroupHost;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly topics: TopicCatalog;
  readonly settings: ShareGroupSettings;
  /** Whether a classic or consumer group has this id. */
  otherGroupExists(groupId: string): boolean;
  /** Group ids with persisted share-partition state (listed Empty when they have no members). */
  persistedGroupIds(): Iterable<string>;
  /** Deletes the durable state of the group's share-partitions (DeleteShareGroupState at their share coordinators). */
  deleteState(groupId: string, initialized: readonly InitializedTopic[]): Promise<void>;
}

export class ShareGroups implements GroupShard {
  private readonly groups = new Map<string, ShareGroup>();

  constructor(private readonly deps: ShareGroupsDeps) {
    deps.host.attachShareShard(this);
  }

  get settings(): ShareGroupSettings {
    return this.deps.settings;
  }

  /** The share group `groupId` (an Empty one when only its persisted state is known). */
  group(groupId: string): ShareGroup | undefined {
    const g = this.groups.get(groupId);
    if (g !== undefined) return g;
    for (const id of this.deps.persistedGroupIds()) if (id === groupId) return new ShareGroup(groupId);
    return undefined;
  }

  all(): ShareGroup[] {
    const out = new Map(this.groups);
    for (const id of this.deps.persistedGroupIds()) if (!out.has(id) && !this.deps.otherGroupExists(id)) out.set(id, new ShareGroup(id));
    return [...out.values()];
  }

  /** ShareGroupHeartbeat: resolves once its records are committed and replayed; rejects with KafkaError. */
  async heartbeat(req: ShareHeartbeat): Promise<ShareHeartbeatAnswer> {
    if (this.deps.otherGroupExists(req.groupId)) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a share group`);
    if (req.memberEpoch < -1) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid member epoch ${req.memberEpoch}`);
    if (req.memberEpoch === 0 && (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0)) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in the first request');
    const answer = await this.deps.host.runAsync(req.groupId, () => (req.memberEpoch === -1 ? this.leave(req) : this.join(req)));
    if (answer.memberEpoch !== -1) this.resetSession(req.groupId, answer.memberId);
    return answer;
  }

  /**
   * DeleteGroups of a share group (Kafka's rules): only an Empty group (NON_EMPTY_GROUP
   * otherwise, GROUP_ID_NOT_FOUND when unknown); its share-partitions' state is deleted first,
   * then its records are tombstoned (replaying them drops it, on a reload too). Resolves with the
   * group's error code.
   */
  async delete(groupId: string): Promise<number> {
    const code = this.deps.host.availability(groupId);
    if (code !== ErrorCode.NONE) return code;
    const g = this.group(groupId);
    if (g === undefined || this.deps.otherGroupExists(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    try {
      await this.deps.deleteState(groupId, g.initialized);
      await this.deps.host.runAsync(groupId, () => {
        const current = this.groups.get(groupId);
        if (current === undefined) return { records: [], response: undefined };
        if (current.members.size > 0) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP, `Share group ${groupId} has members again`);
        const targets = [...current.targets.keys()].flatMap((memberId) => shareMemberTombstones(groupId, memberId));
        return { records: [...targets, ...shareGroupTombstones(groupId)], response: undefined };
      });
      this.deps.logger.info(`Deleted share group ${groupId}`);
      return ErrorCode.NONE;
    } catch (e) {
      if (e instanceof KafkaError) return e.code;
      this.deps.logger.warn(`Deleting share group ${groupId} failed: ${e instanceof Error ? e.message : String(e)}`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  shutdown(): void {
    this.unloaded(() => true);
  }

  // ------------------------------------------------------------------------------ GroupShard

  replay(r: DecodedShareRecord, _loading: boolean): void {
    let g = this.groups.get(r.group);
    if (r.type === 'group-epoch' && r.epoch === null) {
      if (g !== undefined) this.drop(g);
      return;
    }
    if (g === undefined) {
      if (r.type === 'ignored') return;
      g = new ShareGroup(r.group);
      this.groups.set(r.group, g);
    }
    switch (r.type) {
      case 'group-epoch':
        g.groupEpoch = r.epoch ?? g.groupEpoch;
        return;
      case 'target-epoch':
        g.assignmentEpoch = r.epoch ?? 0;
        return;
      case 'state-partitions':
        g.initialized = r.initialized ?? [];
        return;
      case 'target-member':
        if (r.partitions === null) g.targets.delete(r.memberId);
        else g.targets.set(r.memberId, r.partitions);
        return;
      case 'member-metadata': {
        if (r.value === null) {
          g.sessionTimers.get(r.memberId)?.cancel();
          g.sessionTimers.delete(r.memberId);
          g.members.delete(r.memberId);
          return;
        }
        const m = memberOf(g, r.memberId);
        m.rackId = r.value.rackId;
        m.clientId = r.value.clientId;
        m.clientHost = r.value.clientHost;
        m.subscribedTopicNames = [...r.value.subscribedTopicNames];
        return;
      }
      case 'current-assignment': {
        if (r.value === null) return;
        const m = memberOf(g, r.memberId);
        m.memberEpoch = r.value.memberEpoch;
        m.previousMemberEpoch = r.value.previousMemberEpoch;
        m.assignment = r.value.assigned;
        return;
      }
      default:
        return;
    }
  }

  loaded(inPartition: (groupId: string) => boolean): void {
    for (const g of this.groups.values()) {
      if (!inPartition(g.groupId)) continue;
      for (const memberId of g.members.keys()) if (!g.sessionTimers.has(memberId)) this.resetSession(g.groupId, memberId);
      if (g.members.size > 0) this.deps.logger.info(`Loaded share group ${g.groupId} epoch ${g.groupEpoch} with ${g.members.size} members`);
    }
  }

  unloaded(inPartition: (groupId: string) => boolean): void {
    for (const g of [...this.groups.values()]) if (inPartition(g.groupId)) this.drop(g);
  }

  // ------------------------------------------------------------------------------ operations (records + answer; no state change)

  private join(req: ShareHeartbeat): CoordinatorResult<ShareHeartbeatAnswer> {
    const g = this.groups.get(req.groupId);
    const m = g?.members.get(req.memberId);
    if (req.memberEpoch === 0) {
      if (m === undefined && g !== undefined && g.members.size >= this.deps.settings.maxSize) throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum size of ${this.deps.settings.maxSize}`);
    } else {
      if (g === undefined || m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not in share group ${req.groupId}`);
      if (req.memberEpoch !== m.memberEpoch) throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `Member epoch ${req.memberEpoch} is not the current ${m.memberEpoch}`);
    }
    const groupId = req.groupId;
    const memberId = m?.memberId ?? (req.memberId === '' ? randomUuid() : req.memberId);
    const names = req.subscribedTopicNames !== null ? [...new Set(req.subscribedTopicNames)].sort() : (m?.subscribedTopicNames ?? []);
    const sub = { rackId: req.rackId ?? m?.rackId ?? null, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: names };
    const records: CoordinatorRecord[] = [];
    const subscriptionChanged = m === undefined || !sameNames(names, m.subscribedTopicNames);
    if (subscriptionChanged || m.rackId !== sub.rackId || m.clientId !== sub.clientId || m.clientHost !== sub.clientHost) records.push(shareMemberRecord(groupId, memberId, sub));
    const { target, topics } = this.assignmentOf(names);
    const assignmentChanged = m === undefined || !sameAssignment(target, m.assignment);
    let epoch = g?.groupEpoch ?? 0;
    // One group epoch bump per heartbeat that changes the membership, a subscription or an assignment.
    if (subscriptionChanged || assignmentChanged) {
      epoch++;
      records.push(shareGroupEpochRecord(groupId, epoch));
      const prior = g?.targets.get(memberId);
      if (prior === undefined || !sameAssignment(prior, target)) records.push(shareTargetMemberRecord(groupId, memberId, target));
      records.push(shareTargetEpochRecord(groupId, epoch));
      const initialized = mergeInitialized(g?.initialized ?? [], topics);
      if (initialized !== null) records.push(shareStatePartitionsRecord(groupId, initialized));
    }
    const epochChanged = m === undefined || m.memberEpoch !== epoch;
    if (epochChanged || assignmentChanged) records.push(shareCurrentAssignmentRecord(groupId, memberId, { memberEpoch: epoch, previousMemberEpoch: m?.memberEpoch ?? 0, assigned: target }));
    const answerAssignment = assignmentChanged || req.memberEpoch === 0 || epochChanged;
    if (m === undefined) this.deps.logger.info(`Member ${memberId} joins share group ${groupId}`);
    return { records, response: { memberId, memberEpoch: epoch, heartbeatIntervalMs: this.deps.settings.heartbeatIntervalMs, assignment: answerAssignment ? target : null } };
  }

  private leave(req: ShareHeartbeat): CoordinatorResult<ShareHeartbeatAnswer> {
    const g = this.groups.get(req.groupId);
    if (g === undefined || !g.members.has(req.memberId)) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not in share group ${req.groupId}`);
    this.deps.logger.info(`Member ${req.memberId} left share group ${req.groupId}`);
    return { records: removal(g, req.memberId), response: { memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null } };
  }

  private resetSession(groupId: string, memberId: string): void {
    const g = this.groups.get(groupId);
    if (g === undefined || !g.members.has(memberId)) return;
    g.sessionTimers.get(memberId)?.cancel();
    g.sessionTimers.set(
      memberId,
      this.deps.scheduler.schedule(this.deps.settings.sessionTimeoutMs, () => {
        g.sessionTimers.delete(memberId);
        if (this.groups.get(groupId) === g && g.members.has(memberId)) this.expire(g, memberId);
      }),
    );
  }

  /** A member missed its session timeout: its records are tombstoned and the group epoch bumped. */
  private expire(g: ShareGroup, memberId: string): void {
    if (this.deps.host.availability(g.groupId) !== ErrorCode.NONE) return;
    this.deps.logger.info(`Removing member ${memberId} from share group ${g.groupId}: its session expired`);
    this.deps.host.run(
      g.groupId,
      () => ({ records: this.groups.get(g.groupId) === g && g.members.has(memberId) ? removal(g, memberId) : [], response: undefined }),
      (o) => {
        if (!o.ok) this.deps.logger.warn(`Could not remove member ${memberId} from share group ${g.groupId}: ${o.error instanceof Error ? o.error.message : String(o.error)}`);
      },
    );
  }

  private drop(g: ShareGroup): void {
    for (const t of g.sessionTimers.values()) t.cancel();
    g.sessionTimers.clear();
    if (this.groups.get(g.groupId) === g) this.groups.delete(g.groupId);
  }

  /** Kafka's SimpleAssignor for share groups, as served here: every partition of every subscribed topic that exists. */
  private assignmentOf(names: readonly string[]): { target: ShareAssignment; topics: InitializedTopic[] } {
    const target: ShareAssignment = new Map();
    const topics: InitializedTopic[] = [];
    for (const name of names) {
      const id = this.deps.topics.idOf(name);
      const n = this.deps.topics.partitionsOf(name);
      if (id === undefined || n === undefined) continue;
      const partitions = Array.from({ length: n }, (_, i) => i);
      target.set(id, partitions);
      topics.push({ topicId: id, topicName: name, partitions });
    }
    return { target, topics };
  }
}

/** ListGroups' share groups: those whose coordinator partition is loaded, filtered by state and type (case-insensitive). */
export function listShareGroups(groups: ShareGroups, availability: (groupId: string) => number, statesFilter: readonly string[], typesFilter: readonly string[]): { groupId: string; protocolType: string; groupState: string; groupType: string }[] {
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(typesFilter.map((s) => s.toLowerCase()));
  if (types.size > 0 && !types.has(SHARE_GROUP_TYPE)) return [];
  return groups
    .all()
    .filter((g) => availability(g.groupId) === ErrorCode.NONE && (states.size === 0 || states.has(g.state.toLowerCase())))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type }));
}
