/**
 * InitializeShareGroupState (key 83), v0: sets a share-partition's first durable state at its
 * share coordinator (KIP-932; broker/share/share-state-store.ts): a snapshot with the request's
 * state epoch and start offset and no in-flight records, answered once committed to
 * `__share_group_state`. Version notes: v0 is Kafka 4's, an inter-broker API. Per partition
 * errors: NOT_COORDINATOR (this broker does not lead the key's `__share_group_state` partition),
 * FENCED_STATE_EPOCH (a state epoch older than the stored one), and what the append reports; a
 * start offset of -1 keeps the stored one. Authorized as Kafka does: CLUSTER_ACTION on the
 * cluster (gate/share-access-rules.ts).
 * Samsa's deviation: sent by the share-partition leader when it finds no state (Kafka's group
 * coordinator sends it when it assigns a partition).
 */
import {
  decodeInitializeShareGroupStateRequest,
  encodeInitializeShareGroupStateResponse,
  type InitializeShareGroupStateRequest,
  type InitializeShareGroupStateResponseInit,
} from '../../protocol/generated/messages/initialize-share-group-state.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import { allSharePartitionsFailed, answerEachSharePartition, sharePartitionOk } from '../share/share-state-answers.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function initializeShareGroupStateHandler(deps: { readonly shareState: ShareStateStore }): ApiHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponseInit> {
  return defineHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponseInit>({
    apiKey: 83,
    name: 'InitializeShareGroupState',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeInitializeShareGroupStateRequest,
    encode: encodeInitializeShareGroupStateResponse,
    async handle(_ctx, req) {
      return {
        results: await answerEachSharePartition(req.groupId, req.topics, {}, async (key, p) => {
          await deps.shareState.initialize(key, p.stateEpoch, Number(p.startOffset));
          return sharePartitionOk(p.partition);
        }),
      };
    },
    errorResponse(req, errorCode) {
      return { results: allSharePartitionsFailed(req.topics, errorCode, {}) };
    },
  });
}
