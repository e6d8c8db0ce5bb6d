/**
 * OffsetCommit (key 8), v0-9 (advertised from v2, Kafka 4.0's minimum).
 * Version notes: v0 commits went to ZooKeeper, apart from the group coordinator's offsets; Kafka
 * 3.x without ZooKeeper (KRaft), like Samsa, answers them UNSUPPORTED_VERSION for every partition
 * (UNKNOWN_TOPIC_OR_PARTITION for all when none of the topics exists); v1 carries a per-partition commit timestamp; v2-v4 a retention time (written
 * as an explicit expire timestamp, OffsetCommitValue v1); v6+ the committed leader epoch;
 * v7+ static membership; v9+ answers GROUP_ID_NOT_FOUND (not ILLEGAL_GENERATION) for a member
 * commit to an unknown group, and carries the member epoch of a KIP-848 consumer group's member
 * (STALE_MEMBER_EPOCH when it is not the current one; older versions are UNSUPPORTED_VERSION for
 * such members). Generation -1 with no member id is a simple (standalone) commit,
 * accepted while the group is Empty. The answer is sent after the records are in the log.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponseInit,
} from '../../protocol/generated/messages/offset-commit.js';
import type { CommitPartition, PartitionCode } from '../../group/offsets.js';
import { checkGroupRequest, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { ReplicaManager } from '../replica-manager.js';

function allWith(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponseInit {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}

/** What OffsetCommit uses: the group coordinator and the partitions hosted here. */
export interface OffsetCommitDeps extends GroupDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
}

export function offsetCommitHandler(deps: OffsetCommitDeps): ApiHandler<OffsetCommitRequest, OffsetCommitResponseInit> {
  return defineHandler<OffsetCommitRequest, OffsetCommitResponseInit>({
    apiKey: 8,
    name: 'OffsetCommit',
    minVersion: 2,
    maxVersion: 9,
    decode: decodeOffsetCommitRequest,
    encode: encodeOffsetCommitResponse,
    handle(ctx, req) {
      const v = ctx.apiVersion;
      if (v === 0) {
        const known = req.topics.some((t) => t.partitions.some((p) => deps.replicas.partition(t.name, p.partitionIndex) !== undefined));
        if (!known) return allWith(req, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'Version 0 offset commit requests (stored in ZooKeeper) are not supported');
      }
      const c = deps.groups;
      checkGroupRequest(c, req.groupId);
      c.throwIfShareGroup(req.groupId, 'consumer');
      const generationId = v >= 1 ? req.generationIdOrMemberEpoch : -1;
      // A KIP-848 consumer group's members commit with their member epoch (group/consumer/consumer-offsets.ts).
      const group = c.consumerGroup(req.groupId) ?? (generationId < 0 ? c.getOrCreateGroup(req.groupId) : c.group(req.groupId));
      if (!group) return allWith(req, v >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      const partitions: CommitPartition[] = [];
      for (const t of req.topics) {
        for (const p of t.partitions) {
          partitions.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
            metadata: p.committedMetadata,
            commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
          });
        }
      }
      const commit = c.commitOffsets(
        group,
        {
          memberId: v >= 1 ? req.memberId : '',
          groupInstanceId: v >= 7 ? req.groupInstanceId : null,
          generationId,
          retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
          apiVersion: v,
          partitions,
        },
        (topic, partition) => deps.replicas.partition(topic, partition) !== undefined,
      );
      return commit.then(
        (codes) => {
          let i = 0;
          return {
            throttleTimeMs: 0,
            topics: req.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: (codes[i++] as PartitionCode).errorCode })),
            })),
          };
        },
        (e: unknown) => {
          if (e instanceof KafkaError) return allWith(req, e.code);
          throw e;
        },
      );
    },
    errorResponse(req, errorCode) {
      return allWith(req, errorCode);
    },
  });
}
