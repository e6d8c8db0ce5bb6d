/**
 * DeleteShareGroupState (key 86), v0: deletes a share-partition's durable state at its share
 * coordinator (KIP-932; broker/share/share-state-store.ts): a tombstone in
 * `__share_group_state`, answered once committed; a share-partition without state is deleted
 * already (NONE). Sent for each share-partition of a share group that DeleteGroups deletes.
 * Version notes: v0 is Kafka 4's, an inter-broker API. Per partition errors: NOT_COORDINATOR
 * (this broker does not lead the key's `__share_group_state` partition) and what the append
 * reports. Authorized as Kafka does: CLUSTER_ACTION on the cluster (gate/share-access-rules.ts).
 */
import {
  decodeDeleteShareGroupStateRequest,
  encodeDeleteShareGroupStateResponse,
  type DeleteShareGroupStateRequest,
  type DeleteShareGroupStateResponseInit,
} from '../../protocol/generated/messages/delete-share-group-state.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import { allSharePartitionsFailed, answerEachSharePartition, sharePartitionOk } from '../share/share-state-answers.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function deleteShareGroupStateHandler(deps: { readonly shareState: ShareStateStore }): ApiHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponseInit> {
  return defineHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponseInit>({
    apiKey: 86,
    name: 'DeleteShareGroupState',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeDeleteShareGroupStateRequest,
    encode: encodeDeleteShareGroupStateResponse,
    async handle(_ctx, req) {
      return {
        results: await answerEachSharePartition(req.groupId, req.topics, {}, async (key, p) => {
          await deps.shareState.deleteState(key);
          return sharePartitionOk(p.partition);
        }),
      };
    },
    errorResponse(req, errorCode) {
      return { results: allSharePartitionsFailed(req.topics, errorCode, {}) };
    },
  });
}
