/**
 * A small KIP-932 share consumer over the protocol client: it joins a share group with
 * ShareGroupHeartbeat at the group's coordinator (and keeps heartbeating at the interval the
 * coordinator gives), fetches with ShareFetch from each assigned partition's leader in one share
 * session per leader, and acknowledges what it got: records marked with `ack` go out with the
 * next `poll` (piggy-backed on the ShareFetch), `commit` (ShareAcknowledge) or `close` (the final
 * epoch), to the broker they were acquired from; delivered records left unmarked are accepted at
 * the next poll (Kafka's implicit acknowledgement mode). Offsets in an acquired range without a
 * record (control records, compacted-away offsets) are acknowledged as gaps (type 0).
 *
 * Kafka's rules kept: the member id is the client's own (a UUID) and epoch 0 joins with the
 * subscription, -1 leaves; UNKNOWN_MEMBER_ID and FENCED_MEMBER_EPOCH re-join; NOT_COORDINATOR /
 * COORDINATOR_NOT_AVAILABLE (or a lost connection) find the coordinator again; the share session
 * epoch starts at 0 (no acknowledgements allowed then) and goes up by one per request, back to 0
 * after SHARE_SESSION_NOT_FOUND or INVALID_SHARE_SESSION_EPOCH; a leader that cannot be reached or
 * answers NOT_LEADER_OR_FOLLOWER makes the client refresh its metadata and open a new session at
 * the new leader; acknowledgements of records acquired from a leader that is gone fail (they are
 * reported in `ackErrors`, and the records are delivered again by the new leader); only records
 * inside the AcquiredRecords ranges are delivered.
 * Samsa's simplification: the leaders are fetched from one after the other in a poll.
 */
import { ErrorCode } from '../common/error-codes.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import { decodeRecordBatches } from '../protocol/records/record.js';
import type { ShareAcknowledgeResponse } from '../protocol/generated/messages/share-acknowledge.js';
import type { ShareFetchRequestInit, ShareFetchResponse } from '../protocol/generated/messages/share-fetch.js';
import type { ShareGroupHeartbeatResponse } from '../protocol/generated/messages/share-group-heartbeat.js';
import { ClusterClient } from './cluster-client.js';
import type { KafkaConnection } from './connection.js';
import { AcknowledgeType, requestTopics, splitKey, type Acks } from './share-acks.js';

export { AcknowledgeType };

const SHARE_GROUP_HEARTBEAT = 76;
const SHARE_FETCH = 78;
const SHARE_ACKNOWLEDGE = 79;
/** Errors after which the coordinator is looked up again. */
const COORDINATOR_MOVED: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
/** Partition errors after which the metadata is refreshed. */
const LEADER_MOVED: ReadonlySet<number> = new Set([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.LEADER_NOT_AVAILABLE]);

export interface ShareRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  deliveryCount: number;
}

export interface ShareConsumerOptions {
  /** "host:port" of a broker, or several separated by commas (the bootstrap servers). */
  broker: string;
  groupId: string;
  topics: readonly string[];
  clientId?: string;
  /** ShareFetch max wait (default 500 ms) and max bytes (default 1 MiB). */
  maxWaitMs?: number;
  maxBytes?: number;
}

/** One share session, with one leader. */
interface Session {
  epoch: number;
  /** "topicId:partition" of the partitions in the session. */
  partitions: Set<string>;
}

export class ShareConsumer {
  readonly memberId = randomUuid();
  memberEpoch = 0;
  /** topic id → partitions, as the coordinator last assigned. */
  assignment = new Map<string, number[]>();
  /** Acknowledgement errors reported by the brokers (or a lost leader), for inspection. */
  readonly ackErrors: { topicId: string; partition: number; errorCode: number }[] = [];
  private readonly cluster: ClusterClient;
  private coordinator: KafkaConnection | null = null;
  /** Share sessions by leader node id. */
  private readonly sessions = new Map<number, Session>();
  /** "topicId:partition" → the node its delivered records were acquired from. */
  private readonly acquiredFrom = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private readonly ids = new Map<string, string>();
  /** "topicId:partition" → offset → type, waiting to be sent. */
  private pending: Acks = new Map();
  /** Delivered by the last poll and not marked yet (accepted implicitly). */
  private delivered: ShareRecord[] = [];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private staleMetadata = false;
  private closed = false;
  private readonly maxBytes: number;

