/**
 * A follower's fetcher for the partitions it follows from one source broker (Kafka's
 * ReplicaFetcherThread): one connection, one Fetch for all those partitions at a time.
 *
 * Kafka's protocol, as a follower speaks it:
 * - A partition added (this broker became its follower) first truncates to where its log and the
 *   leader's diverge: OffsetForLeaderEpoch with the latest epoch of the local epoch cache; the
 *   leader answers the end offset of the largest epoch ≤ it. If the leader's epoch is one the
 *   follower has, the log is cut at the smaller of the two ends; if not, it is cut at the end of
 *   the follower's largest epoch below the leader's and asked again (KIP-101 / KIP-279: two leader
 *   changes in a row converge in more rounds).
 * - Fetch (v12: `replica_id` = this broker, `last_fetched_epoch`) from the log end offset; the
 *   leader reads up to its own log end, not its high watermark. Batches are appended as they are
 *   (offsets, epochs and producer fields kept) once their CRCs checked out; a corrupt batch is
 *   logged and its partition fetched again after `backoffMs` (Kafka's partitions with errors). A `diverging_epoch` in the answer (KIP-320) truncates
 *   the same way as OffsetForLeaderEpoch.
 * An answer that names no epoch (the leader has none at or below the follower's) truncates to the
 * follower's high watermark, as Kafka does.
 * - NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION:
 *   the partition waits (`backoffMs`) for the metadata to catch up. OFFSET_OUT_OF_RANGE: below the
 *   leader's log start → the local log restarts there; above its end (after an unclean election)
 *   → truncated to the leader's high watermark.
 * A broken connection is reopened after `backoffMs`; nothing is lost (the next fetch starts at the
 * log end offset).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { log as processLog, type Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { ProtocolClient } from '../client/protocol-client.js';
import type { FetchResponse } from '../protocol/generated/messages/fetch.js';
import type { OffsetForLeaderEpochResponse } from '../protocol/generated/messages/offset-for-leader-epoch.js';
import { RECORD_BATCH_OVERHEAD, batchSizeAt } from '../protocol/records/batch-header.js';
import type { FetcherStatsSink } from './replication-stats.js';

const FETCH_KEY = 1;
const FETCH_VERSION = 12;
const OFFSET_FOR_LEADER_EPOCH_KEY = 23;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

/** What the fetcher needs of a partition this broker follows. */
export interface FollowerPartition {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** The leader epoch this broker follows (from the metadata). */
  readonly leaderEpoch: number;
  /** The latest epoch in the local epoch cache, -1 when it has none. */
  latestLocalEpoch(): number;
  /** The largest local epoch ≤ `epoch` and where it ends (Kafka's endOffsetForEpoch); epoch -1 when none. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number };
  /** Appends whole batches from the leader (offsets assigned), updating producer state. */
  appendFromLeader(records: Buffer): void;
  truncateTo(offset: number): void;
  truncateFullyAndStartAt(offset: number): void;
  /** The leader's high watermark and log start offset from its last answer. */
  leaderProgress(highWatermark: number, logStartOffset: number): void;
}

export interface ReplicaFetcherOptions {
  localId: number;
  sourceId: number;
  /** Opens a connection to the source broker. */
  connect(): Promise<ProtocolClient>;
  scheduler: Scheduler;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.response.max.bytes */
  maxBytes: number;
  /** replica.fetch.max.bytes */
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
  /** The broker's logger (default the process logger). */
  logger?: Logger;
  /** Replication throttling of the follower side (absent: none). */
  throttle?: FollowerThrottle;
  /** The broker's replication counters (replication-stats.ts). */
  stats: FetcherStatsSink;
}

/** The follower side of replication throttling (replication-quota.ts). */
export interface FollowerThrottle {
  /** Whether `topic`-`partition` is left out of fetches now (throttled, not in the ISR, over the rate). */
  holdBack(topic: string, partition: number): boolean;
  /** Record bytes received for `topic`-`partition` (counted when it is throttled here). */
  received(topic: string, partition: number, bytes: number): void;
}

