/**
 * DeleteRecords (key 21), v0-2 (v2+ flexible). Moves each partition's log start offset up to the
 * requested offset (-1 = the high watermark); whole segments below it are deleted, and Fetch and
 * ListOffsets stop serving what lies below (OFFSET_OUT_OF_RANGE / the new earliest offset).
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION; OFFSET_OUT_OF_RANGE for an offset above the
 * high watermark or below -1; POLICY_VIOLATION when cleanup.policy lacks delete (compact only);
 * INVALID_TOPIC_EXCEPTION for internal topics. Single broker: no waiting for followers, timeoutMs
 * is not used. The new log start offsets are checkpointed at once.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import {
  decodeDeleteRecordsRequest,
  encodeDeleteRecordsResponse,
  type DeleteRecordsRequest,
  type DeleteRecordsResponseInit,
} from '../../protocol/generated/messages/delete-records.js';
import { mapSliced, sliceWork } from '../../common/yield.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { ReplicaManager } from '../replica-manager.js';

type TopicOut = NonNullable<DeleteRecordsResponseInit['topics']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

const HIGH_WATERMARK = -1n;

function deletePartition(deps: DeleteRecordsDeps, topic: string, index: number, offset: bigint): PartitionOut {
  const fail = (errorCode: number): PartitionOut => ({ partitionIndex: index, lowWatermark: -1n, errorCode });
  const p = deps.replicas.partition(topic, index);
  if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (p.offline) return fail(ErrorCode.KAFKA_STORAGE_ERROR);
  if (INTERNAL_TOPICS.has(topic)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (p.log.config.cleanupPolicy?.delete === false) return fail(ErrorCode.POLICY_VIOLATION);
  const target = offset === HIGH_WATERMARK ? BigInt(p.highWatermark) : offset;
  if (target < 0n || target > BigInt(p.highWatermark)) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    p.log.deleteRecordsBefore(Number(target));
  } catch (e) {
    if (e instanceof KafkaError) return fail(e.code);
    deps.logger.error(`delete records of ${topic}-${index} below ${target} failed`, e);
    return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  return { partitionIndex: index, lowWatermark: BigInt(p.logStartOffset), errorCode: ErrorCode.NONE };
}

/** What DeleteRecords uses: the partitions and the log manager (checkpoints). */
export interface DeleteRecordsDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
  readonly logs: Pick<LogManager, 'checkpointAll'>;
  readonly logger: Logger;
}

export function deleteRecordsHandler(deps: DeleteRecordsDeps): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponseInit> {
  return defineHandler<DeleteRecordsRequest, DeleteRecordsResponseInit>({
    apiKey: 21,
    name: 'DeleteRecords',
    minVersion: 0,
    maxVersion: 2,
    decode: decodeDeleteRecordsRequest,
    encode: encodeDeleteRecordsResponse,
    handle(ctx, req) {
      // In time slices (common/yield.ts): a request may name a million partitions.
      return sliceWork(function* (slice) {
        const topics: TopicOut[] = [];
        for (const t of req.topics) {
          topics.push({ name: t.name, partitions: yield* mapSliced(t.partitions, slice, (p) => deletePartition(deps, t.name, p.partitionIndex, p.offset)) });
          if (slice.tick()) yield;
        }
        try {
          deps.logs.checkpointAll();
        } catch (e) {
          deps.logger.error('checkpointing log start offsets after DeleteRecords failed', e);
        }
        return { throttleTimeMs: 0, topics };
      });
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })) };
    },
  });
}
