/**
 * DescribeTopicPartitions (key 75, KIP-966), v0.
 * Version notes: v0 only (flexible); Kafka 4 admin clients describe topics with it. Kafka's rule:
 * an empty topic list means every topic; topics are answered in name order starting at the
 * cursor's topic and partition, with at most min(ResponsePartitionLimit, 2000) partitions (at
 * least 1); when partitions remain, NextCursor names the first one left out. A named topic that
 * does not exist is answered with UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an
 * illegal name); with all topics, only existing ones are listed. A cursor whose topic is not in
 * the list, or whose partition is negative, fails the request with INVALID_REQUEST. Eligible
 * leader replicas (KIP-966 ELR) are empty lists: one node has no ELR. Authorized operations are
 * always filled in (no authorizer: every topic operation). Partitions carry offline replicas and
 * LEADER_NOT_AVAILABLE as Metadata does (partition-entry.ts).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { MetadataImage, TopicImage } from '../../metadata/image.js';
import {
  decodeDescribeTopicPartitionsRequest,
  encodeDescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponseInit,
} from '../../protocol/generated/messages/describe-topic-partitions.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { TOPIC_OPERATIONS } from '../authorized-operations.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import { isLegalTopicName } from '../topic-manager.js';
import { partitionEntry } from './partition-entry.js';
import type { MetadataStore } from '../../metadata/store.js';

type TopicOut = NonNullable<DescribeTopicPartitionsResponseInit['topics']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

/** Kafka's max.request.partition.size.limit default: partitions one response may carry. */
export const MAX_RESPONSE_PARTITIONS = 2000;
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

function partitionsFrom(t: TopicImage, image: MetadataImage, start: number, max: number): PartitionOut[] {
  return t.partitions.slice(start, start + max).map((p) => ({ ...partitionEntry(p, image, t.topicId), eligibleLeaderReplicas: [], lastKnownElr: [] }));
}

/** What DescribeTopicPartitions reads: the metadata image. */
export interface DescribeTopicPartitionsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
}

export function describeTopicPartitionsHandler(deps: DescribeTopicPartitionsDeps): ApiHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInit> {
  return defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInit>({
    apiKey: 75,
    name: 'DescribeTopicPartitions',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeDescribeTopicPartitionsRequest,
    encode: encodeDescribeTopicPartitionsResponse,
    handle(ctx, req) {
      const metadata = deps.metadata.image();
      const all = req.topics.length === 0;
      const cursor = req.cursor;
      const from = cursor?.topicName ?? '';
      const names = new Set<string>();
      if (all) {
        for (const t of metadata.topics()) if (t.name >= from) names.add(t.name);
      } else {
        for (const t of req.topics) if (t.name >= from) names.add(t.name);
        if (cursor && !names.has(cursor.topicName)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `DescribeTopicPartitionsRequest topic list should contain the cursor topic: ${cursor.topicName}`);
      }
      if (cursor && cursor.partitionIndex < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `DescribeTopicPartitionsRequest cursor partition must be valid: ${cursor.partitionIndex}`);
      let remaining = Math.max(Math.min(MAX_RESPONSE_PARTITIONS, req.responsePartitionLimit), 1);
      const topics: TopicOut[] = [];
      let nextCursor: { topicName: string; partitionIndex: number } | null = null;
      for (const name of [...names].sort()) {
        if (remaining === 0) {
          nextCursor = { topicName: name, partitionIndex: 0 };
          break;
        }
        const t = metadata.topic(name);
        if (!t) {
          if (!all) {
            const errorCode = isLegalTopicName(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
            topics.push({ errorCode, name, topicId: ZERO_UUID, isInternal: INTERNAL_TOPICS.has(name), partitions: [], topicAuthorizedOperations: TOPIC_OPERATIONS });
          }
          continue;
        }
        const start = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
        const partitions = partitionsFrom(t, metadata, start, remaining);
        topics.push({ errorCode: ErrorCode.NONE, name, topicId: t.topicId, isInternal: t.internal, partitions, topicAuthorizedOperations: TOPIC_OPERATIONS });
        const end = Math.min(t.partitions.length, start + remaining);
        if (end < t.partitions.length) {
          nextCursor = { topicName: name, partitionIndex: end };
          break;
        }
        remaining -= partitions.length;
      }
      return { throttleTimeMs: 0, topics, nextCursor };
    },
    errorResponse(req, errorCode) {
      // Kafka: every requested topic with the error (none when all topics were asked for).
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [] })), nextCursor: null };
    },
  });
}
