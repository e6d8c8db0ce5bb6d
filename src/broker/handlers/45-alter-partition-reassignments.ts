/**
 * AlterPartitionReassignments (key 45), v0.
 * Version notes: v0 only (flexible). Kafka's controller rule per partition: unknown topic or
 * partition -> UNKNOWN_TOPIC_OR_PARTITION; replicas null (cancel) with no reassignment in progress
 * -> NO_REASSIGNMENT_IN_PROGRESS; a target that is empty, names a broker twice or names a broker
 * that is not registered -> INVALID_REPLICA_ASSIGNMENT; a target equal to the current replicas
 * completes at once. One Samsa node is the only registered broker, so the only valid target is
 * [this node], which is the current assignment: the reassignment is a no-op and nothing is ever
 * in progress. The multi-broker controller builds the moves themselves on this handler.
 */
import { ErrorCode } from '../../common/error-codes.js';
import type { MetadataImage } from '../../metadata/image.js';
import {
  decodeAlterPartitionReassignmentsRequest,
  encodeAlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponseInit,
} from '../../protocol/generated/messages/alter-partition-reassignments.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { MetadataStore } from '../../metadata/store.js';

type PartitionResult = { partitionIndex: number; errorCode: number; errorMessage: string | null };

/** The target replica list's first problem (Kafka's validateManualPartitionAssignment), or null. */
function invalidTarget(replicas: readonly number[], registered: ReadonlySet<number>): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...replicas].sort((a, b) => a - b);
  let prev: number | null = null;
  for (const id of sorted) {
    if (!registered.has(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
    if (id === prev) return `The manual partition assignment includes the broker ${id} more than once.`;
    prev = id;
  }
  return null;
}

function reassignOne(metadata: MetadataImage, registered: ReadonlySet<number>, topic: string, partition: number, replicas: readonly number[] | null): PartitionResult {
  const t = metadata.topic(topic);
  if (!t) return { partitionIndex: partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find a topic named ${topic}.` };
  if (!t.partitions[partition]) return { partitionIndex: partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${topic}:${partition}.` };
  if (replicas === null) return { partitionIndex: partition, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'No partition reassignment is in progress.' };
  const problem = invalidTarget(replicas, registered);
  if (problem !== null) return { partitionIndex: partition, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: problem };
  // Every registered broker is this node and it already hosts the partition: nothing to move.
  return { partitionIndex: partition, errorCode: ErrorCode.NONE, errorMessage: null };
}

/** What AlterPartitionReassignments reads: the image and this node id. */
export interface AlterPartitionReassignmentsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly nodeId: number;
}

export function alterPartitionReassignmentsHandler(deps: AlterPartitionReassignmentsDeps): ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInit> {
  return defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInit>({
    apiKey: 45,
    name: 'AlterPartitionReassignments',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeAlterPartitionReassignmentsRequest,
    encode: encodeAlterPartitionReassignmentsResponse,
    handle(ctx, req) {
      const registered = new Set([deps.nodeId]);
      const responses = req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => reassignOne(deps.metadata.image(), registered, t.name, p.partitionIndex, p.replicas)),
      }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        errorCode,
        errorMessage: null,
        responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })) })),
      };
    },
  });
}
