/**
 * The partitions a Fetch reads (01-fetch.ts), resolved before any read: the request's partitions,
 * merged into its fetch session when it has one, each paired with the partition led or followed
 * here or the error it is answered with.
 * Kafka's rule (KIP-227, FetchSession): a full fetch (a new session, or none) names every
 * partition; an incremental one names only those changed (their fetch state replaces the
 * session's) and lists the ones to forget; the fetch then reads every partition of the session.
 * From v13 topics are named by id: an id this broker does not know answers UNKNOWN_TOPIC_ID.
 * A partition that is not here answers UNKNOWN_TOPIC_OR_PARTITION, or KAFKA_STORAGE_ERROR when
 * its log dir is offline.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { FetchRequest } from '../../protocol/generated/messages/fetch.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { FetchSession, type SessionPartition } from '../fetch-session.js';
import type { RequestContext } from '../handler.js';
import type { Partition } from '../partition.js';
import type { FetchDeps } from './fetch-deps.js';

export interface Target {
  sp: SessionPartition;
  partition: Partition | undefined;
  /** Error decided before reading (unknown topic id, ...). */
  error: number;
  /** Replica fetch: where the follower's log diverges from this leader's (KIP-320), answered instead of records. */
  diverging?: { epoch: number; endOffset: number };
}

export function resolveTargets(deps: FetchDeps, ctx: RequestContext, req: FetchRequest, session: FetchSession | null, full: boolean): Target[] {
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
