/**
 * Fetch (key 1), v0-17.
 * Version notes: v0-v3 carry messages of the old formats (v0-v1 magic 0, v2-v3 magic 1): the
 * stored batches are down-converted (fetch-down-convert.ts; message.downconversion.enable=false
 * answers UNSUPPORTED_VERSION, as Kafka 3.x; Kafka 4.0 dropped these versions); v3+ response
 * max_bytes; v4+ isolation level; v7+ fetch sessions (KIP-227); v9+ current leader epoch checks;
 * v11+ rack id and preferred read replica (KIP-392: with `replica.selector.class` set, the leader
 * may answer a consumer's fetch with the replica to read from instead of records; a follower serves
 * consumer fetches of v11+ up to its high watermark, or its last stable offset for read_committed;
 * before v11 only the leader serves consumers; Samsa's deviations in follower-reads.ts: only with a
 * selector configured, and never OFFSET_OUT_OF_RANGE from a follower); v12+ flexible, diverging epoch;
 * v13+ topic ids instead of names; v15+ replica state; v16+ node endpoints; v17 replica directory id.
 * Long poll: waits up to max.wait.ms until min.bytes are available. Serves stored batch bytes as
 * they are on disk (v4+). read_committed (isolation level 1) reads stop at the last stable offset and
 * carry the aborted transactions overlapping the returned batches.
 */
import { LogDirFailureError } from '../../common/errors.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { BrokerTopicStats } from '../../metrics/topic-stats.js';
import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponseInit,
} from '../../protocol/generated/messages/fetch.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import type { LeaderStatsSink } from '../../replication/replication-stats.js';
import { LAST_OFFSET_DELTA_OFFSET, RECORD_BATCH_OVERHEAD, batchSizeAt } from '../../protocol/records/batch-header.js';
import { OffsetOutOfRangeError } from '../../storage/partition-log.js';
import { downConvertRead, legacyFetchError, legacyMagicOf, type DownConvertDeps } from '../fetch-down-convert.js';
import { FetchSession, type SessionPartition } from '../fetch-session.js';
import { consumerFetchAtFollowerError, consumerOutOfRangeError } from '../follower-reads.js';
import { defineHandler, type RequestContext, type ApiHandler } from '../handler.js';
import type { Partition } from '../partition.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { FetchSessionCache } from '../fetch-session.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { RequestBudget } from '../../network/request-budget.js';
import type { Scheduler } from '../../common/scheduler.js';
import type { Clock } from '../../common/clock.js';
import type { ReplicaSelector } from '../../replication/replica-selector.js';
import { preferredReadReplica, type FollowerReadStats } from '../preferred-read-replica.js';
import { readInt64 } from '../../storage/int64.js';
import { bigOffset } from '../offset-bigints.js';

type TopicOut = NonNullable<FetchResponseInit['responses']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);

interface Target {
  sp: SessionPartition;
  partition: Partition | undefined;
  /** Error decided before reading (unknown topic id, ...). */
  error: number;
  /** Replica fetch: where the follower's log diverges from this leader's (KIP-320), answered instead of records. */
  diverging?: { epoch: number; endOffset: number };
}

/**
 * The replica side of a follower's Fetch (replica_id ≥ 0), before reading: the partition must be
 * led here at the follower's epoch; a follower whose last fetched epoch this leader does not end
 * where it expects gets the diverging epoch (and no records); otherwise the fetch offset is the
 * follower's log end offset, which may move the ISR's high watermark.
 */
function acceptReplicaFetch(targets: Target[], replicaId: number): void {
  for (const t of targets) {
    const p = t.partition;
    if (p === undefined || t.error !== ErrorCode.NONE) continue;
    if (!p.isLeader || p.leader === null || !p.leader.isFollower(replicaId)) {
      t.error = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      continue;
    }
    const { sp } = t;
    if (sp.currentLeaderEpoch >= 0 && sp.currentLeaderEpoch !== p.leaderEpoch) continue; // answered by readAll's epoch check
    const fetchOffset = Number(sp.fetchOffset);
    if (sp.lastFetchedEpoch >= 0) {
      const end = p.log.leaderEpochs.endOffsetFor(sp.lastFetchedEpoch);
      if (end.epoch < sp.lastFetchedEpoch || end.endOffset < fetchOffset) {
        t.diverging = end;
        continue;
      }
    }
    p.recordFollowerFetch(replicaId, fetchOffset);
  }
}

