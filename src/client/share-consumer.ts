/**
 * A small KIP-932 share consumer over the protocol client: it joins a share group with
 * ShareGroupHeartbeat (and keeps heartbeating at the interval the coordinator gives), fetches
 * with ShareFetch in a share session, and acknowledges what it got: records marked with `ack`
 * go out with the next `poll` (piggy-backed on the ShareFetch), `commit` (ShareAcknowledge) or
 * `close` (the final epoch); delivered records left unmarked are accepted at the next poll
 * (Kafka's implicit acknowledgement mode). Offsets in an acquired range without a record
 * (control records, compacted-away offsets) are acknowledged as gaps (type 0).
 *
 * Kafka's rules kept: the member id is the client's own (a UUID) and epoch 0 joins with the
 * subscription, -1 leaves; UNKNOWN_MEMBER_ID and FENCED_MEMBER_EPOCH re-join; the share session
 * epoch starts at 0 (no acknowledgements allowed then) and goes up by one per request, back to 0
 * after SHARE_SESSION_NOT_FOUND or INVALID_SHARE_SESSION_EPOCH; only records inside the
 * AcquiredRecords ranges are delivered.
 * Samsa's simplification: one connection, to the given broker, serves as both the group
 * coordinator and the partitions' leader (a single node, or a broker that is both).
 */
import { ErrorCode } from '../common/error-codes.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import { decodeRecordBatches } from '../protocol/records/record.js';
import type { ShareAcknowledgeResponse } from '../protocol/generated/messages/share-acknowledge.js';
import type { ShareFetchRequestInit, ShareFetchResponse } from '../protocol/generated/messages/share-fetch.js';
import type { ShareGroupHeartbeatResponse } from '../protocol/generated/messages/share-group-heartbeat.js';
import { fetchMetadata } from './admin.js';
import { KafkaConnection } from './connection.js';

export const AcknowledgeType = { Gap: 0, Accept: 1, Release: 2, Reject: 3 } as const;
export type AcknowledgeType = (typeof AcknowledgeType)[keyof typeof AcknowledgeType];

const SHARE_GROUP_HEARTBEAT = 76;
const SHARE_FETCH = 78;
const SHARE_ACKNOWLEDGE = 79;

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
  /** "host:port" of the broker. */
  broker: string;
  groupId: string;
  topics: readonly string[];
  clientId?: string;
  /** ShareFetch max wait (default 500 ms) and max bytes (default 1 MiB). */
  maxWaitMs?: number;
  maxBytes?: number;
}

