/**
 * ListPartitionReassignments (key 46), v0.
 * Version notes: v0 only (flexible). Kafka lists the partitions with a reassignment in progress
 * (all of them for a null topic list; unknown topics and partitions are skipped silently), each
 * with its replicas (target first, then the replicas being removed), adding and removing replicas,
 * from the metadata image (the reassignment itself: 45-alter-partition-reassignments.ts and the
 * controller). On one node nothing is ever in progress, so the list is empty there.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { reassigning, type PartitionImage, type TopicImage } from '../../metadata/image.js';
import type { MetadataStore } from '../../metadata/store.js';
import {
  decodeListPartitionReassignmentsRequest,
  encodeListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponseInit,
} from '../../protocol/generated/messages/list-partition-reassignments.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export interface ListPartitionReassignmentsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
}

const ongoing = (p: PartitionImage): { partitionIndex: number; replicas: readonly number[]; addingReplicas: readonly number[]; removingReplicas: readonly number[] } => ({
  partitionIndex: p.partition,
  replicas: p.replicas,
  addingReplicas: p.addingReplicas ?? [],
  removingReplicas: p.removingReplicas ?? [],
});

export function listPartitionReassignmentsHandler(deps: ListPartitionReassignmentsDeps): ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInit> {
  return defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInit>({
    apiKey: 46,
    name: 'ListPartitionReassignments',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeListPartitionReassignmentsRequest,
    encode: encodeListPartitionReassignmentsResponse,
    handle(_ctx, req) {
      const image = deps.metadata.image();
      const wanted: { topic: TopicImage; partitions: readonly PartitionImage[] }[] = [];
      if (req.topics === null) {
        for (const t of image.topics()) wanted.push({ topic: t, partitions: t.partitions });
      } else {
        for (const r of req.topics) {
          const t = image.topic(r.name);
          if (t !== undefined) wanted.push({ topic: t, partitions: r.partitionIndexes.map((i) => t.partitions[i]).filter((p): p is PartitionImage => p !== undefined) });
        }
      }
      const topics = wanted
        .map(({ topic, partitions }) => ({ name: topic.name, partitions: partitions.filter(reassigning).map(ongoing) }))
        .filter((t) => t.partitions.length > 0);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
    },
  });
}
