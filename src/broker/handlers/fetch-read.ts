/**
 * The reads of a Fetch (01-fetch.ts): each partition's answer in request order, within the
 * response's byte bound. Kafka's rule (ReplicaManager.readFromLog): every partition is checked in
 * turn (log dir offline, leader epoch: FENCED_LEADER_EPOCH below the leader's, UNKNOWN_LEADER_EPOCH
 * above; a consumer's fetch at a follower: NOT_LEADER_OR_FOLLOWER unless it may read there), then
 * read from its fetch offset up to the log end (a follower), the high watermark (a consumer) or the
 * last stable offset (read_committed, which also carries the aborted transactions overlapping what
 * was read); the first partition read returns at least one batch even over the bounds.
 * Fetch v0-v3 get the old message formats (fetch-down-convert.ts).
 * Also here: the preferred read replica a leader may answer a consumer with instead of records
 * (KIP-392, preferred-read-replica.ts), and the records held back from a throttled follower.
 * Samsa's deviations: a partition asked at exactly its end is not read (no read result built), and
 * a consumer's fetch at its end on every partition starts its long poll without building that empty
 * answer (nothingToRead); a consumer's out-of-range offset at a follower or while leadership is in
 * doubt is follower-reads.ts's; reads may be zero-copy placeholders (docs/zero-copy.md).
 */
import { LogDirFailureError } from '../../common/errors.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { FetchRequest, FetchResponseInit } from '../../protocol/generated/messages/fetch.js';
import { LAST_OFFSET_DELTA_OFFSET, RECORD_BATCH_OVERHEAD, batchSizeAt } from '../../protocol/records/batch-header.js';
import { OffsetOutOfRangeError } from '../../storage/partition-log.js';
import { readInt64 } from '../../storage/int64.js';
import { downConvertRead, legacyFetchError, legacyMagicOf } from '../fetch-down-convert.js';
import { consumerFetchAtFollowerError, consumerOutOfRangeError } from '../follower-reads.js';
import type { RequestContext } from '../handler.js';
import { bigOffset } from '../offset-bigints.js';
import type { Partition } from '../partition.js';
import { preferredReadReplica } from '../preferred-read-replica.js';
import type { FetchDeps } from './fetch-deps.js';
import type { Target } from './fetch-targets.js';

export type TopicOut = NonNullable<FetchResponseInit['responses']>[number];
export type PartitionOut = NonNullable<TopicOut['partitions']>[number];

const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);

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
export function nothingToRead(deps: FetchDeps, ctx: RequestContext, targets: readonly Target[], req: FetchRequest, replica: boolean): boolean {
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

export interface ReadResult {
  target: Target;
  out: PartitionOut;
  /** A consumer's read served by this broker as a follower (KIP-392). */
  followerRead: boolean;
}

/**
 * Reads every target. `immediate`: some partition's answer must go out without a long poll (an
 * error, a diverging epoch, a preferred read replica).
 */
export function readAll(deps: FetchDeps, ctx: RequestContext, targets: Target[], req: FetchRequest, maxResponseBytes: number, replicaId: number): { results: ReadResult[]; bytes: number; immediate: boolean } {
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
