/**
 * ListOffsets (key 2), v0-10.
 * Version notes: v0 returns old-style offset lists (segment boundaries, max_num_offsets, as Kafka
 * 3.x: legacy-offsets.ts; Kafka 4.0 dropped v0); v2+ isolation level; v4+ leader epochs;
 * v6+ flexible; v7+ MAX_TIMESTAMP (-3); v8+ EARLIEST_LOCAL (-4); v9+ LATEST_TIERED (-5, no tiered
 * storage here: answered like EARLIEST_LOCAL's end, i.e. -1 when nothing is tiered); v10 timeout.
 * Timestamp queries answer with a record, as Kafka: the first one whose timestamp >= the target,
 * and for MAX_TIMESTAMP the first one carrying the largest timestamp (storage/record-timestamps.ts).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponseInit,
} from '../../protocol/generated/messages/list-offsets.js';
import { mapSliced, sliceWork } from '../../common/yield.js';
import { defineHandler, type RequestContext, type ApiHandler } from '../handler.js';
import { CONSUMER_REPLICA_ID, legacyOffsetsBefore } from '../legacy-offsets.js';
import type { Partition } from '../partition.js';
import type { Clock } from '../../common/clock.js';
import type { ReplicaManager } from '../replica-manager.js';

type TopicOut = NonNullable<ListOffsetsResponseInit['topics']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];
type RequestPartition = ListOffsetsRequest['topics'][number]['partitions'][number];

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const LATEST_TIERED_TIMESTAMP = -5n;

function lookup(p: Partition, timestamp: bigint, readCommitted: boolean): { offset: bigint; timestamp: bigint } {
  const latest = readCommitted ? p.lastStableOffset : p.highWatermark;
  switch (timestamp) {
    case LATEST_TIMESTAMP:
      return { offset: BigInt(latest), timestamp: -1n };
    case EARLIEST_TIMESTAMP:
    case EARLIEST_LOCAL_TIMESTAMP:
      return { offset: BigInt(p.logStartOffset), timestamp: -1n };
    case LATEST_TIERED_TIMESTAMP:
      return { offset: -1n, timestamp: -1n };
    case MAX_TIMESTAMP: {
      const m = p.log.maxTimestampAndOffset();
      return m && m.offset < latest ? { offset: BigInt(m.offset), timestamp: BigInt(m.timestamp) } : { offset: -1n, timestamp: -1n };
    }
    default: {
      if (timestamp < 0n) return { offset: -1n, timestamp: -1n };
      const found = p.log.offsetForTimestamp(Number(timestamp));
      return found && found.offset < latest ? { offset: BigInt(found.offset), timestamp: BigInt(found.timestamp) } : { offset: -1n, timestamp: -1n };
    }
  }
}

/** The answer for one requested partition. */
function answerPartition(deps: ListOffsetsDeps, ctx: RequestContext, topic: string, rp: RequestPartition, readCommitted: boolean, replicaId: number): PartitionOut {
  const p = deps.replicas.partition(topic, rp.partitionIndex);
  if (!p) return { partitionIndex: rp.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  if (p.offline) return { partitionIndex: rp.partitionIndex, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  if (ctx.apiVersion === 0) {
    const oldStyleOffsets = legacyOffsetsBefore(p, rp.timestamp, rp.maxNumOffsets, replicaId === CONSUMER_REPLICA_ID, deps.clock.now());
    return { partitionIndex: rp.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets };
  }
  if (rp.currentLeaderEpoch >= 0 && rp.currentLeaderEpoch !== p.leaderEpoch) {
    const errorCode = rp.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
    return { partitionIndex: rp.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  }
  const r = lookup(p, rp.timestamp, readCommitted);
  const leaderEpoch = r.offset >= 0n ? p.log.leaderEpochs.epochForOffset(Number(r.offset)) : -1;
  return {
    partitionIndex: rp.partitionIndex,
    errorCode: ErrorCode.NONE,
    oldStyleOffsets: r.offset >= 0n ? [r.offset] : [],
    timestamp: r.timestamp,
    offset: r.offset,
    leaderEpoch,
  };
}

/** What ListOffsets uses: the partitions and the clock. */
export interface ListOffsetsDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
  readonly clock: Clock;
}

export function listOffsetsHandler(deps: ListOffsetsDeps): ApiHandler<ListOffsetsRequest, ListOffsetsResponseInit> {
  return defineHandler<ListOffsetsRequest, ListOffsetsResponseInit>({
    apiKey: 2,
    name: 'ListOffsets',
    minVersion: 0,
    maxVersion: 10,
    decode: decodeListOffsetsRequest,
    encode: encodeListOffsetsResponse,
    handle(ctx, req) {
      const readCommitted = ctx.apiVersion >= 2 && req.isolationLevel === 1;
      // In time slices (common/yield.ts): a request may name a million partitions.
      return sliceWork(function* (slice) {
        const topics: TopicOut[] = [];
        for (const t of req.topics) {
          topics.push({ name: t.name, partitions: yield* mapSliced(t.partitions, slice, (rp) => answerPartition(deps, ctx, t.name, rp, readCommitted, req.replicaId)) });
          if (slice.tick()) yield;
        }
        return { throttleTimeMs: 0, topics };
      });
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n })) })),
      };
    },
  });
}
