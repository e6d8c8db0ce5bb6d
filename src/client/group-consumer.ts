/**
 * A small consumer over the protocol client, a real member of a classic consumer group: subscribe
 * (topics or a pattern) joins the group through JoinGroup/SyncGroup with the "range" assignor and
 * keeps the membership with Heartbeat; assign() takes partitions by hand (no membership, commits
 * as generation -1); poll() fetches from the positions (fetchRound); commit() / committed() are
 * OffsetCommit / OffsetFetch at the coordinator; close() leaves the group.
 *
 * Kafka's rules kept (KafkaConsumer + ConsumerCoordinator): JoinGroup v4+ answers
 * MEMBER_ID_REQUIRED with a member id to join again with; the leader computes the assignment;
 * REBALANCE_IN_PROGRESS from Heartbeat means join again; a partition's first position is its
 * committed offset, else `auto.offset.reset` (earliest, latest; none fails); with auto commit the
 * positions are committed every autoCommitIntervalMs during poll, before a rebalance and on close.
 * Samsa's deviations: the heartbeat runs on a timer of this process and a rebalance it learns of
 * is joined in the background at once (Kafka's consumer rejoins on its next poll, its heartbeat
 * thread only keeps the session); a pattern is matched against the topics when joining only.
 */
import { errorInfo } from '../common/error-codes.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, encodeSubscription } from '../protocol/consumer-protocol.js';
import type { HeartbeatResponse } from '../protocol/generated/messages/heartbeat.js';
import type { JoinGroupResponse } from '../protocol/generated/messages/join-group.js';
import type { OffsetCommitResponse } from '../protocol/generated/messages/offset-commit.js';
import type { OffsetFetchResponse } from '../protocol/generated/messages/offset-fetch.js';
import type { SyncGroupResponse } from '../protocol/generated/messages/sync-group.js';
import { AdminError, ApiKey, tpKey, type TopicPartitionKey } from './admin.js';
import type { ClusterClient } from './cluster-client.js';
import type { KafkaConnection } from './connection.js';
import { IllegalStateError, type GroupConsumerOptions, type PollOptions, type TopicPartitionOffset } from './group-consumer-options.js';
import { fetchRound, offsetsAt, type FetchedRecord, type TopicPartition } from './partition-fetcher.js';
import { rangeAssign } from './range-assignor.js';

const JOIN_GROUP = 11;
const HEARTBEAT = 12;
const LEAVE_GROUP = 13;
const SYNC_GROUP = 14;
const ASSIGNOR = 'range';

