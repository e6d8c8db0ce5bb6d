/**
 * Electing the one registry instance that writes (the primary), as Confluent Schema Registry does:
 * every instance joins one consumer group (`schema-registry` by default) with protocol type "sr"
 * through JoinGroup/SyncGroup/Heartbeat, its metadata naming its URL; the group leader picks the
 * primary among the members and every member learns it from its SyncGroup assignment. A member
 * that dies (no heartbeat within the session timeout) leaves the group, the others rejoin and a
 * new primary is chosen.
 *
 * Confluent's format: member metadata {"version":1,"host","port","scheme","leader_eligibility"},
 * assignment {"version":1,"error":0,"master":<member id>,"master_identity":{...}}. Samsa's rule
 * for the choice: among eligible members, the current primary stays if it is still a member, else
 * the member with the smallest URL (deterministic; Confluent takes the first eligible one).
 */
import { ErrorCode } from '../common/error-codes.js';
import type { Logger } from '../common/logger.js';
import type { ProtocolClient } from '../client/protocol-client.js';
import type { HeartbeatResponse } from '../protocol/generated/messages/heartbeat.js';
import type { JoinGroupResponse } from '../protocol/generated/messages/join-group.js';
import type { SyncGroupResponse } from '../protocol/generated/messages/sync-group.js';
import { Api, type KafkaLink } from './kafka-link.js';

export interface Identity {
  version: 1;
  host: string;
  port: number;
  scheme: string;
  leader_eligibility: boolean;
}

export function identityUrl(i: Identity): string {
  const host = i.host.includes(':') ? `[${i.host}]` : i.host;
  return `${i.scheme}://${host}:${i.port}`;
}

export interface ElectionOptions {
  groupId: string;
  identity: Identity;
  logger: Logger;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseIdentity(buf: Uint8Array): Identity | null {
  try {
    const o = JSON.parse(Buffer.from(buf).toString('utf8')) as Partial<Identity> & { master_eligibility?: boolean };
    if (typeof o.host !== 'string' || typeof o.port !== 'number') return null;
    const eligible = o.leader_eligibility ?? o.master_eligibility ?? true;
    return { version: 1, host: o.host, port: o.port, scheme: typeof o.scheme === 'string' ? o.scheme : 'http', leader_eligibility: eligible };
  } catch {
    return null;
  }
}

export class PrimaryElection {
  private memberId = '';
  private generation = -1;
  private primaryIdentity: Identity | null = null;
  private primaryMember: string | null = null;
  /** The last primary known (kept through a rebalance, so the leader can keep it). */
  private lastPrimaryMember: string | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private coordinator: ProtocolClient | null = null;
  private changeWaiters: (() => void)[] = [];

  constructor(
    private readonly link: KafkaLink,
    private readonly opts: ElectionOptions,
  ) {}

  /** The primary's identity, or null while none is known (a rebalance is under way). */
  get primary(): Identity | null {
    return this.primaryIdentity;
  }

