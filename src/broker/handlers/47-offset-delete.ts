/**
 * OffsetDelete (key 47), v0.
 * Version notes: deletes committed offsets of partitions the group does not consume: allowed
 * for Empty groups and for consumer-protocol groups on topics none of their members subscribe
 * to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); other non-empty groups get NON_EMPTY_GROUP.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeOffsetDeleteRequest,
  encodeOffsetDeleteResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponseInit,
} from '../../protocol/generated/messages/offset-delete.js';
import type { PartitionCode } from '../../group/offsets.js';
import { checkGroupRequest, type GroupDeps } from './group-context.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { ReplicaManager } from '../replica-manager.js';

/** What OffsetDelete uses: the group coordinator and the partitions hosted here. */
export interface OffsetDeleteDeps extends GroupDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
}

export function offsetDeleteHandler(deps: OffsetDeleteDeps): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponseInit> {
  return defineHandler<OffsetDeleteRequest, OffsetDeleteResponseInit>({
    apiKey: 47,
    name: 'OffsetDelete',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeOffsetDeleteRequest,
    encode: encodeOffsetDeleteResponse,
    handle(ctx, req) {
      const c = deps.groups;
      checkGroupRequest(c, req.groupId);
      const group = c.group(req.groupId);
      if (!group) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND);
      const known = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex).filter((p) => deps.replicas.partition(t.name, p) !== undefined) }));
      return c.deleteOffsets(group, known).then((codes: PartitionCode[]) => {
        const codeOf = new Map<string, number>();
        for (const pc of codes) codeOf.set(`${pc.topic}\u0000${pc.partition}`, pc.errorCode);
        return {
          errorCode: ErrorCode.NONE,
          throttleTimeMs: 0,
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeOf.get(`${t.name}\u0000${p.partitionIndex}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })),
          })),
        };
      });
    },
    errorResponse(_req, errorCode) {
      return { errorCode, throttleTimeMs: 0, topics: [] };
    },
  });
}