export { IllegalStateError, type GroupAssignor, type GroupConsumerOptions, type OffsetReset, type PollOptions, type TopicPartitionOffset } from './group-consumer-options.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GroupConsumer {
  readonly groupId: string;
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private topics: string[] = [];
  private pattern: RegExp | null = null;
  private memberId = '';
  private generation = -1;
  private assigned: TopicPartition[] = [];
  private readonly positions = new Map<TopicPartitionKey, TopicPartitionOffset>();
  private needsJoin = false;
  private joining: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastCommit = performance.now();
  private closed = false;
  /** The group coordinator's connection, found once and forgotten on a coordinator error. */
  private coordinatorConn: Promise<KafkaConnection> | null = null;

  constructor(
    private readonly cluster: ClusterClient,
    private readonly opts: GroupConsumerOptions,
  ) {
    this.groupId = opts.groupId;
  }

  /** The member id given by the coordinator ('' before joining and for manual assignment). */
  get member(): string {
    return this.memberId;
  }

  /** The generation of the last join (-1 before joining and for manual assignment). */
  get generationId(): number {
    return this.generation;
  }

  /** Subscribed topics (a pattern's topics as matched at the last join). */
  subscription(): string[] {
    return this.mode === 'subscribe' ? [...this.topics] : [];
  }

  assignment(): TopicPartition[] {
    return this.assigned.map((tp) => ({ ...tp }));
  }

  async subscribe(topics: readonly string[] | RegExp): Promise<void> {
    if (this.mode === 'assign') throw new IllegalStateError('Subscription to topics, partitions and pattern are mutually exclusive.');
    if (this.mode === 'subscribe') await this.revoke();
    this.mode = 'subscribe';
    this.pattern = topics instanceof RegExp ? topics : null;
    this.topics = topics instanceof RegExp ? [] : [...new Set(topics)];
    this.needsJoin = true;
    this.startJoin();
  }

  async assign(tps: readonly TopicPartition[]): Promise<void> {
    if (this.mode === 'subscribe') throw new IllegalStateError('Subscription to topics, partitions and pattern are mutually exclusive.');
    this.mode = tps.length === 0 ? 'none' : 'assign';
    this.setAssigned(tps);
  }

  /** Drops the subscription or the manual assignment (leaving the group). */
  async unsubscribe(): Promise<void> {
    if (this.mode === 'subscribe') {
      await this.revoke();
      await this.leave();
    }
    this.needsJoin = false;
    this.mode = 'none';
    this.topics = [];
    this.pattern = null;
    this.setAssigned([]);
  }

  position(tp: TopicPartition): bigint | undefined {
    return this.positions.get(tpKey(tp.topic, tp.partition))?.offset;
  }

  seek(tp: TopicPartition, offset: bigint): void {
    if (!this.assigned.some((a) => a.topic === tp.topic && a.partition === tp.partition)) {
      throw new IllegalStateError(`No current assignment for partition ${tp.topic}-${tp.partition}`);
    }
    this.positions.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, offset });
  }

  async seekTo(tps: readonly TopicPartition[], where: 'beginning' | 'end'): Promise<void> {
    for (const tp of tps) this.seek(tp, this.position(tp) ?? 0n);
    const offsets = await offsetsAt(this.cluster, tps, where === 'beginning' ? -2n : -1n, this.opts.isolationLevel ?? 0);
    for (const tp of tps) this.seek(tp, offsets.get(tpKey(tp.topic, tp.partition)) ?? 0n);
  }

  /** Records from the current positions (waiting up to maxWaitMs, also for a rebalance to finish). */
  async poll(o: PollOptions): Promise<FetchedRecord[]> {
    if (this.closed) throw new IllegalStateError('This consumer has already been closed.');
    if (this.mode === 'none') throw new IllegalStateError('Consumer is not subscribed to any topics or assigned any partitions');
    const deadline = performance.now() + o.maxWaitMs;
    if (this.mode === 'subscribe' && (this.needsJoin || this.joining)) {
      this.startJoin();
      const joined = this.joining;
      if (joined) {
        const done = await Promise.race([joined.then(() => true), sleep(Math.max(0, deadline - performance.now())).then(() => false)]);
        if (!done) return [];
      }
    }
    if (this.opts.autoCommit && performance.now() - this.lastCommit >= (this.opts.autoCommitIntervalMs ?? 5_000)) await this.commit().catch((e) => this.opts.onError?.(e));
    await this.initPositions();
    if (this.positions.size === 0) {
      await sleep(Math.max(0, deadline - performance.now()));
      return [];
    }
    const round = await fetchRound(this.cluster, this.positions, { maxWaitMs: Math.max(0, Math.round(deadline - performance.now())), minBytes: o.minBytes ?? 1, maxBytes: o.maxBytes, isolationLevel: this.opts.isolationLevel ?? 0 });
    for (const [key, offset] of round.next) {
      const p = this.positions.get(key);
      if (p) p.offset = offset;
    }
    let refresh = false;
    const outOfRange: TopicPartition[] = [];
    for (const e of round.errors) {
      if (e.errorCode === 1) outOfRange.push({ topic: e.topic, partition: e.partition });
      else if (errorInfo(e.errorCode).retriable || e.errorCode === 3) refresh = true;
      else throw new AdminError(`Fetch from ${e.topic}-${e.partition}`, e.errorCode);
    }
    if (refresh) await this.cluster.refresh().catch(() => undefined);
    if (outOfRange.length > 0) await this.resetPositions(outOfRange);
    return round.records;
  }

  /** Commits `offsets`, or every current position. Throws AdminError on the first failed partition. */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    const list = offsets ?? [...this.positions.values()];
    this.lastCommit = performance.now();
    if (list.length === 0) return;
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string }[]>();
    for (const o of list) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' }]);
    const member = this.mode === 'subscribe' ? { generationIdOrMemberEpoch: this.generation, memberId: this.memberId } : { generationIdOrMemberEpoch: -1, memberId: '' };
    const conn = await this.coordinator();
    const res = await conn.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, { groupId: this.groupId, ...member, groupInstanceId: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue;
        this.coordinatorMoved(p.errorCode);
        if (p.errorCode === 27 || p.errorCode === 25 || p.errorCode === 22) this.rejoinSoon(p.errorCode);
        throw new AdminError(`OffsetCommit for ${t.name}-${p.partitionIndex}`, p.errorCode);
      }
    }
  }

  /** Committed offsets (with metadata) of the given partitions; partitions without a commit are left out. */
  async committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (tps.length === 0) return [];
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const conn = await this.coordinator();
    const res = await conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: [{ groupId: this.groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }], requireStable: false });
    const g = res.groups[0];
    if (!g) throw new AdminError('OffsetFetch', -1);
    this.coordinatorMoved(g.errorCode);
    if (g.errorCode !== 0) throw new AdminError('OffsetFetch', g.errorCode);
    const out: TopicPartitionOffset[] = [];
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new AdminError(`OffsetFetch for ${t.name}-${p.partitionIndex}`, p.errorCode);
        if (p.committedOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata ?? '' });
      }
    }
    return out;
  }

  /** Commits (with auto commit) and leaves the group. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.opts.autoCommit) await this.commit().catch(() => undefined);
    this.closed = true;
    this.stopHeartbeat();
    if (this.mode === 'subscribe') await this.leave().catch(() => undefined);
  }

  private async coordinator(): Promise<KafkaConnection> {
    if (this.coordinatorConn !== null) {
      const known = await this.coordinatorConn.catch(() => null);
      if (known !== null && !known.client.closed) return known;
    }
    const found = this.cluster.coordinator(this.groupId);
    this.coordinatorConn = found;
    found.catch(() => (this.coordinatorConn = null));
    return found;
  }

  /** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR: find the coordinator again. */
  private coordinatorMoved(code: number): boolean {
    if (code !== 14 && code !== 15 && code !== 16) return false;
    this.coordinatorConn = null;
    return true;
  }

  private setAssigned(tps: readonly TopicPartition[]): void {
    const keep = new Set(tps.map((tp) => tpKey(tp.topic, tp.partition)));
    for (const k of [...this.positions.keys()]) if (!keep.has(k)) this.positions.delete(k);
    this.assigned = tps.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
  }

  /** Positions for assigned partitions that have none: the committed offset, else the reset policy. */
  private async initPositions(): Promise<void> {
    const missing = this.assigned.filter((tp) => !this.positions.has(tpKey(tp.topic, tp.partition)));
    if (missing.length === 0) return;
    for (const c of await this.committed(missing)) this.positions.set(tpKey(c.topic, c.partition), { topic: c.topic, partition: c.partition, offset: c.offset });
    const still = missing.filter((tp) => !this.positions.has(tpKey(tp.topic, tp.partition)));
    if (still.length > 0) await this.resetPositions(still);
  }

  /** Positions by auto.offset.reset (no committed offset, or the position is out of range). */
  private async resetPositions(tps: readonly TopicPartition[]): Promise<void> {
    const reset = this.opts.autoOffsetReset ?? 'latest';
    if (reset === 'none') throw new IllegalStateError(`Undefined offset with no reset policy for partitions: ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}`);
    const offsets = await offsetsAt(this.cluster, tps, reset === 'earliest' ? -2n : -1n, this.opts.isolationLevel ?? 0);
    for (const tp of tps) this.positions.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, offset: offsets.get(tpKey(tp.topic, tp.partition)) ?? 0n });
  }

  private startJoin(): void {
    if (this.joining || !this.needsJoin || this.closed) return;
    this.joining = this.join()
      .catch((e) => {
        this.needsJoin = true;
        this.opts.onError?.(e);
      })
      .finally(() => (this.joining = null));
  }

  private rejoinSoon(code: number): void {
    if (this.mode !== 'subscribe' || this.closed) return;
    if (code === 25) this.memberId = '';
    this.needsJoin = true;
    this.startJoin();
  }

  /**
   * Before a rebalance: commit (auto commit). Positions are kept: the new assignment drops those
   * of partitions it moves elsewhere and keeps those of partitions this member still owns (no
   * other member can have read them in between).
   */
  private async revoke(): Promise<void> {
    if (this.opts.autoCommit && this.positions.size > 0) await this.commit().catch(() => undefined);
    if (this.opts.onRevoke) await this.opts.onRevoke().catch((e) => this.opts.onError?.(e));
  }

  private async join(): Promise<void> {
    await this.revoke();
    for (let attempt = 0; !this.closed && this.mode === 'subscribe'; attempt++) {
      if (attempt > 50) throw new AdminError(`JoinGroup for '${this.groupId}'`, 27);
      const snapshot = this.pattern ? await this.cluster.refresh() : await this.cluster.metadata();
      const pattern = this.pattern;
      if (pattern) this.topics = [...snapshot.topics.values()].filter((t) => !t.internal && pattern.test(t.name)).map((t) => t.name).sort();
      const conn = await this.coordinator();
      const join = await conn.request<JoinGroupResponse>(
        JOIN_GROUP,
        9,
        {
          groupId: this.groupId,
          sessionTimeoutMs: this.opts.sessionTimeoutMs ?? 45_000,
          rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs ?? 60_000,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: [{ name: this.opts.assignor?.name ?? ASSIGNOR, metadata: encodeSubscription({ topics: this.topics, userData: this.opts.assignor?.userData?.() ?? null }, 1) }],
          reason: null,
        },
        (this.opts.rebalanceTimeoutMs ?? 60_000) + 10_000,
      );
      if (join.errorCode === 79) {
        this.memberId = join.memberId; // MEMBER_ID_REQUIRED: join again with the given id
        continue;
      }
      if (join.errorCode === 25) {
        this.memberId = '';
        continue;
      }
      if (join.errorCode === 27 || this.coordinatorMoved(join.errorCode)) {
        await sleep(200);
        continue;
      }
      if (join.errorCode !== 0) throw new AdminError(`JoinGroup for '${this.groupId}'`, join.errorCode);
      this.memberId = join.memberId;
      this.generation = join.generationId;
      const assign = this.opts.assignor ? this.opts.assignor.assign.bind(this.opts.assignor) : rangeAssign;
      const assignments = join.leader === join.memberId ? assign(join.members, snapshot.topics) : [];
      const sync = await conn.request<SyncGroupResponse>(SYNC_GROUP, 5, { groupId: this.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: this.opts.assignor?.name ?? ASSIGNOR, assignments }, (this.opts.rebalanceTimeoutMs ?? 60_000) + 10_000);
      if (sync.errorCode === 25) this.memberId = '';
      if (sync.errorCode === 27 || sync.errorCode === 25 || sync.errorCode === 22 || this.coordinatorMoved(sync.errorCode)) continue;
      if (sync.errorCode !== 0) throw new AdminError(`SyncGroup for '${this.groupId}'`, sync.errorCode);
      const tps = (decodeAssignment(sync.assignment) ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
      this.setAssigned(tps);
      this.opts.assignor?.onAssignment?.(sync.assignment);
      this.needsJoin = false;
      this.startHeartbeat();
      return;
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const every = this.opts.heartbeatIntervalMs ?? 3_000;
    const beat = async (): Promise<void> => {
      if (this.closed || this.mode !== 'subscribe' || this.joining || this.needsJoin) return;
      const conn = await this.coordinator();
      const res = await conn.request<HeartbeatResponse>(HEARTBEAT, 4, { groupId: this.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
      this.coordinatorMoved(res.errorCode);
      if (res.errorCode === 27 || res.errorCode === 25 || res.errorCode === 22) this.rejoinSoon(res.errorCode);
      else if (res.errorCode !== 0) throw new AdminError(`Heartbeat for '${this.groupId}'`, res.errorCode);
    };
    const tick = (): void => {
      this.heartbeat = setTimeout(() => {
        beat()
          .catch((e) => this.opts.onError?.(e))
          .finally(() => {
            if (!this.closed && this.heartbeat !== null) tick();
          });
      }, every);
      this.heartbeat.unref();
    };
    tick();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = null;
  }

  private async leave(): Promise<void> {
    this.stopHeartbeat();
    if (this.memberId === '') return;
    const conn = await this.coordinator();
    await conn.request(LEAVE_GROUP, 5, { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is being closed' }] });
    this.memberId = '';
    this.generation = -1;
  }
}

