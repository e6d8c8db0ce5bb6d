/**
 * OffsetForLeaderEpoch (key 23), v2-4 advertised (Kafka 4.0's minimum is 2; older decode too).
 * Version notes: v1+ returns the leader epoch with the end offset; v2+ current leader epoch fencing
 * and throttle time; v3+ replica id; v4+ flexible. Consumers use it to validate their position
 * after a leader change (KIP-320); the answer is the end offset of the largest epoch <= the one
 * asked for, from the partition's leader-epoch cache.
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeOffsetForLeaderEpochRequest,
  encodeOffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponseInit,
} from '../../protocol/generated/messages/offset-for-leader-epoch.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { ReplicaManager } from '../replica-manager.js';

type TopicOut = NonNullable<OffsetForLeaderEpochResponseInit['topics']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

/** What OffsetForLeaderEpoch uses: the partitions. */
export interface OffsetForLeaderEpochDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
}

export function offsetForLeaderEpochHandler(deps: OffsetForLeaderEpochDeps): ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInit> {
  return defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInit>({
    apiKey: 23,
    name: 'OffsetForLeaderEpoch',
    minVersion: 2,
    maxVersion: 4,
    decode: decodeOffsetForLeaderEpochRequest,
    encode: encodeOffsetForLeaderEpochResponse,
    handle(ctx, req) {
      const topics: TopicOut[] = req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((rp): PartitionOut => {
          const none = { partition: rp.partition, leaderEpoch: -1, endOffset: -1n };
          const p = deps.replicas.partition(t.topic, rp.partition);
          if (!p) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (p.offline) return { ...none, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
          if (rp.currentLeaderEpoch >= 0 && rp.currentLeaderEpoch !== p.leaderEpoch) {
            return { ...none, errorCode: rp.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH };
          }
          const r = p.log.leaderEpochs.endOffsetFor(rp.leaderEpoch);
          return { partition: rp.partition, errorCode: ErrorCode.NONE, leaderEpoch: r.epoch, endOffset: BigInt(r.endOffset) };
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1n })) })),
      };
    },
  });
}
