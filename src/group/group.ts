/**
 * A classic consumer group's state (Kafka's ClassicGroup): its state machine position,
 * generation, chosen protocol, leader, members (dynamic and static), members that were handed a
 * member id and must rejoin with it, and members that still owe a SyncGroup. Its committed
 * offsets are not here: they live in the coordinator's OffsetStore (offset-store.ts), keyed by
 * group id. One kind of the `Group` union (groups.ts). The rebalance logic that drives it lives
 * in rebalance.ts.
 */
import type { GroupMetadataValue } from '../protocol/generated/internal/group-metadata-value.js';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { GroupType } from './groups.js';
import type { RetentionStart } from './offset-store.js';
import { ClassicMember, type MemberProtocol } from './member.js';
import type { TimerHandle } from './scheduler.js';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from './consumer-protocol.js';

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** The name with the most votes (the first seen among equals); undefined when there are none. */
function mostVoted(votes: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestVotes = -1;
  for (const [name, n] of votes) {
    if (n > bestVotes) {
      best = name;
      bestVotes = n;
    }
  }
  return best;
}

export class ClassicGroup {
  readonly type = GroupType.Classic;
  state: GroupState = GroupState.Empty;
  previousState: GroupState = GroupState.Empty;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** When the group last changed state (Kafka's currentStateTimestamp), for offset retention. */
  currentStateTimestamp: number | null;
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members that joined the current generation but have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** Set when a member joins during an initial (delayed) rebalance, one that started from Empty. */
  newMemberAdded = false;
  joinTimer: TimerHandle | null = null;
  syncTimer: TimerHandle | null = null;
  /** Protocol name → how many members support it. */
  private readonly supportedProtocols = new Map<string, number>();

  constructor(readonly groupId: string, now: number | null) {
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(target: GroupState, now: number): void {
    if (!VALID_PREVIOUS[target].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot move from ${this.state} to ${target}`);
    }
    this.previousState = this.state;
    this.state = target;
    this.currentStateTimestamp = now;
  }

  get size(): number {
    return this.members.size;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicMember {
    const m = this.members.get(memberId);
    if (!m) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is not in group ${this.groupId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(instanceId: string): string | undefined {
    return this.staticMembers.get(instanceId);
  }

  add(member: ClassicMember): void {
    if (this.members.size === 0 && this.protocolType === null) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    for (const p of member.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): ClassicMember | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    for (const p of m.protocols) this.decrementProtocol(p.name);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    this.pendingSyncMembers.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return m;
  }

  /** Replaces a member's protocols, keeping the supported-protocol counts right. */
  updateProtocols(member: ClassicMember, protocols: MemberProtocol[]): void {
    for (const p of member.protocols) this.decrementProtocol(p.name);
    member.protocols = protocols;
    for (const p of protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
  }

  /**
   * Gives a static member's slot to a new member object with a new member id (a static member
   * rejoining without its id). The caller answers the old member's pending requests.
   */
  replaceStaticMember(instanceId: string, oldMemberId: string, newMemberId: string, now: number): ClassicMember {
    const old = this.members.get(oldMemberId);
    if (!old) throw new Error(`static member ${instanceId} has no member ${oldMemberId}`);
    old.cancelHeartbeat();
    this.members.delete(oldMemberId);
    const m = new ClassicMember(newMemberId, old.groupInstanceId, old.clientId, old.clientHost, old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.protocols, now);
    m.assignment = old.assignment;
    this.members.set(newMemberId, m);
    this.staticMembers.set(instanceId, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return m;
  }

  private decrementProtocol(name: string): void {
    const n = (this.supportedProtocols.get(name) ?? 0) - 1;
    if (n <= 0) this.supportedProtocols.delete(name);
    else this.supportedProtocols.set(name, n);
  }

  /** Kafka's supportsProtocols: whether a member with this type and these protocols may join. */
  supportsProtocols(protocolType: string, protocols: readonly MemberProtocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    return this.protocolType === protocolType && protocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size);
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    const out = new Set<string>();
    for (const [name, n] of this.supportedProtocols) if (n === this.members.size) out.add(name);
    return out;
  }

  /** Each member votes for its first preference among the candidates; most votes wins (ties: earliest vote). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (candidates.size === 0) throw new Error(`no protocol is supported by all members of ${this.groupId}`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    return mostVoted(votes) ?? '';
  }

  /** What selectProtocol would pick if `memberId` supported `protocols` instead of its own; null when no protocol would be common. */
  selectProtocolIf(memberId: string, protocols: readonly MemberProtocol[]): string | null {
    const counts = new Map(this.supportedProtocols);
    for (const p of this.members.get(memberId)?.protocols ?? []) counts.set(p.name, (counts.get(p.name) ?? 0) - 1);
    for (const p of protocols) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    const candidates = new Set<string>();
    for (const [name, n] of counts) if (n === this.members.size) candidates.add(name);
    if (candidates.size === 0) return null;
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = (m.memberId === memberId ? protocols : m.protocols).find((p) => candidates.has(p.name));
      if (!choice) return null;
      votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    return mostVoted(votes) ?? null;
  }

  /** Largest rebalance timeout of any member (how long a join phase may wait). */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin() && this.pendingMembers.size === 0;
  }

  /** Members that have not rejoined during the current join phase. */
  notYetRejoined(): ClassicMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** Topics the members subscribe to, when they speak the consumer protocol; null when unknown. */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const p = m.protocols.find((x) => x.name === this.protocolName);
      if (!p) continue;
      const sub = decodeSubscription(p.metadata);
      if (!sub) return null;
      for (const t of sub.topics) topics.add(t);
    }
    return topics;
  }

  /**
   * When retention starts for an offset without an explicit expire timestamp (Kafka's
   * ClassicGroup.offsetExpirationCondition): an Empty group's offsets count from when it became
   * empty (from their commit when it never had a protocol type: a simple group); a Stable
   * consumer-protocol group's offsets of topics it no longer subscribes to count from their
   * commit; otherwise they do not expire.
   */
  offsetRetentionStart(): RetentionStart {
    if (this.is(GroupState.Empty)) {
      const emptySince = this.protocolType !== null && this.protocolType !== '' ? this.currentStateTimestamp : null;
      return (_topic, commitTimestamp) => emptySince ?? commitTimestamp;
    }
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || !this.is(GroupState.Stable)) return () => null;
    const subscribed = this.subscribedTopics();
    if (subscribed === null) return () => null;
    return (topic, commitTimestamp) => (subscribed.has(topic) ? null : commitTimestamp);
  }

  /** The GroupMetadataValue persisted for this group (assignments included). */
  toRecordValue(now: number): GroupMetadataValue {
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol: this.protocolName,
      leader: this.leaderId,
      currentStateTimestamp: BigInt(this.currentStateTimestamp ?? now),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: this.protocolName !== null && m.protocols.some((p) => p.name === this.protocolName) ? m.metadataFor(this.protocolName) : Buffer.alloc(0),
        assignment: m.assignment,
      })),
    };
  }
}
