/**
 * One member of a classic group (Kafka's ClassicGroupMember): identity, timeouts, the protocols
 * it supports with their metadata, its current assignment, and the pending JoinGroup/SyncGroup
 * answers it is waiting for.
 */
import type { TimerHandle } from './scheduler.js';

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

/** What a JoinGroup caller eventually receives. */
export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinMemberInfo[];
}

/** What a SyncGroup caller eventually receives. */
export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BUFFER = Buffer.alloc(0);

export class ClassicMember {
  assignment: Buffer = EMPTY_BUFFER;
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  awaitingSync: ((r: SyncResult) => void) | null = null;
  /** Joined during the current rebalance and has not received a JoinGroup answer yet. */
  isNew = false;
  lastHeartbeat: number;
  heartbeatTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: MemberProtocol[],
    now: number,
  ) {
    this.lastHeartbeat = now;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  protocolNames(): string[] {
    return this.protocols.map((p) => p.name);
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** True when `protocols` are exactly the ones this member already has (names, order and metadata). */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => {
      const mine = this.protocols[i] as MemberProtocol;
      return mine.name === p.name && mine.metadata.equals(p.metadata);
    });
  }

  /** Its first preference among `candidates` (Kafka's vote). */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
    return choice.name;
  }

  /** Kafka's shouldKeepAlive: whether the member is still live at `deadline`. */
  shouldKeepAlive(deadline: number, newMemberJoinTimeoutMs: number): boolean {
    if (this.awaitingJoin) return !this.isNew || this.lastHeartbeat + newMemberJoinTimeoutMs > deadline;
    if (this.awaitingSync) return true;
    return this.lastHeartbeat + this.sessionTimeoutMs > deadline;
  }

  cancelHeartbeat(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
  }
}
