/**
 * A KIP-932 share group as its records build it (share-groups.ts runs the heartbeats): the group
 * and assignment epochs, the members with their subscriptions, member epochs and assignments, the
 * target assignment, and the topic partitions whose share-partition state it initialised; plus the
 * pure helpers over them (removing a member, comparing subscriptions and assignments).
 * Kafka's rule (ShareGroup, ShareGroupMember): a share group is Empty without members and Stable
 * with some; removing a member tombstones its records and bumps the group
 * epoch; the defaults are group.share.heartbeat.interval.ms 5000, group.share.session.timeout.ms
 * 45000 and group.share.max.size 200.
 * Samsa's deviations: every member is assigned every partition of its subscribed topics (see
 * share-groups.ts), so the target assignment epoch moves with the group epoch.
 */
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import type { TimerHandle } from '../scheduler.js';
import { shareGroupEpochRecord, shareMemberTombstones, shareTargetEpochRecord, type InitializedTopic, type ShareAssignment } from './share-records.js';

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
  previousMemberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topic id → partitions. */
  assignment: ShareAssignment;
}

export class ShareGroup {
  readonly type = SHARE_GROUP_TYPE;
  readonly protocolType = 'share';
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ShareMember>();
  /** The target assignment of each member (ShareGroupTargetAssignmentMember records). */
  readonly targets = new Map<string, ShareAssignment>();
  /** Topic partitions whose share-partition state the group has initialised (ShareGroupStatePartitionMetadata). */
  initialized: InitializedTopic[] = [];
  readonly sessionTimers = new Map<string, TimerHandle>();

  constructor(readonly groupId: string) {}

  get state(): string {
    return this.members.size === 0 ? ShareGroupState.Empty : ShareGroupState.Stable;
  }
}

/** The member `memberId` of `g`, added (empty) when it is not there yet (replay). */
export function memberOf(g: ShareGroup, memberId: string): ShareMember {
  let m = g.members.get(memberId);
  if (m === undefined) {
    m = { memberId, memberEpoch: 0, previousMemberEpoch: 0, rackId: null, clientId: '', clientHost: '', subscribedTopicNames: [], assignment: new Map() };
    g.members.set(memberId, m);
  }
  return m;
}

/** The records removing a member: its tombstones, then the bumped group and assignment epochs. */
export function removal(g: ShareGroup, memberId: string): CoordinatorRecord[] {
  const epoch = g.groupEpoch + 1;
  return [...shareMemberTombstones(g.groupId, memberId), shareGroupEpochRecord(g.groupId, epoch), shareTargetEpochRecord(g.groupId, epoch)];
}

/** The initialised topic partitions with `topics` added, or null when nothing is new. */
export function mergeInitialized(prior: readonly InitializedTopic[], topics: readonly InitializedTopic[]): InitializedTopic[] | null {
  const out = new Map(prior.map((t) => [t.topicId, { ...t, partitions: [...t.partitions] }]));
  let changed = false;
  for (const t of topics) {
    const p = out.get(t.topicId);
    if (p === undefined) {
      out.set(t.topicId, { ...t, partitions: [...t.partitions] });
      changed = true;
      continue;
    }
    for (const i of t.partitions) {
      if (p.partitions.includes(i)) continue;
      p.partitions.push(i);
      changed = true;
    }
  }
  return changed ? [...out.values()] : null;
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  return x.length === b.length && x.every((n, i) => n === b[i]);
}

export function sameAssignment(a: ShareAssignment, b: ShareAssignment): boolean {
  if (a.size !== b.size) return false;
  for (const [id, parts] of a) {
    const other = b.get(id);
    if (other === undefined || other.length !== parts.length || other.some((p, i) => p !== parts[i])) return false;
  }
  return true;
}