function resolveTargets(deps: FetchDeps, ctx: RequestContext, req: FetchRequest, session: FetchSession | null, full: boolean): Target[] {
  const { apiVersion } = ctx;
  const useIds = apiVersion >= 13;
  const requested: SessionPartition[] = [];
  for (let ti = 0; ti < req.topics.length; ti++) {
    const t = req.topics[ti] as FetchRequest['topics'][number];
    const meta = useIds ? deps.metadata.image().topicById(t.topicId) : deps.metadata.image().topic(t.topic);
    const name = useIds ? (meta?.name ?? '') : t.topic;
    const topicId = useIds ? t.topicId : (meta?.topicId ?? ZERO_UUID);
    for (let pi = 0; pi < t.partitions.length; pi++) {
      const p = t.partitions[pi] as FetchRequest['topics'][number]['partitions'][number];
      requested.push({
        topic: name,
        topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: p.logStartOffset,
        sentHighWatermark: -1n,
        sentLastStableOffset: -1n,
        sentLogStartOffset: -1n,
      });
    }
  }
  let list: SessionPartition[] = requested;
  if (session) {
    const key = (sp: SessionPartition): string => FetchSession.key(useIds ? sp.topicId : sp.topic, sp.partition);
    if (full) session.partitions.clear();
    for (let i = 0; i < requested.length; i++) {
      const sp = requested[i] as SessionPartition;
      const prev = session.partitions.get(key(sp));
      if (prev) {
        prev.fetchOffset = sp.fetchOffset;
        prev.partitionMaxBytes = sp.partitionMaxBytes;
        prev.currentLeaderEpoch = sp.currentLeaderEpoch;
        prev.lastFetchedEpoch = sp.lastFetchedEpoch;
        prev.logStartOffset = sp.logStartOffset;
      } else {
        session.partitions.set(key(sp), sp);
      }
    }
    for (const f of req.forgottenTopicsData) {
      const id = useIds ? f.topicId : f.topic;
      for (const p of f.partitions) session.partitions.delete(FetchSession.key(id, p));
    }
    list = [...session.partitions.values()];
  }
  return list.map((sp) => {
    if (sp.topic === '') return { sp, partition: undefined, error: ErrorCode.UNKNOWN_TOPIC_ID };
    const partition = deps.replicas.partition(sp.topic, sp.partition);
    return { sp, partition, error: partition ? ErrorCode.NONE : deps.replicas.isOffline(sp.topic, sp.partition) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  });
}

/**
 * The aborted transactions overlapping the fetched batches (Kafka's collectAbortedTxns up to the
 * end of the data read: `nextOffset` when the read knows it, a zero-copy placeholder's bytes are
 * not there to be scanned).
 */
function abortedIn(partition: Partition, fetchOffset: number, records: Buffer, nextOffset: number | undefined): { producerId: bigint; firstOffset: bigint }[] {
  let end = nextOffset ?? fetchOffset;
  if (nextOffset === undefined) {
    for (let p = 0; p + RECORD_BATCH_OVERHEAD <= records.length; p += batchSizeAt(records, p)) {
      end = readInt64(records, p) + records.readInt32BE(p + LAST_OFFSET_DELTA_OFFSET) + 1;
    }
  }
  return partition.producers.collectAbortedTxns(fetchOffset, end).map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }));
}

/**
 * A consumer's fetch whose every partition is a healthy one led here, asked at exactly its end
 * (the high watermark, or the last stable offset for read_committed) at the expected epoch, on a
 * broker without a replica selector: readAll would answer nothing and nothing immediate, so the
 * long poll starts without building that empty answer (the common wait of a consumer that keeps
 * up; its answer is read when it wakes). Conservative: anything else goes through readAll.
 */
function nothingToRead(deps: FetchDeps, ctx: RequestContext, targets: readonly Target[], req: FetchRequest, replica: boolean): boolean {
  if (replica || ctx.apiVersion < 4 || deps.replicaSelector !== null || targets.length === 0) return false;
  const committed = req.isolationLevel === READ_COMMITTED;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as Target;
    const p = t.partition;
    if (p === undefined || t.error !== ErrorCode.NONE || t.diverging !== undefined || p.offline || p.log.isClosed || !p.isLeader) return false;
    const sp = t.sp;
    if (sp.currentLeaderEpoch >= 0 && sp.currentLeaderEpoch !== p.leaderEpoch) return false;
    if (Number(sp.fetchOffset) !== (committed ? p.lastStableOffset : p.highWatermark)) return false;
  }
  return true;
}

interface ReadResult {
  target: Target;
  out: PartitionOut;
  /** A consumer's read served by this broker as a follower (KIP-392). */
  followerRead: boolean;
}

