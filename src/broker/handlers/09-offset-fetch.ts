/**
 * OffsetFetch (key 9), v0-9 (advertised from v1, Kafka 4.0's minimum).
 * Version notes: v0 read offsets from ZooKeeper; Kafka 3.x without ZooKeeper (KRaft), like Samsa,
 * answers it UNSUPPORTED_VERSION for every partition; v0-1 report errors per partition only; v2+ add a top-level error and accept a
 * null topic list meaning "all committed offsets"; v5+ return the committed leader epoch; v7+
 * carry require_stable (nothing is ever pending: transactional offset commits are not
 * implemented); v8+ fetch several groups at once; v9+ carry a KIP-848 member's id and epoch
 * (UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH for the group when they are not current). Partitions
 * without a commit answer offset -1.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponseInit,
} from '../../protocol/generated/messages/offset-fetch.js';
import type { GroupCoordinator } from '../../group/coordinator.js';
import { validateConsumerOffsetFetch } from '../../group/consumer/consumer-offsets.js';
import type { FetchedOffset } from '../../group/offsets.js';
import type { GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';

interface TopicOut {
  name: string;
  partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number }[];
}

function byTopic(rows: FetchedOffset[]): TopicOut[] {
  const out = new Map<string, TopicOut>();
  for (const r of rows) {
    let t = out.get(r.topic);
    if (!t) out.set(r.topic, (t = { name: r.topic, partitions: [] }));
    t.partitions.push({ partitionIndex: r.partition, committedOffset: r.offset, committedLeaderEpoch: r.leaderEpoch, metadata: r.metadata, errorCode: r.errorCode });
  }
  return [...out.values()];
}

type Topics = { name: string; partitionIndexes: number[] }[] | null;

function fetchGroup(c: GroupCoordinator, groupId: string, topics: Topics, member?: { memberId: string | null; memberEpoch: number }): { errorCode: number; topics: TopicOut[] } {
  const wanted = topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
  let code = c.availability(groupId);
  const consumer = code === ErrorCode.NONE && member !== undefined ? c.consumerGroup(groupId) : undefined;
  if (consumer !== undefined && member !== undefined) {
    try {
      validateConsumerOffsetFetch(consumer, member.memberId, member.memberEpoch);
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      code = e.code;
    }
  }
  if (code !== ErrorCode.NONE) {
    const rows = (wanted ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: code })));
    return { errorCode: code, topics: byTopic(rows) };
  }
  return { errorCode: ErrorCode.NONE, topics: byTopic(c.fetchOffsets(groupId, wanted)) };
}

export function offsetFetchHandler(deps: GroupDeps): ApiHandler<OffsetFetchRequest, OffsetFetchResponseInit> {
  return defineHandler<OffsetFetchRequest, OffsetFetchResponseInit>({
    apiKey: 9,
    name: 'OffsetFetch',
    minVersion: 1,
    maxVersion: 9,
    decode: decodeOffsetFetchRequest,
    encode: encodeOffsetFetchResponse,
    handle(ctx, req) {
      if (ctx.apiVersion === 0) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'Version 0 offset fetch requests (read from ZooKeeper) are not supported');
      const c = deps.groups;
      if (ctx.apiVersion >= 8) {
        return {
          throttleTimeMs: 0,
          groups: req.groups.map((g) => {
            const r = fetchGroup(c, g.groupId, g.topics, ctx.apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined);
            return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
          }),
        };
      }
      // Before v2 a null topic list is not allowed; treat it as "all" anyway.
      const r = fetchGroup(c, req.groupId, req.topics);
      return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics };
    },
    errorResponse(req, errorCode, ctx) {
      if (ctx.apiVersion >= 8) return { groups: req.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) };
      const topics = (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
      }));
      return { errorCode, topics };
    },
  });
}