  private constructor(private readonly opts: ShareConsumerOptions) {
    this.cluster = new ClusterClient({ bootstrap: opts.broker.split(',').map((b) => b.trim()).filter((b) => b !== ''), clientId: opts.clientId ?? 'samsa-share-consumer' });
    this.maxBytes = opts.maxBytes ?? 1024 * 1024;
  }

  static async connect(opts: ShareConsumerOptions): Promise<ShareConsumer> {
    const c = new ShareConsumer(opts);
    try {
      await c.heartbeat();
    } catch (e) {
      c.kill();
      throw e;
    }
    return c;
  }

  /** Marks a delivered record; sent with the next poll, commit or close. */
  ack(record: ShareRecord, type: AcknowledgeType = AcknowledgeType.Accept): void {
    const id = this.ids.get(record.topic);
    if (id === undefined) return;
    this.mark(id, record.partition, record.offset, type);
    this.delivered = this.delivered.filter((r) => r !== record);
  }

  /** Fetches the next records from every assigned partition's leader (acknowledging the previous ones on the way). */
  async poll(): Promise<ShareRecord[]> {
    this.acceptDelivered();
    const parts = [...this.assignment].flatMap(([topicId, ps]) => ps.map((p) => `${topicId}:${p}`));
    if (parts.length === 0) return [];
    const byLeader = await this.leadersOf(parts);
    for (const [leader, keys] of byLeader) for (const k of keys) this.leaderMoved(k, leader);
    const out: ShareRecord[] = [];
    for (const [leader, keys] of byLeader) out.push(...(await this.fetchFrom(leader, keys)));
    this.delivered = [...out];
    return out;
  }

  /** Sends the pending acknowledgements now (ShareAcknowledge); resolves with the per-partition error codes. */
  async commit(): Promise<number[]> {
    this.acceptDelivered();
    const codes: number[] = [];
    for (const [leader, acks] of this.acksByLeader()) codes.push(...(await this.acknowledge(leader, acks, false)));
    return codes;
  }

  /** Acknowledges what is pending, closes the share sessions, leaves the group and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.acceptDelivered();
    this.stopHeartbeats();
    try {
      const byLeader = this.acksByLeader();
      for (const leader of this.sessions.keys()) await this.acknowledge(leader, byLeader.get(leader) ?? new Map(), true).catch(() => undefined);
      const conn = await this.coordinatorConnection();
      await conn.request<ShareGroupHeartbeatResponse>(SHARE_GROUP_HEARTBEAT, 0, { groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    } finally {
      this.closed = true;
      this.cluster.close();
    }
  }

  /** Drops the connections without acknowledging or leaving (a consumer that dies). */
  kill(): void {
    this.stopHeartbeats();
    this.closed = true;
    this.cluster.close();
  }

