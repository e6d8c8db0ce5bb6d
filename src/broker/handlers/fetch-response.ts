/**
 * The answer of a Fetch (01-fetch.ts) from its reads (fetch-read.ts), and the fetch metrics.
 * Kafka's rule (KIP-227): a full fetch answers every partition; an incremental fetch of a session
 * answers only the partitions whose answer changed since the session last sent them (records, an
 * error, a preferred read replica, or a new high watermark, last stable offset or log start
 * offset), and moves the session's epoch on by one (after 2^31-1, back to 1). Partitions of one
 * topic next to each other go under one topic entry.
 * Metrics: Kafka's BytesOut / TotalFetchRequests / FailedFetchRequests per consumer partition
 * answered, ReplicationBytesOut for followers; and the follower-read counters (KIP-392).
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { FetchResponseInit } from '../../protocol/generated/messages/fetch.js';
import type { FetchSession } from '../fetch-session.js';
import type { RequestContext } from '../handler.js';
import type { FetchDeps, FetchStats } from './fetch-deps.js';
import type { PartitionOut, ReadResult, TopicOut } from './fetch-read.js';

/** Kafka's BytesOut / TotalFetchRequests / FailedFetchRequests (consumers), ReplicationBytesOut (followers), per partition answered. */
export function countFetch(stats: FetchStats, results: ReadResult[], replica: boolean): void {
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

export function buildResponse(deps: FetchDeps, ctx: RequestContext, results: ReadResult[], session: FetchSession | null, full: boolean): FetchResponseInit {
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