interface Fetching {
  p: FollowerPartition;
  truncating: boolean;
  /** Skipped until then (waiting for the metadata after an error). */
  delayedUntil: number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaFetcher {
  private readonly partitions = new Map<string, Fetching>();
  private client: ProtocolClient | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(private readonly opts: ReplicaFetcherOptions) {}

  get sourceId(): number {
    return this.opts.sourceId;
  }

  get size(): number {
    return this.partitions.size;
  }

  /** Starts following `p` from this source (truncating first). Replaces an earlier entry. */
  add(p: FollowerPartition): void {
    this.partitions.set(key(p.topic, p.partition), { p, truncating: true, delayedUntil: 0 });
    this.poke();
    this.running ??= this.run();
  }

  remove(topic: string, partition: number): void {
    this.partitions.delete(key(topic, partition));
    this.opts.stats.forget(this.opts.sourceId, topic, partition);
  }

  has(topic: string, partition: number): boolean {
    return this.partitions.has(key(topic, partition));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const f of this.partitions.values()) this.opts.stats.forget(this.opts.sourceId, f.p.topic, f.p.partition);
    this.client?.close();
    this.poke();
    await this.running;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.opts.scheduler.schedule(ms, () => {
        this.wake = null;
        resolve();
      });
      this.wake = () => {
        t.cancel();
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = this.opts.scheduler.now();
      const due = [...this.partitions.values()].filter((f) => f.delayedUntil <= now);
      const throttle = this.opts.throttle;
      const ready = throttle === undefined ? due : due.filter((f) => f.truncating || !throttle.holdBack(f.p.topic, f.p.partition));
      if (ready.length === 0 && due.length > 0) {
        // Every due partition is throttled: look again after a backoff (Kafka's follower does the same).
        await this.sleep(Math.max(1, this.opts.backoffMs));
        continue;
      }
      if (ready.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((f) => f.delayedUntil));
        await this.sleep(Number.isFinite(next) ? Math.max(1, next - now) : 3_600_000);
        continue;
      }
      try {
        if (this.client === null || this.client.closed) this.client = await this.opts.connect();
        const truncating = ready.filter((f) => f.truncating);
        if (truncating.length > 0) await this.truncate(this.client, truncating);
        else await this.fetch(this.client, ready);
      } catch (e) {
        if (this.stopped) break;
        (this.opts.logger ?? processLog).warn(`replica fetcher of broker ${this.opts.localId} from broker ${this.opts.sourceId}: ${e instanceof Error ? e.message : String(e)}`);
        this.client?.close();
        this.client = null;
        await this.sleep(this.opts.backoffMs);
      }
    }
    this.client?.close();
    this.client = null;
  }

  private delay(f: Fetching): void {
    f.delayedUntil = this.opts.scheduler.now() + this.opts.backoffMs;
  }

  private async truncate(client: ProtocolClient, list: Fetching[]): Promise<void> {
    const byTopic = new Map<string, Fetching[]>();
    for (const f of list) byTopic.set(f.p.topic, [...(byTopic.get(f.p.topic) ?? []), f]);
    this.opts.stats.truncationRequested();
    const res = await client.request<OffsetForLeaderEpochResponse>(OFFSET_FOR_LEADER_EPOCH_KEY, OFFSET_FOR_LEADER_EPOCH_VERSION, {
      replicaId: this.opts.localId,
      topics: [...byTopic].map(([topic, fs]) => ({
        topic,
        partitions: fs.map((f) => ({ partition: f.p.partition, currentLeaderEpoch: f.p.leaderEpoch, leaderEpoch: f.p.latestLocalEpoch() })),
      })),
    });
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const f = this.partitions.get(key(t.topic, r.partition));
        if (f === undefined || !f.truncating) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.delay(f);
          continue;
        }
        f.truncating = !this.truncateToLeader(f.p, r.leaderEpoch, Number(r.endOffset));
      }
    }
  }

  /**
   * Cuts the local log where it diverges from the leader's, given the leader's (epoch, end offset)
   * for the epoch asked. Returns whether truncation is complete (false: ask again, one epoch lower).
   */
  private truncateToLeader(p: FollowerPartition, leaderEpoch: number, leaderEndOffset: number): boolean {
    const leo = p.logEndOffset;
    // The leader has no epoch at or below ours: keep only what was committed (Kafka truncates to
    // the follower's high watermark then).
    if (leaderEndOffset < 0) {
      this.settle(p, Math.min(p.highWatermark, leo));
      return true;
    }
    if (leaderEpoch < 0) {
      this.settle(p, leaderEndOffset);
      return true;
    }
    const local = p.endOffsetForEpoch(leaderEpoch);
    if (local.epoch < 0) {
      this.settle(p, leaderEndOffset);
      return true;
    }
    if (local.epoch === leaderEpoch) {
      this.settle(p, Math.min(leaderEndOffset, local.endOffset));
      return true;
    }
    // The leader's epoch is unknown here: cut at the end of our largest epoch below it, ask again.
    this.settle(p, local.endOffset);
    return false;
  }

  /**
   * Truncates to `offset`, or, when that is at or past the log end, still drops epochs that start
   * at the log end with no records (as Kafka's truncateTo does): a broker that became leader and
   * was replaced before appending anything keeps that empty epoch as its latest, and would send it
   * as its last fetched epoch, be told it diverges, and truncate nothing — forever.
   */
  private settle(p: FollowerPartition, offset: number): void {
    if (offset < p.logEndOffset) this.cut(p, offset);
    else p.truncateTo(p.logEndOffset);
  }

  /** Truncates `p` to `offset` and says so (Kafka logs every follower truncation at INFO). */
  private cut(p: FollowerPartition, offset: number): void {
    (this.opts.logger ?? processLog).info(`${p.topic}-${p.partition}: truncating the log from ${p.logEndOffset} to ${offset} to match leader ${this.opts.sourceId} (leader epoch ${p.leaderEpoch})`);
    p.truncateTo(offset);
  }

  private async fetch(client: ProtocolClient, list: Fetching[]): Promise<void> {
    const byTopic = new Map<string, Fetching[]>();
    for (const f of list) byTopic.set(f.p.topic, [...(byTopic.get(f.p.topic) ?? []), f]);
    const { opts } = this;
    const answer = await client.requestFrame<FetchResponse>(
      FETCH_KEY,
      FETCH_VERSION,
      {
        replicaId: opts.localId,
        maxWaitMs: opts.maxWaitMs,
        minBytes: opts.minBytes,
        maxBytes: opts.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, fs]) => ({
          topic,
          partitions: fs.map((f) => ({
            partition: f.p.partition,
            currentLeaderEpoch: f.p.leaderEpoch,
            fetchOffset: BigInt(f.p.logEndOffset),
            lastFetchedEpoch: f.p.latestLocalEpoch(),
            logStartOffset: BigInt(f.p.logStartOffset),
            partitionMaxBytes: opts.partitionMaxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      },
      opts.maxWaitMs + 30_000,
    );
    // The answer's buffer is reused for the next one once its records are in the log (the
    // append writes them synchronously and keeps no reference).
    try {
      const res = answer.body;
      if (res.errorCode !== ErrorCode.NONE) throw new Error(`Fetch answered error ${res.errorCode}`);
      let appended = 0;
      for (const t of res.responses) {
        for (const r of t.partitions) {
          const f = this.partitions.get(key(t.topic, r.partitionIndex));
          if (f === undefined || f.truncating) continue; // removed or re-added while the fetch was out
          appended += this.handlePartition(f, r);
        }
      }
      this.opts.stats.fetched(this.opts.sourceId, appended);
    } finally {
      answer.release();
    }
  }

  /** Applies one partition of a Fetch answer; returns the record bytes appended (ReplicationBytesIn). */
  private handlePartition(f: Fetching, r: FetchResponse['responses'][number]['partitions'][number]): number {
    const p = f.p;
    switch (r.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.OFFSET_OUT_OF_RANGE: {
        const leaderStart = Number(r.logStartOffset);
        if (leaderStart >= 0 && p.logEndOffset < leaderStart) p.truncateFullyAndStartAt(leaderStart);
        else if (r.highWatermark >= 0n) p.truncateTo(Math.min(Number(r.highWatermark), p.logEndOffset));
        else this.delay(f);
        return 0;
      }
      default:
        this.delay(f);
        return 0;
    }
    if (r.divergingEpoch.epoch >= 0) {
      f.truncating = !this.truncateToLeader(p, r.divergingEpoch.epoch, Number(r.divergingEpoch.endOffset));
      return 0;
    }
    let appended = 0;
    const records = r.records;
    if (records !== null && records.length > 0) {
      const whole = wholeBatches(records);
      if (whole.length > 0) {
        try {
          p.appendFromLeader(whole);
        } catch (e) {
          if (!(e instanceof KafkaError) || e.code !== ErrorCode.CORRUPT_MESSAGE) throw e;
          // Kafka's fetcher: a corrupt batch is logged and the partition fetched again after the
          // backoff (nothing of this answer appended); the other partitions go on.
          (this.opts.logger ?? processLog).error(`${p.topic}-${p.partition}: records fetched from broker ${this.opts.sourceId} at offset ${p.logEndOffset} are corrupt, not appended: ${e.message}`);
          this.delay(f);
          return 0;
        }
        appended = whole.length;
        this.opts.throttle?.received(p.topic, p.partition, whole.length);
      }
    }
    const hw = Number(r.highWatermark);
    p.leaderProgress(hw, Number(r.logStartOffset));
    // Kafka's fetcher lag: the leader's high watermark minus the next offset to fetch.
    this.opts.stats.lag(this.opts.sourceId, p.topic, p.partition, Math.max(0, hw - p.logEndOffset));
    return appended;
  }
}

/** The prefix of `records` made of whole batches (a leader may end an answer inside a batch). */
function wholeBatches(records: Buffer): Buffer {
  let pos = 0;
  while (pos + RECORD_BATCH_OVERHEAD <= records.length) {
    const size = batchSizeAt(records, pos);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > records.length) break;
    pos += size;
  }
  return pos === records.length ? records : records.subarray(0, pos);
}