export class ShareConsumer {
  readonly memberId = randomUuid();
  memberEpoch = 0;
  /** topic id → partitions, as the coordinator last assigned. */
  assignment = new Map<string, number[]>();
  /** Acknowledgement errors reported by the broker (partition key → error code), for inspection. */
  readonly ackErrors: { topicId: string; partition: number; errorCode: number }[] = [];
  private sessionEpoch = 0;
  private inSession = new Set<string>();
  private readonly names = new Map<string, string>();
  private readonly ids = new Map<string, string>();
  /** "topicId:partition" → offset → type, waiting to be sent. */
  private pending = new Map<string, Map<bigint, number>>();
  /** Delivered by the last poll and not marked yet (accepted implicitly). */
  private delivered: ShareRecord[] = [];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly conn: KafkaConnection,
    private readonly opts: ShareConsumerOptions,
  ) {}

  static async connect(opts: ShareConsumerOptions): Promise<ShareConsumer> {
    const conn = await KafkaConnection.open(opts.broker, { clientId: opts.clientId ?? 'samsa-share-consumer' });
    const c = new ShareConsumer(conn, opts);
    try {
      await c.heartbeat();
    } catch (e) {
      conn.close();
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

  /** Fetches the next records (acknowledging the previous ones on the way). */
  async poll(): Promise<ShareRecord[]> {
    this.acceptDelivered();
    const parts = [...this.assignment].flatMap(([topicId, ps]) => ps.map((p) => `${topicId}:${p}`));
    if (parts.length === 0) return [];
    const opening = this.sessionEpoch === 0;
    const req: ShareFetchRequestInit = {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      shareSessionEpoch: this.sessionEpoch,
      maxWaitMs: this.opts.maxWaitMs ?? 500,
      minBytes: 1,
      maxBytes: this.opts.maxBytes ?? 1024 * 1024,
      topics: this.byTopic(parts, opening ? new Map() : this.pending),
      forgottenTopicsData: this.byTopic([...this.inSession].filter((k) => !parts.includes(k)), new Map()).map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => p.partitionIndex) })),
    };
    const sent = opening ? new Map<string, Map<bigint, number>>() : this.pending;
    if (!opening) this.pending = new Map();
    const res = await this.conn.request<ShareFetchResponse>(SHARE_FETCH, 0, req);
    if (res.errorCode !== ErrorCode.NONE) {
      for (const [k, m] of sent) for (const [o, t] of m) this.markKey(k, o, t);
      if (res.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND || res.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH) this.sessionEpoch = 0;
      return [];
    }
    this.sessionEpoch = this.sessionEpoch >= 0x7fffffff ? 1 : this.sessionEpoch + 1;
    this.inSession = new Set(parts);
    const out: ShareRecord[] = [];
    for (const t of res.responses) {
      const topic = this.names.get(t.topicId) ?? t.topicId;
      for (const p of t.partitions) {
        if (p.acknowledgeErrorCode !== ErrorCode.NONE) this.ackErrors.push({ topicId: t.topicId, partition: p.partitionIndex, errorCode: p.acknowledgeErrorCode });
        if (p.acquiredRecords.length === 0 || p.records === null) continue;
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
    this.delivered = [...out];
    return out;
  }

  /** Sends the pending acknowledgements now (ShareAcknowledge); resolves with the per-partition error codes. */
  async commit(): Promise<number[]> {
    this.acceptDelivered();
    return this.acknowledge(false);
  }

  /** Acknowledges what is pending, closes the share session, leaves the group and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.acceptDelivered();
    this.stopHeartbeats();
    try {
      if (this.sessionEpoch > 0) await this.acknowledge(true);
      await this.conn.request<ShareGroupHeartbeatResponse>(SHARE_GROUP_HEARTBEAT, 0, { groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    } finally {
      this.closed = true;
      this.conn.close();
    }
  }

  /** Drops the connection without acknowledging or leaving (a consumer that dies). */
  kill(): void {
    this.stopHeartbeats();
    this.closed = true;
    this.conn.close();
  }

  // ------------------------------------------------------------------------------ internals

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    const joining = this.memberEpoch === 0;
    if (joining) {
      const md = await fetchMetadata(this.conn, this.opts.topics);
      for (const t of md.topics.values()) {
        this.names.set(t.topicId, t.name);
        this.ids.set(t.name, t.topicId);
      }
    }
    const res = await this.conn.request<ShareGroupHeartbeatResponse>(SHARE_GROUP_HEARTBEAT, 0, {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      rackId: null,
      subscribedTopicNames: joining ? [...this.opts.topics] : null,
    });
    let next = res.heartbeatIntervalMs > 0 ? res.heartbeatIntervalMs : 5000;
    if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH) {
      this.memberEpoch = 0;
      next = 0;
    } else if (res.errorCode !== ErrorCode.NONE) {
      if (joining && this.heartbeatTimer === null) throw new Error(`ShareGroupHeartbeat failed: error ${res.errorCode} ${res.errorMessage ?? ''}`);
    } else {
      this.memberEpoch = res.memberEpoch;
      if (res.assignment !== null) this.assignment = new Map(res.assignment.topicPartitions.map((t) => [t.topicId, [...t.partitions].sort((a, b) => a - b)]));
    }
    if (!this.closed) {
      this.heartbeatTimer = setTimeout(() => void this.heartbeat().catch(() => undefined), next);
      this.heartbeatTimer.unref();
    }
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private acceptDelivered(): void {
    for (const r of this.delivered) {
      const id = this.ids.get(r.topic);
      if (id !== undefined) this.mark(id, r.partition, r.offset, AcknowledgeType.Accept);
    }
    this.delivered = [];
  }

  private async acknowledge(final: boolean): Promise<number[]> {
    if (this.pending.size === 0 && !final) return [];
    if (this.sessionEpoch === 0) return [];
    const sent = this.pending;
    this.pending = new Map();
    const res = await this.conn.request<ShareAcknowledgeResponse>(SHARE_ACKNOWLEDGE, 0, {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      shareSessionEpoch: final ? -1 : this.sessionEpoch,
      topics: this.byTopic([...sent.keys()], sent).map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, acknowledgementBatches: p.acknowledgementBatches })) })),
    });
    if (res.errorCode !== ErrorCode.NONE) {
      if (res.errorCode === ErrorCode.SHARE_SESSION_NOT_FOUND || res.errorCode === ErrorCode.INVALID_SHARE_SESSION_EPOCH) this.sessionEpoch = 0;
      return [res.errorCode];
    }
    if (!final) this.sessionEpoch = this.sessionEpoch >= 0x7fffffff ? 1 : this.sessionEpoch + 1;
    return res.responses.flatMap((t) => t.partitions.map((p) => p.errorCode));
  }

  private mark(topicId: string, partition: number, offset: bigint, type: number): void {
    this.markKey(`${topicId}:${partition}`, offset, type);
  }

  private markKey(key: string, offset: bigint, type: number): void {
    let m = this.pending.get(key);
    if (!m) this.pending.set(key, (m = new Map()));
    m.set(offset, type);
  }

  /** Request topics for `keys` ("topicId:partition"), each with its acknowledgement batches from `acks`. */
  private byTopic(keys: readonly string[], acks: Map<string, Map<bigint, number>>): { topicId: string; partitions: { partitionIndex: number; partitionMaxBytes: number; acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[] }[] {
    const topics = new Map<string, { partitionIndex: number; partitionMaxBytes: number; acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[]>();
    for (const k of new Set([...keys, ...acks.keys()])) {
      const sep = k.lastIndexOf(':');
      const topicId = k.slice(0, sep);
      let list = topics.get(topicId);
      if (!list) topics.set(topicId, (list = []));
      list.push({ partitionIndex: Number(k.slice(sep + 1)), partitionMaxBytes: this.opts.maxBytes ?? 1024 * 1024, acknowledgementBatches: batchesOf(acks.get(k)) });
    }
    return [...topics].map(([topicId, partitions]) => ({ topicId, partitions }));
  }
}

/** Contiguous offsets become one batch (one type when all agree, else one per offset). */
function batchesOf(m: Map<bigint, number> | undefined): { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] {
  if (m === undefined) return [];
  const offsets = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = [];
  for (const o of offsets) {
    const t = m.get(o) as number;
    const prev = out[out.length - 1];
    if (prev && prev.lastOffset === o - 1n) {
      prev.lastOffset = o;
      prev.acknowledgeTypes.push(t);
    } else out.push({ firstOffset: o, lastOffset: o, acknowledgeTypes: [t] });
  }
  for (const b of out) if (b.acknowledgeTypes.every((t) => t === b.acknowledgeTypes[0])) b.acknowledgeTypes = [b.acknowledgeTypes[0] as number];
  return out;
}