/**
 * Reads every target. `immediate`: some partition's answer must go out without a long poll (an
 * error, a diverging epoch, a preferred read replica).
 */
function readAll(deps: FetchDeps, ctx: RequestContext, targets: Target[], req: FetchRequest, maxResponseBytes: number, replicaId: number): { results: ReadResult[]; bytes: number; immediate: boolean } {
  const replica = replicaId >= 0;
  // Fetch v0-v3: old message formats, converted from the stored batches.
  const legacyMagic = legacyMagicOf(ctx.apiVersion);
  let remaining = maxResponseBytes;
  let bytes = 0;
  let immediate = false;
  const results: ReadResult[] = [];
  // Consumers of Fetch v11+ carry client metadata (the rack): they may read from followers.
  const clientMetadata = !replica && ctx.apiVersion >= 11;
  // Placeholders only where nothing looks at the bytes (no down-conversion; read_committed takes
  // the end of the aborted-transaction lookup from the read).
  const zeroCopy = deps.zeroCopy === true && legacyMagic === -1;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i] as Target;
    const { sp, partition } = target;
    let followerRead = false;
    const out: PartitionOut = { partitionIndex: sp.partition, errorCode: target.error, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: EMPTY };
    // A long poll may outlive its partition (topic deleted while waiting).
    if (partition?.offline === true) out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
    else if (partition?.log.isClosed === true) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    else if (partition && target.error === ErrorCode.NONE) {
      out.highWatermark = bigOffset(partition.highWatermark);
      out.lastStableOffset = bigOffset(partition.lastStableOffset);
      out.logStartOffset = bigOffset(partition.logStartOffset);
      if (req.isolationLevel === READ_COMMITTED) out.abortedTransactions = [];
      const legacyError = legacyMagic === -1 ? ErrorCode.NONE : legacyFetchError(deps, partition);
      if (legacyError !== ErrorCode.NONE) {
        out.errorCode = legacyError;
        out.highWatermark = out.lastStableOffset = out.logStartOffset = -1n;
      } else if (sp.currentLeaderEpoch >= 0 && sp.currentLeaderEpoch !== partition.leaderEpoch) {
        out.errorCode = sp.currentLeaderEpoch > partition.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
      } else if (!replica && !partition.isLeader && consumerFetchAtFollowerError(clientMetadata, deps.replicaSelector !== null) !== ErrorCode.NONE) {
        out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      } else if (target.diverging !== undefined) {
        out.divergingEpoch = { epoch: target.diverging.epoch, endOffset: BigInt(target.diverging.endOffset) };
        immediate = true;
      } else if (replica && deps.leaderThrottle?.holdBack(partition, replicaId) === true) {
        // A throttled replica out of the ISR while this leader is over leader.replication.throttled.rate: no records this time.
      } else if (clientMetadata && partition.isLeader && (out.preferredReadReplica = preferredReadReplica(partition, deps.replicaSelector, req.rackId, Number(sp.fetchOffset), deps.metadata.image(), deps.nodeId, deps.clock)) >= 0) {
        // KIP-392: the consumer should read from another replica; no records, answered at once.
        immediate = true;
      } else {
        followerRead = !replica && !partition.isLeader;
        // A follower reads up to the log end; consumers up to the high watermark (or the LSO).
        const maxOffset = replica ? partition.logEndOffset : req.isolationLevel === READ_COMMITTED ? partition.lastStableOffset : partition.highWatermark;
        try {
          const limit = Math.min(sp.partitionMaxBytes, remaining);
          const fetchOffset = Number(sp.fetchOffset);
          // At the end of what it may read (a consumer that keeps up): nothing to read, no read result built.
          const read = fetchOffset === maxOffset && fetchOffset >= partition.logStartOffset ? null : partition.log.read(fetchOffset, Math.max(limit, 0), maxOffset, bytes === 0, zeroCopy);
          const records = read === null ? EMPTY : read.records;
          const nextOffset = read?.nextOffset;
          if (legacyMagic !== -1 && records.length > 0) {
            const c = downConvertRead(deps, partition, records, legacyMagic, sp.fetchOffset, Math.max(limit, 0), bytes === 0, ctx.clientId);
            out.records = c.chunks;
            bytes += c.size;
            remaining -= c.size;
          } else if (records.length > 0) {
            out.records = records;
            bytes += records.length;
            remaining -= records.length;
            if (replica) deps.leaderThrottle?.sent(partition, records.length);
            if (req.isolationLevel === READ_COMMITTED) out.abortedTransactions = abortedIn(partition, Number(sp.fetchOffset), records, nextOffset);
          }
        } catch (e) {
          if (e instanceof OffsetOutOfRangeError) out.errorCode = replica ? ErrorCode.OFFSET_OUT_OF_RANGE : consumerOutOfRangeError(followerRead || deps.leadershipInDoubt?.() === true);
          else if (e instanceof KafkaError) out.errorCode = e.code;
          else if (e instanceof LogDirFailureError) out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR; // the dir goes offline (log-dir-failures.ts)
          else {
            deps.logger.error(`fetch from ${sp.topic}-${sp.partition} failed`, e);
            out.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
          }
        }
      }
    }
    if (out.errorCode !== ErrorCode.NONE) immediate = true;
    results.push({ target, out, followerRead });
  }
  return { results, bytes, immediate };
}

