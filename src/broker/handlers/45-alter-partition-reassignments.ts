/**
 * AlterPartitionReassignments (key 45), v0.
 * Version notes: v0 only (flexible). Kafka's controller rule per partition: unknown topic or
 * partition -> UNKNOWN_TOPIC_OR_PARTITION; replicas null (cancel) with no reassignment in progress
 * -> NO_REASSIGNMENT_IN_PROGRESS; a target that is empty, names a broker twice or names a broker
 * that is not registered -> INVALID_REPLICA_ASSIGNMENT. Otherwise the reassignment starts
 * (cluster/reassignment.ts: new replicas added, the leader and ISR unchanged; one already in
 * progress is replaced), or is cancelled (null target), and NONE is answered once that is
 * written; the controller completes it when the target is in the ISR (controller.ts), and
 * ListPartitionReassignments shows it meanwhile. A target equal to the current replicas with
 * nothing in progress changes nothing.
 * Samsa deviations: the broker that receives the request writes the start (a compare-and-swap on
 * the partition epoch, retried when an ISR change won the race; Kafka forwards it to the
 * controller); a registered broker is a live one (an etcd lease), so a dead broker cannot be a
 * target. A single node is the only registered broker: its only valid target is itself, which is
 * the current assignment, so nothing is ever in progress there.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { MetadataImage } from '../../metadata/image.js';
import {
  decodeAlterPartitionReassignmentsRequest,
  encodeAlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponseInit,
} from '../../protocol/generated/messages/alter-partition-reassignments.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { MetadataStore } from '../../metadata/store.js';
import { cancelReassignment, startReassignment } from '../../cluster/reassignment.js';
import type { PartitionAssignmentChange } from '../../cluster/etcd/metadata-store.js';

type PartitionResult = { partitionIndex: number; errorCode: number; errorMessage: string | null };

/** Writes one partition's reassignment step (the etcd store's alterPartitionAssignment). */
export interface AssignmentWriter {
  alterPartitionAssignment(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionAssignmentChange): Promise<MetadataImage>;
}

/** What AlterPartitionReassignments reads and writes: the image, and in a cluster the store's reassignment writes. */
export interface AlterPartitionReassignmentsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly nodeId: number;
  /** Null on a single node (nothing can move). */
  readonly assignments?: AssignmentWriter | null;
}

/** A lost compare-and-swap (an ISR change came first) is decided again this many times. */
const ATTEMPTS = 10;

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

const result = (partitionIndex: number, errorCode: number, errorMessage: string | null = null): PartitionResult => ({ partitionIndex, errorCode, errorMessage });

async function reassignOne(deps: AlterPartitionReassignmentsDeps, topic: string, partition: number, replicas: readonly number[] | null): Promise<PartitionResult> {
  for (let attempt = 0; ; attempt++) {
    const image = deps.metadata.image();
    const t = image.topic(topic);
    if (!t) return result(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${topic}.`);
    const p = t.partitions[partition];
    if (!p) return result(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}:${partition}.`);
    const alive = new Set(image.brokers().map((b) => b.nodeId));
    if (deps.assignments == null) alive.add(deps.nodeId);
    let next: PartitionAssignmentChange | null;
    if (replicas === null) {
      next = cancelReassignment(p, alive);
      if (next === null) return result(partition, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.');
    } else {
      const problem = invalidTarget(replicas, alive);
      if (problem !== null) return result(partition, ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
      next = startReassignment(p, replicas, alive);
    }
    if (next === null) return result(partition, ErrorCode.NONE);
    if (deps.assignments == null) return result(partition, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'This broker is not part of a cluster: its partitions cannot move.');
    try {
      await deps.assignments.alterPartitionAssignment(t.topicId, partition, p.partitionEpoch ?? 0, next);
      return result(partition, ErrorCode.NONE);
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      const raced = e.code === ErrorCode.INVALID_UPDATE_VERSION || e.code === ErrorCode.FENCED_LEADER_EPOCH;
      if (raced && attempt + 1 < ATTEMPTS) continue;
      return result(partition, e.code === ErrorCode.UNKNOWN_TOPIC_ID ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : e.code, e.message);
    }
  }
}

export function alterPartitionReassignmentsHandler(deps: AlterPartitionReassignmentsDeps): ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInit> {
  return defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInit>({
    apiKey: 45,
    name: 'AlterPartitionReassignments',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeAlterPartitionReassignmentsRequest,
    encode: encodeAlterPartitionReassignmentsResponse,
    async handle(_ctx, req) {
      const responses = [];
      for (const t of req.topics) {
        const partitions = [];
        for (const p of t.partitions) partitions.push(await reassignOne(deps, t.name, p.partitionIndex, p.replicas));
        responses.push({ name: t.name, partitions });
      }
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