  // ------------------------------------------------------------------------------ internals

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    const joining = this.memberEpoch === 0;
    let next = 0;
    try {
      if (joining) {
        const md = await this.cluster.refresh();
        for (const t of md.topics.values()) {
          this.names.set(t.topicId, t.name);
          this.ids.set(t.name, t.topicId);
        }
      }
      const conn = await this.coordinatorConnection();
      const res = await conn.request<ShareGroupHeartbeatResponse>(SHARE_GROUP_HEARTBEAT, 0, {
        groupId: this.opts.groupId,
        memberId: this.memberId,
        memberEpoch: this.memberEpoch,
        rackId: null,
        subscribedTopicNames: joining ? [...this.opts.topics] : null,
      });
      next = res.heartbeatIntervalMs > 0 ? res.heartbeatIntervalMs : 5000;
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH) {
        this.memberEpoch = 0;
        next = 0;
      } else if (COORDINATOR_MOVED.has(res.errorCode)) {
        this.coordinator = null;
        next = 200;
      } else if (res.errorCode !== ErrorCode.NONE) {
        if (joining && this.heartbeatTimer === null) throw new Error(`ShareGroupHeartbeat failed: error ${res.errorCode} ${res.errorMessage ?? ''}`);
      } else {
        this.memberEpoch = res.memberEpoch;
        if (res.assignment !== null) this.assignment = new Map(res.assignment.topicPartitions.map((t) => [t.topicId, [...t.partitions].sort((a, b) => a - b)]));
      }
    } catch (e) {
      // The coordinator could not be reached: find it again soon (the first join reports the error).
      if (this.heartbeatTimer === null && joining) throw e;
      this.coordinator = null;
      next = 200;
    }
    if (!this.closed) {
      this.heartbeatTimer = setTimeout(() => void this.heartbeat().catch(() => undefined), next);
      this.heartbeatTimer.unref();
    }
  }

  private async coordinatorConnection(): Promise<KafkaConnection> {
    if (this.coordinator !== null && !this.coordinator.client.closed) return this.coordinator;
    this.coordinator = await this.cluster.coordinator(this.opts.groupId);
    return this.coordinator;
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** The assigned partitions grouped by their leader's node id (leaderless ones are left out this time). */
  private async leadersOf(parts: readonly string[]): Promise<Map<number, string[]>> {
    const md = this.staleMetadata ? await this.cluster.refresh() : await this.cluster.metadata();
    this.staleMetadata = false;
    const out = new Map<number, string[]>();
    for (const k of parts) {
      const { topicId, partition } = splitKey(k);
      const name = this.names.get(topicId);
      const leader = name === undefined ? -1 : (md.topics.get(name)?.partitions[partition]?.leader ?? -1);
      if (leader < 0) {
        this.staleMetadata = true;
        continue;
      }
      let list = out.get(leader);
      if (!list) out.set(leader, (list = []));
      list.push(k);
    }
    return out;
  }

  /** One ShareFetch to `leader` for `keys` (with the pending acknowledgements of records acquired there). */
  private async fetchFrom(leader: number, keys: readonly string[]): Promise<ShareRecord[]> {
    let session = this.sessions.get(leader);
    if (session === undefined) this.sessions.set(leader, (session = { epoch: 0, partitions: new Set() }));
    const opening = session.epoch === 0;
    const acks = opening ? new Map<string, Map<bigint, number>>() : this.takeAcks(leader);
    const forgotten = [...session.partitions].filter((k) => !keys.includes(k));
    const req: ShareFetchRequestInit = {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      shareSessionEpoch: session.epoch,
      maxWaitMs: this.opts.maxWaitMs ?? 500,
      minBytes: 1,
      maxBytes: this.maxBytes,
      topics: requestTopics(keys, acks, this.maxBytes),
      forgottenTopicsData: requestTopics(forgotten, new Map(), this.maxBytes).map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => p.partitionIndex) })),
    };
    let res: ShareFetchResponse;
    try {
      const conn = await this.cluster.broker(leader);
      res = await conn.request<ShareFetchResponse>(SHARE_FETCH, 0, req);
    } catch {
      this.leaderLost(leader, acks);
      return [];
    }
    if (res.errorCode !== ErrorCode.NONE) {
      for (const [k, m] of acks) for (const [o, t] of m) this.markKey(k, o, t);
      if (res.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND || res.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH) session.epoch = 0;
      return [];
    }
    session.epoch = session.epoch >= 0x7fffffff ? 1 : session.epoch + 1;
    session.partitions.clear();
    for (const k of keys) session.partitions.add(k);
    const out: ShareRecord[] = [];
    for (const t of res.responses) {
      const topic = this.names.get(t.topicId) ?? t.topicId;
      for (const p of t.partitions) {
        if (p.acknowledgeErrorCode !== ErrorCode.NONE) this.ackErrors.push({ topicId: t.topicId, partition: p.partitionIndex, errorCode: p.acknowledgeErrorCode });
        if (LEADER_MOVED.has(p.errorCode)) this.staleMetadata = true;
        if (p.acquiredRecords.length === 0 || p.records === null) continue;
        this.acquiredFrom.set(`${t.topicId}:${p.partitionIndex}`, leader);
        const byOffset = new Map<bigint, ShareRecord>();
        for (const b of decodeRecordBatches(p.records)) {
          if (b.isControl) continue;
          for (const r of b.records) byOffset.set(r.offset, { topic, partition: p.partitionIndex, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, deliveryCount: 0 });
        }
        for (const range of p.acquiredRecords) {
          for (let o = range.firstOffset; o <= range.lastOffset; o++) {
            const r = byOffset.get(o);
            if (r === undefined) this.mark(t.topicId, p.partitionIndex, o, AcknowledgeType.Gap);
            else out.push({ ...r, deliveryCount: range.deliveryCount });
          }
        }
      }
    }
    return out;
  }

  /** Records of `k` acquired from another leader than its current one: their pending acknowledgements fail (that acquisition is gone). */
  private leaderMoved(k: string, leader: number): void {
    const from = this.acquiredFrom.get(k);
    if (from === undefined || from === leader) return;
    this.acquiredFrom.delete(k);
    if (!this.pending.has(k)) return;
    this.pending.delete(k);
    const { topicId, partition } = splitKey(k);
    this.ackErrors.push({ topicId, partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  }

  /** A leader could not be reached: its session is gone, the acknowledgements sent to it failed, the metadata is stale. */
  private leaderLost(leader: number, sent: Acks): void {
    this.sessions.delete(leader);
    this.staleMetadata = true;
    for (const [k, m] of [...sent, ...this.takeAcks(leader)]) {
      if (m.size === 0) continue;
      const { topicId, partition } = splitKey(k);
      this.ackErrors.push({ topicId, partition, errorCode: ErrorCode.NETWORK_EXCEPTION });
    }
    for (const [k, from] of [...this.acquiredFrom]) if (from === leader) this.acquiredFrom.delete(k);
  }

  private async acknowledge(leader: number, acks: Acks, final: boolean): Promise<number[]> {
    const session = this.sessions.get(leader);
    if (session === undefined || session.epoch === 0 || (acks.size === 0 && !final)) {
      for (const [k, m] of acks) for (const [o, t] of m) this.markKey(k, o, t);
      return [];
    }
    for (const k of acks.keys()) this.pending.delete(k);
    let res: ShareAcknowledgeResponse;
    try {
      const conn = await this.cluster.broker(leader);
      res = await conn.request<ShareAcknowledgeResponse>(SHARE_ACKNOWLEDGE, 0, {
        groupId: this.opts.groupId,
        memberId: this.memberId,
        shareSessionEpoch: final ? -1 : session.epoch,
        topics: requestTopics([...acks.keys()], acks, this.maxBytes).map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, acknowledgementBatches: p.acknowledgementBatches })) })),
      });
    } catch {
      this.leaderLost(leader, acks);
      return [...acks.keys()].map(() => ErrorCode.NETWORK_EXCEPTION);
    }
    if (res.errorCode !== ErrorCode.NONE) {
      if (res.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND || res.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH) session.epoch = 0;
      return [res.errorCode];
    }
    if (final) this.sessions.delete(leader);
    else session.epoch = session.epoch >= 0x7fffffff ? 1 : session.epoch + 1;
    const codes = res.responses.flatMap((t) => t.partitions.map((p) => p.errorCode));
    for (const t of res.responses) for (const p of t.partitions) if (LEADER_MOVED.has(p.errorCode)) this.staleMetadata = true;
    return codes;
  }

  /** The pending acknowledgements by the leader their records were acquired from. */
  private acksByLeader(): Map<number, Acks> {
    const out = new Map<number, Acks>();
    for (const [k, m] of this.pending) {
      const leader = this.acquiredFrom.get(k);
      if (leader === undefined) continue;
      let acks = out.get(leader);
      if (!acks) out.set(leader, (acks = new Map()));
      acks.set(k, m);
    }
    return out;
  }

  /** Removes and returns the pending acknowledgements of records acquired from `leader`. */
  private takeAcks(leader: number): Acks {
    const out: Acks = new Map();
    for (const [k, m] of [...this.pending]) {
      if (this.acquiredFrom.get(k) !== leader) continue;
      out.set(k, m);
      this.pending.delete(k);
    }
    return out;
  }

  private acceptDelivered(): void {
    for (const r of this.delivered) {
      const id = this.ids.get(r.topic);
      if (id !== undefined) this.mark(id, r.partition, r.offset, AcknowledgeType.Accept);
    }
    this.delivered = [];
  }

  private mark(topicId: string, partition: number, offset: bigint, type: number): void {
    this.markKey(`${topicId}:${partition}`, offset, type);
  }

  private markKey(key: string, offset: bigint, type: number): void {
    let m = this.pending.get(key);
    if (!m) this.pending.set(key, (m = new Map()));
    m.set(offset, type);
  }
}