/** Kafka's BytesOut / TotalFetchRequests / FailedFetchRequests (consumers), ReplicationBytesOut (followers), per partition answered. */
function countFetch(stats: FetchStats, results: ReadResult[], replica: boolean): void {
  for (let i = 0; i < results.length; i++) {
    const { target, out } = results[i] as ReadResult;
    const bytes = out.records === null || out.records === undefined ? 0 : recordsSize(out.records);
    if (replica) stats.replicationBytesOut += bytes;
    else if (target.partition !== undefined) stats.fetched(target.sp.topic, bytes, out.errorCode !== ErrorCode.NONE);
  }
}

/** Bytes of a partition's records (one buffer, or the chunks of a down-conversion). */
function recordsSize(records: Uint8Array | readonly Uint8Array[]): number {
  if (records instanceof Uint8Array) return records.length;
  let n = 0;
  for (let i = 0; i < records.length; i++) n += (records[i] as Uint8Array).length;
  return n;
}

function buildResponse(deps: FetchDeps, ctx: RequestContext, results: ReadResult[], session: FetchSession | null, full: boolean): FetchResponseInit {
  const useIds = ctx.apiVersion >= 13;
  const responses: TopicOut[] = [];
  let current: TopicOut | null = null;
  let currentKey = '';
  for (let i = 0; i < results.length; i++) {
    const { target, out, followerRead } = results[i] as ReadResult;
    const sp = target.sp;
    const size = out.records == null ? 0 : recordsSize(out.records);
    if (followerRead && size > 0) deps.followerReads.recordFollowerRead(size);
    if (out.preferredReadReplica !== undefined && out.preferredReadReplica >= 0) deps.followerReads.redirects++;
    if (session && !full) {
      const changed =
        out.errorCode !== ErrorCode.NONE ||
        size > 0 ||
        out.preferredReadReplica !== -1 ||
        out.highWatermark !== sp.sentHighWatermark ||
        out.lastStableOffset !== sp.sentLastStableOffset ||
        out.logStartOffset !== sp.sentLogStartOffset;
      if (!changed) continue;
    }
    sp.sentHighWatermark = out.highWatermark as bigint;
    sp.sentLastStableOffset = out.lastStableOffset as bigint;
    sp.sentLogStartOffset = out.logStartOffset as bigint;
    const key = useIds ? sp.topicId : sp.topic;
    if (current === null || currentKey !== key) {
      current = { topic: sp.topic, topicId: sp.topicId, partitions: [] };
      currentKey = key;
      responses.push(current);
    }
    (current.partitions as PartitionOut[]).push(out);
  }
  // A new session expects epoch 1 next; each incremental request moves it on by one.
  if (session && !full) session.epoch = session.epoch >= 0x7fffffff ? 1 : session.epoch + 1;
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses };
}

/** What Fetch uses: topics and partitions, fetch sessions, the response budget, long-poll timers, down-conversion. */
export interface FetchDeps extends DownConvertDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly replicas: Pick<ReplicaManager, 'partition' | 'isOffline'>;
  readonly config: Pick<BrokerConfig, 'int'>;
  readonly fetchSessions: Pick<FetchSessionCache, 'begin'>;
  readonly requestBudget: Pick<RequestBudget, 'responseRoom'>;
  readonly scheduler: Pick<Scheduler, 'schedule'>;
  readonly logger: Logger;
  /** Replication throttling of the leader side (absent or null: none). */
  readonly leaderThrottle?: LeaderThrottle | null;
  /** Kafka's BrokerTopicMetrics for fetches: counted per partition answered, never per record. */
  readonly topicStats?: FetchStats;
  readonly nodeId: number;
  readonly clock: Clock;
  /** replica.selector.class (null: consumers always read from the leader). */
  readonly replicaSelector: ReplicaSelector | null;
  readonly followerReads: FollowerReadStats;
  /** In a cluster: whether this broker may have been replaced as leader unknowingly (cluster-node.ts). */
  readonly leadershipInDoubt?: () => boolean;
  /**
   * Zero copy (docs/zero-copy.md): reads that go into the answer as they are may be placeholders
   * the connection sends from the file (fetch.zero.copy.enable and the addon built; absent: never).
   */
  readonly zeroCopy?: boolean;
  /** The broker's replication counters: follower fetches served, long-poll wakeups. */
  readonly replicationStats?: Pick<LeaderStatsSink, 'followerFetchServed' | 'longPollWakeup'>;
}

