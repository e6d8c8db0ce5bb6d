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
 * Samsa's deviation: membership is in memory (Kafka writes ShareGroup* records to
 * `__consumer_offsets`); after a restart a share group with persisted share-partition state is
 * listed Empty, and its consumers re-join with epoch 0 after UNKNOWN_MEMBER_ID. A share group id
 * does not block a classic or consumer group of the same id from being created.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { randomUuid } from '../../protocol/primitives/uuid.js';
import type { Scheduler, TimerHandle } from '../scheduler.js';
import type { TopicCatalog } from '../consumer/consumer-heartbeat.js';

export const SHARE_GROUP_TYPE = 'share';
export const ShareGroupState = { Empty: 'Empty', Stable: 'Stable', Dead: 'Dead' } as const;

export interface ShareGroupSettings {
  readonly enabled: boolean;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxSize: number;
}

export const DEFAULT_SHARE_GROUP_SETTINGS: ShareGroupSettings = { enabled: true, heartbeatIntervalMs: 5000, sessionTimeoutMs: 45000, maxSize: 200 };

export interface ShareMember {
  readonly memberId: string;
  memberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topic id → partitions. */
  assignment: Map<string, number[]>;
}

export class ShareGroup {
  readonly type = SHARE_GROUP_TYPE;
  readonly protocolType = 'share';
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ShareMember>();
  readonly sessionTimers = new Map<string, TimerHandle>();

  constructor(readonly groupId: string) {}

  get state(): string {
    return this.members.size === 0 ? ShareGroupState.Empty : ShareGroupState.Stable;
  }
}

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
  /** topic id → partitions; null on a leave. */
  assignment: Map<string, number[]> | null;
}

export interface ShareGroupsDeps {
  readonly scheduler: Scheduler;
  readonly topics: TopicCatalog;
  readonly settings: ShareGroupSettings;
  /** Whether a classic or consumer group has this id. */
  otherGroupExists(groupId: string): boolean;
  /** Group ids with persisted share-partition state (listed Empty when they have no members). */
  persistedGroupIds(): Iterable<string>;
}

export class ShareGroups {
  private readonly groups = new Map<string, ShareGroup>();

  constructor(private readonly deps: ShareGroupsDeps) {}

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

  heartbeat(req: ShareHeartbeat): ShareHeartbeatAnswer {
    if (this.deps.otherGroupExists(req.groupId)) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a share group`);
    if (req.memberEpoch === -1) return this.leave(req);
    if (req.memberEpoch < -1) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid member epoch ${req.memberEpoch}`);
    let g = this.groups.get(req.groupId);
    let m = g?.members.get(req.memberId);
    // One group epoch bump per heartbeat that changes the membership, a subscription or an assignment.
    let changed = false;
    if (req.memberEpoch === 0) {
      if (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in the first request');
      if (g === undefined) {
        g = new ShareGroup(req.groupId);
        this.groups.set(req.groupId, g);
      }
      if (m === undefined) {
        if (g.members.size >= this.deps.settings.maxSize) throw new KafkaError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum size of ${this.deps.settings.maxSize}`);
        m = { memberId: req.memberId === '' ? randomUuid() : req.memberId, memberEpoch: 0, rackId: req.rackId, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: [], assignment: new Map() };
        g.members.set(m.memberId, m);
        changed = true;
      }
    } else {
      if (g === undefined || m === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not in share group ${req.groupId}`);
      if (req.memberEpoch !== m.memberEpoch) throw new KafkaError(ErrorCode.FENCED_MEMBER_EPOCH, `Member epoch ${req.memberEpoch} is not the current ${m.memberEpoch}`);
    }
    if (req.subscribedTopicNames !== null && !sameNames(req.subscribedTopicNames, m.subscribedTopicNames)) {
      m.subscribedTopicNames = [...new Set(req.subscribedTopicNames)].sort();
      changed = true;
    }
    if (req.rackId !== null) m.rackId = req.rackId;
    const target = this.assignmentOf(m.subscribedTopicNames);
    const assignmentChanged = !sameAssignment(target, m.assignment);
    if (changed || assignmentChanged) g.groupEpoch++;
    g.assignmentEpoch = g.groupEpoch;
    const answerAssignment = assignmentChanged || req.memberEpoch === 0 || m.memberEpoch !== g.groupEpoch;
    m.assignment = target;
    m.memberEpoch = g.groupEpoch;
    this.resetSession(g, m.memberId);
    return { memberId: m.memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs: this.deps.settings.heartbeatIntervalMs, assignment: answerAssignment ? target : null };
  }

  shutdown(): void {
    for (const g of this.groups.values()) for (const t of g.sessionTimers.values()) t.cancel();
    this.groups.clear();
  }

  private leave(req: ShareHeartbeat): ShareHeartbeatAnswer {
    const g = this.groups.get(req.groupId);
    if (g === undefined || !g.members.has(req.memberId)) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not in share group ${req.groupId}`);
    this.remove(g, req.memberId);
    return { memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
  }

  private remove(g: ShareGroup, memberId: string): void {
    g.sessionTimers.get(memberId)?.cancel();
    g.sessionTimers.delete(memberId);
    if (g.members.delete(memberId)) g.groupEpoch++;
    g.assignmentEpoch = g.groupEpoch;
  }

  private resetSession(g: ShareGroup, memberId: string): void {
    g.sessionTimers.get(memberId)?.cancel();
    g.sessionTimers.set(
      memberId,
      this.deps.scheduler.schedule(this.deps.settings.sessionTimeoutMs, () => {
        if (this.groups.get(g.groupId) === g && g.members.has(memberId)) this.remove(g, memberId);
      }),
    );
  }

  /** Kafka's SimpleAssignor for share groups, as served here: every partition of every subscribed topic that exists. */
  private assignmentOf(topics: readonly string[]): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const name of topics) {
      const id = this.deps.topics.idOf(name);
      const n = this.deps.topics.partitionsOf(name);
      if (id === undefined || n === undefined) continue;
      out.set(id, Array.from({ length: n }, (_, i) => i));
    }
    return out;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  return x.length === b.length && x.every((n, i) => n === b[i]);
}

function sameAssignment(a: Map<string, number[]>, b: Map<string, number[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, parts] of a) {
    const other = b.get(id);
    if (other === undefined || other.length !== parts.length || other.some((p, i) => p !== parts[i])) return false;
  }
  return true;
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