  get isPrimary(): boolean {
    return this.primaryMember !== null && this.primaryMember === this.memberId;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Resolves once a primary is known, or after `timeoutMs` (then null). */
  async waitForPrimary(timeoutMs: number): Promise<Identity | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.primaryIdentity === null && Date.now() < deadline) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(200, Math.max(1, deadline - Date.now())));
        this.changeWaiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    return this.primaryIdentity;
  }

  async close(): Promise<void> {
    this.running = false;
    const c = this.coordinator;
    if (c && this.memberId && !c.closed) {
      await c
        .request(Api.LeaveGroup, 4, { groupId: this.opts.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'registry stopping' }] }, 2_000)
        .catch(() => undefined);
    }
    this.setPrimary(null, null);
    await this.loop?.catch(() => undefined);
  }

  private setPrimary(member: string | null, identity: Identity | null): void {
    const before = this.primaryIdentity ? identityUrl(this.primaryIdentity) : null;
    this.primaryMember = member;
    if (member !== null) this.lastPrimaryMember = member;
    this.primaryIdentity = identity;
    const after = identity ? identityUrl(identity) : null;
    if (after !== null && after !== before) this.opts.logger.info(`schema registry primary: ${after}${member === this.memberId ? ' (this instance)' : ''}`);
    const ws = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of ws) w();
  }

  private async run(): Promise<void> {
    const session = this.opts.sessionTimeoutMs ?? 10_000;
    const heartbeatMs = this.opts.heartbeatIntervalMs ?? Math.max(100, Math.floor(session / 4));
    let backoff = 100;
    while (this.running) {
      try {
        const c = await this.link.groupCoordinator(this.opts.groupId);
        this.coordinator = c;
        await this.joinAndSync(c);
        backoff = 100;
        // Heartbeats until the group rebalances or the coordinator moves.
        while (this.running) {
          await sleep(heartbeatMs);
          if (!this.running) return;
          const hb = await c.request<HeartbeatResponse>(Api.Heartbeat, 4, { groupId: this.opts.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null }, session);
          if (hb.errorCode === 0) continue;
          if (hb.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
          this.setPrimary(null, null);
          break;
        }
      } catch (e) {
        if (!this.running) return;
        this.setPrimary(null, null);
        this.opts.logger.info(`schema registry election: ${(e as Error).message} (retrying)`);
        await sleep(backoff);
        backoff = Math.min(2_000, backoff * 2);
      }
    }
  }

  private async joinAndSync(c: ProtocolClient): Promise<void> {
    const session = this.opts.sessionTimeoutMs ?? 10_000;
    const rebalance = this.opts.rebalanceTimeoutMs ?? session;
    const metadata = Buffer.from(JSON.stringify(this.opts.identity));
    for (let attempt = 0; attempt < 5; attempt++) {
      const join = await c.request<JoinGroupResponse>(
        Api.JoinGroup,
        7,
        {
          groupId: this.opts.groupId,
          sessionTimeoutMs: session,
          rebalanceTimeoutMs: rebalance,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: 'sr',
          protocols: [{ name: 'v0', metadata }],
          reason: null,
        },
        rebalance + 5_000,
      );
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (join.errorCode !== 0) throw new Error(`JoinGroup: error ${join.errorCode}`);
      this.memberId = join.memberId;
      this.generation = join.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (join.leader === join.memberId) {
        const members = join.members.map((m) => ({ memberId: m.memberId, identity: parseIdentity(m.metadata) }));
        const eligible = members.filter((m) => m.identity?.leader_eligibility);
        const keep = eligible.find((m) => m.memberId === this.lastPrimaryMember);
        const chosen = keep ?? [...eligible].sort((a, b) => (identityUrl(a.identity as Identity) < identityUrl(b.identity as Identity) ? -1 : 1))[0];
        const value = Buffer.from(
          JSON.stringify(chosen ? { version: 1, error: 0, master: chosen.memberId, master_identity: chosen.identity } : { version: 1, error: 1, master: null, master_identity: null }),
        );
        assignments = members.map((m) => ({ memberId: m.memberId, assignment: value }));
      }
      const sync = await c.request<SyncGroupResponse>(
        Api.SyncGroup,
        5,
        { groupId: this.opts.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: 'sr', protocolName: 'v0', assignments },
        rebalance + 5_000,
      );
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (sync.errorCode !== 0) throw new Error(`SyncGroup: error ${sync.errorCode}`);
      const a = JSON.parse(Buffer.from(sync.assignment).toString('utf8')) as { master?: string | null; master_identity?: unknown };
      const identity = a.master_identity ? parseIdentity(Buffer.from(JSON.stringify(a.master_identity))) : null;
      this.setPrimary(a.master ?? null, identity);
      return;
    }
    throw new Error('could not join the registry group');
  }
}
