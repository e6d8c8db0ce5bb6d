/**
 * DescribeProducers (key 61), v0 (flexible). The active producers of each requested partition
 * from its producer state: id, epoch, last sequence and timestamp, coordinator epoch and the
 * first offset of the open transaction (-1 when none).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeDescribeProducersRequest,
  encodeDescribeProducersResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponseInit,
} from '../../protocol/generated/messages/describe-producers.js';
import { mapSliced, sliceWork } from '../../common/yield.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { ReplicaManager } from '../replica-manager.js';

type TopicOut = NonNullable<DescribeProducersResponseInit['topics']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

/** The producers of one requested partition. */
function describePartition(deps: DescribeProducersDeps, topic: string, index: number): PartitionOut {
  const p = deps.replicas.partition(topic, index);
  if (!p) return { partitionIndex: index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
  const activeProducers = [...p.producers.activeProducers()].map((e) => ({
    producerId: e.producerId,
    producerEpoch: e.producerEpoch,
    lastSequence: e.batches[e.batches.length - 1]?.lastSeq ?? -1,
    lastTimestamp: BigInt(e.lastTimestamp),
    coordinatorEpoch: e.coordinatorEpoch,
    currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
  }));
  return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
}

/** What DescribeProducers reads: the partitions. */
export interface DescribeProducersDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
}

export function describeProducersHandler(deps: DescribeProducersDeps): ApiHandler<DescribeProducersRequest, DescribeProducersResponseInit> {
  return defineHandler<DescribeProducersRequest, DescribeProducersResponseInit>({
    apiKey: 61,
    name: 'DescribeProducers',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeDescribeProducersRequest,
    encode: encodeDescribeProducersResponse,
    handle(ctx, req) {
      // In time slices (common/yield.ts): a request may name a million partitions.
      return sliceWork(function* (slice) {
        const topics: TopicOut[] = [];
        for (const t of req.topics) {
          topics.push({ name: t.name, partitions: yield* mapSliced(t.partitionIndexes, slice, (index) => describePartition(deps, t.name, index)) });
          if (slice.tick()) yield;
        }
        return { throttleTimeMs: 0, topics };
      });
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((index) => ({ partitionIndex: index, errorCode, errorMessage: null, activeProducers: [] })) })),
      };
    },
  });
}
