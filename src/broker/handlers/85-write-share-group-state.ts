/**
 * WriteShareGroupState (key 85), v0: a share-partition leader writes a share-partition's durable
 * state to its share coordinator (KIP-932; broker/share/share-state-store.ts), answered once the
 * snapshot is committed to `__share_group_state`. Version notes: v0 is Kafka 4's, an
 * inter-broker API. Per partition errors: NOT_COORDINATOR (this broker does not lead the key's
 * `__share_group_state` partition), FENCED_LEADER_EPOCH (a leader epoch older than the stored
 * one), and what the append reports. Samsa's deviation: the request's state is written as a full
 * snapshot (start offset -1, "not written", keeps the stored start offset).
 * Authorized as Kafka does: CLUSTER_ACTION on the cluster (gate/share-access-rules.ts).
 */
import {
  decodeWriteShareGroupStateRequest,
  encodeWriteShareGroupStateResponse,
  type WriteShareGroupStateRequest,
  type WriteShareGroupStateResponseInit,
} from '../../protocol/generated/messages/write-share-group-state.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import { allSharePartitionsFailed, answerEachSharePartition, sharePartitionOk } from '../share/share-state-answers.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function writeShareGroupStateHandler(deps: { readonly shareState: ShareStateStore }): ApiHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponseInit> {
  return defineHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponseInit>({
    apiKey: 85,
    name: 'WriteShareGroupState',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeWriteShareGroupStateRequest,
    encode: encodeWriteShareGroupStateResponse,
    async handle(_ctx, req) {
      const store = deps.shareState;
      return {
        results: await answerEachSharePartition(req.groupId, req.topics, {}, async (key, p) => {
          const batches = p.stateBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount }));
          await store.write(key, () => ({ startOffset: p.startOffset >= 0n ? Number(p.startOffset) : (store.read(key)?.startOffset ?? 0), batches }), p.leaderEpoch);
          return sharePartitionOk(p.partition);
        }),
      };
    },
    errorResponse(req, errorCode) {
      return { results: allSharePartitionsFailed(req.topics, errorCode, {}) };
    },
  });
}