/** The leader side of replication throttling (replication/replication-quota.ts). */
export interface LeaderThrottle {
  /** Whether `p`'s records are held back from follower `replicaId` now. */
  holdBack(p: Partition, replicaId: number): boolean;
  /** Record bytes of `p` sent to a follower (counted when `p` is throttled here). */
  sent(p: Partition, bytes: number): void;
}

type FetchStats = Pick<BrokerTopicStats, 'fetched' | 'replicationBytesOut'>;

export function fetchHandler(deps: FetchDeps): ApiHandler<FetchRequest, FetchResponseInit> {
  return defineHandler<FetchRequest, FetchResponseInit>({
    apiKey: 1,
    // The records in the answer are reads made for it: their buffers are reused once it is sent.
    responseReleasesLogReads: true,
    name: 'Fetch',
    minVersion: 0,
    maxVersion: 17,
    decode: decodeFetchRequest,
    encode: encodeFetchResponse,
    handle(ctx, req) {
      let session: FetchSession | null = null;
      let full = true;
      if (ctx.apiVersion >= 7) {
        try {
          ({ session, full } = deps.fetchSessions.begin(req.sessionId, req.sessionEpoch));
        } catch (e) {
          if (e instanceof KafkaError) return { throttleTimeMs: 0, errorCode: e.code, sessionId: 0, responses: [] };
          throw e;
        }
      }
      const targets = resolveTargets(deps, ctx, req, session, full);
      // A follower's fetch (replica_id in the body before v15, in ReplicaState from v15).
      const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
      const replica = replicaId >= 0;
      if (replica) {
        deps.replicationStats?.followerFetchServed(ctx.apiVersion);
        acceptReplicaFetch(targets, replicaId);
      }
      // Bounded by fetch.max.bytes whatever the client asks, and (Samsa) by the room left under the
      // broker-wide bound on unsent responses: a full broker still answers with the first batch.
      const maxResponseBytes = Math.min(ctx.apiVersion >= 3 ? req.maxBytes : 0x7fffffff, deps.config.int('fetch.max.bytes'), deps.requestBudget.responseRoom);
      const stats = deps.topicStats;
      if (req.maxWaitMs <= 0 || req.minBytes <= 0 || !nothingToRead(deps, ctx, targets, req, replica)) {
        const first = readAll(deps, ctx, targets, req, maxResponseBytes, replicaId);
        if (req.maxWaitMs <= 0 || first.bytes >= req.minBytes || first.immediate || targets.length === 0) {
          if (stats !== undefined) countFetch(stats, first.results, replica);
          return buildResponse(deps, ctx, first.results, session, full);
        }
      }
      // Long poll: wait for appends to any fetched partition, or the deadline.
      return new Promise((resolve) => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          timer.cancel();
          for (let i = 0; i < targets.length; i++) (targets[i] as Target).partition?.removeAppendListener(onAppend);
          const last = readAll(deps, ctx, targets, req, maxResponseBytes, replicaId).results;
          if (stats !== undefined) countFetch(stats, last, replica);
          resolve(buildResponse(deps, ctx, last, session, full));
        };
        const onAppend = (): void => {
          if (done) return;
          deps.replicationStats?.longPollWakeup();
          // A follower waits for records past its fetch offset, not for high watermark moves
          // (those reach it with its next fetch): otherwise every ISR member's fetch would wake
          // the others' and the fetches would ping-pong without data.
          if (replica && !targets.some((t) => t.partition !== undefined && (t.partition.logEndOffset > Number(t.sp.fetchOffset) || !t.partition.isLeader || t.partition.log.isClosed))) return;
          if (req.minBytes <= 1) {
            finish();
            return;
          }
          const again = readAll(deps, ctx, targets, req, maxResponseBytes, replicaId);
          if (again.bytes >= req.minBytes || again.immediate) finish();
        };
        for (let i = 0; i < targets.length; i++) (targets[i] as Target).partition?.addAppendListener(onAppend);
        const timer = deps.scheduler.schedule(req.maxWaitMs, finish);
      });
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
    },
  });
}
