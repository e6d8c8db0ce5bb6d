/**
 * A member of a classic group with any protocol type (Kafka's AbstractCoordinator): JoinGroup
 * (joining again with the id MEMBER_ID_REQUIRED gives), SyncGroup with the leader's assignment,
 * Heartbeat until the coordinator answers REBALANCE_IN_PROGRESS (or the member asks to rejoin),
 * then revoke → join again. Kafka Connect workers use it with protocol type "connect"; the
 * metadata and assignment bytes are the caller's.
 *
 * Kafka's rules kept: the leader (JoinGroup's `leader` equals our member id) computes every
 * member's assignment from the members' metadata; UNKNOWN_MEMBER_ID resets the member id;
 * ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS mean join again; NOT_COORDINATOR /
 * COORDINATOR_NOT_AVAILABLE find the coordinator again; close() sends LeaveGroup. onRevoke runs
 * before every join (an eager member gives up everything there; a cooperative one only notes the
 * rebalance) and onLost when the coordinator no longer knows the member (UNKNOWN_MEMBER_ID,
 * ILLEGAL_GENERATION): whatever it was assigned may be someone else's by now.
 */
import type { HeartbeatResponse } from '../protocol/generated/messages/heartbeat.js';
import type { JoinGroupResponse } from '../protocol/generated/messages/join-group.js';
import type { SyncGroupResponse } from '../protocol/generated/messages/sync-group.js';
import { AdminError } from './admin.js';
import type { ClusterClient } from './cluster-client.js';
import type { KafkaConnection } from './connection.js';

const JOIN_GROUP = 11;
const HEARTBEAT = 12;
const LEAVE_GROUP = 13;
const SYNC_GROUP = 14;

export interface JoinedMember {
  memberId: string;
  metadata: Buffer;
}

export interface GroupMemberOptions {
  groupId: string;
  protocolType: string;
  /** The protocols offered at each join (name and this member's metadata). */
  protocols: () => { name: string; metadata: Buffer }[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Leader only: every member's assignment. */
  assign: (self: string, protocol: string, members: JoinedMember[]) => Promise<Map<string, Buffer>>;
  /** Before joining again: give up what was assigned. */
  onRevoke: () => Promise<void>;
  /** The membership was lost: give up everything at once. */
  onLost?: () => Promise<void>;
  onAssigned: (assignment: Buffer, info: { generation: number; memberId: string; leaderId: string }) => Promise<void>;
  onError?: (e: unknown) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GroupMember {
  private memberId = '';
  private generation = -1;
  private closed = false;
  private rejoin = true;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private coordinatorConn: KafkaConnection | null = null;

  constructor(
    private readonly cluster: ClusterClient,
    private readonly opts: GroupMemberOptions,
  ) {}

  get member(): string {
    return this.memberId;
  }

  start(): void {
    if (this.loop === null) this.loop = this.run();
  }

  /** Asks for a rebalance (this member joins again at once). */
  requestRejoin(): void {
    this.rejoin = true;
    this.wake?.();
  }

  private async coordinator(): Promise<KafkaConnection> {
    if (this.coordinatorConn !== null && !this.coordinatorConn.client.closed) return this.coordinatorConn;
    this.coordinatorConn = await this.cluster.coordinator(this.opts.groupId);
    return this.coordinatorConn;
  }

  private moved(code: number): boolean {
    if (code !== 14 && code !== 15 && code !== 16) return false;
    this.coordinatorConn = null;
    return true;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.rejoin) {
          await this.opts.onRevoke();
          if (this.closed) break;
          await this.joinOnce();
          continue;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.opts.heartbeatIntervalMs ?? 3_000);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
        if (this.closed || this.rejoin) continue;
        const conn = await this.coordinator();
        const res = await conn.request<HeartbeatResponse>(HEARTBEAT, 4, { groupId: this.opts.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
        if (res.errorCode === 25) this.memberId = '';
        if (res.errorCode === 25 || res.errorCode === 22) await this.opts.onLost?.();
        if (res.errorCode === 27 || res.errorCode === 25 || res.errorCode === 22) this.rejoin = true;
        else if (this.moved(res.errorCode)) continue;
        else if (res.errorCode !== 0) throw new AdminError(`Heartbeat for '${this.opts.groupId}'`, res.errorCode);
      } catch (e) {
        this.coordinatorConn = null;
        this.opts.onError?.(e);
        if (!this.closed) await sleep(500);
      }
    }
  }

  /** One JoinGroup + SyncGroup round; leaves `rejoin` set when it has to be repeated. */
  private async joinOnce(): Promise<void> {
    const conn = await this.coordinator();
    const rebalanceTimeoutMs = this.opts.rebalanceTimeoutMs ?? 60_000;
    const join = await conn.request<JoinGroupResponse>(
      JOIN_GROUP,
      9,
      { groupId: this.opts.groupId, sessionTimeoutMs: this.opts.sessionTimeoutMs ?? 10_000, rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId: null, protocolType: this.opts.protocolType, protocols: this.opts.protocols(), reason: null },
      rebalanceTimeoutMs + 10_000,
    );
    if (join.errorCode === 79) {
      this.memberId = join.memberId;
      return;
    }
    if (join.errorCode === 25) {
      this.memberId = '';
      await this.opts.onLost?.();
      return;
    }
    if (join.errorCode === 27 || this.moved(join.errorCode)) {
      await sleep(200);
      return;
    }
    if (join.errorCode !== 0) throw new AdminError(`JoinGroup for '${this.opts.groupId}'`, join.errorCode);
    this.memberId = join.memberId;
    this.generation = join.generationId;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (join.leader === join.memberId) {
      const map = await this.opts.assign(this.memberId, join.protocolName ?? '', join.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })));
      assignments = [...map].map(([memberId, assignment]) => ({ memberId, assignment }));
    }
    const sync = await conn.request<SyncGroupResponse>(SYNC_GROUP, 5, { groupId: this.opts.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: this.opts.protocolType, protocolName: join.protocolName, assignments }, rebalanceTimeoutMs + 10_000);
    if (sync.errorCode === 25) this.memberId = '';
    if (sync.errorCode === 25 || sync.errorCode === 22) await this.opts.onLost?.();
    if (sync.errorCode === 27 || sync.errorCode === 25 || sync.errorCode === 22 || this.moved(sync.errorCode)) return;
    if (sync.errorCode !== 0) throw new AdminError(`SyncGroup for '${this.opts.groupId}'`, sync.errorCode);
    this.rejoin = false;
    await this.opts.onAssigned(sync.assignment, { generation: this.generation, memberId: this.memberId, leaderId: join.leader });
  }

  /** Leaves the group (after revoking). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.loop?.catch(() => undefined);
    await this.opts.onRevoke().catch(() => undefined);
    if (this.memberId === '') return;
    const conn = await this.coordinator().catch(() => null);
    await conn?.request(LEAVE_GROUP, 5, { groupId: this.opts.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the worker is stopping' }] }).catch(() => undefined);
    this.memberId = '';
  }
}
