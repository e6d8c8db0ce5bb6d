/**
 * ReadShareGroupState (key 84), v0: a share-partition leader reads a share-partition's durable
 * state from its share coordinator (KIP-932; broker/share/share-state-store.ts). Version notes:
 * v0 is Kafka 4's, an inter-broker API. Per partition: the state epoch, start offset and state
 * batches (start offset -1 when the share-partition has no state yet); errors NOT_COORDINATOR
 * (this broker does not lead the key's `__share_group_state` partition) and FENCED_LEADER_EPOCH
 * (a leader epoch older than the stored one); a newer leader epoch is recorded before answering.
 * Authorized as Kafka does: CLUSTER_ACTION on the cluster (gate/share-access-rules.ts).
 */
import {
  decodeReadShareGroupStateRequest,
  encodeReadShareGroupStateResponse,
  type ReadShareGroupStateRequest,
  type ReadShareGroupStateResponseInit,
} from '../../protocol/generated/messages/read-share-group-state.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import { allSharePartitionsFailed, answerEachSharePartition, sharePartitionOk } from '../share/share-state-answers.js';
import { defineHandler, type ApiHandler } from '../handler.js';

/** The other fields of a share-partition whose read failed. */
const NOT_READ = { stateEpoch: 0, startOffset: -1n, stateBatches: [] } as const;

export function readShareGroupStateHandler(deps: { readonly shareState: ShareStateStore }): ApiHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponseInit> {
  return defineHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponseInit>({
    apiKey: 84,
    name: 'ReadShareGroupState',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeReadShareGroupStateRequest,
    encode: encodeReadShareGroupStateResponse,
    async handle(_ctx, req) {
      return {
        results: await answerEachSharePartition(req.groupId, req.topics, NOT_READ, async (key, p) => {
          const s = await deps.shareState.readForLeader(key, p.leaderEpoch);
          return {
            ...sharePartitionOk(p.partition),
            stateEpoch: deps.shareState.readSummary(key, -1)?.stateEpoch ?? 0,
            startOffset: s === undefined ? -1n : BigInt(s.startOffset),
            stateBatches: (s?.batches ?? []).map((b) => ({ firstOffset: BigInt(b.firstOffset), lastOffset: BigInt(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
          };
        }),
      };
    },
    errorResponse(req, errorCode) {
      return { results: allSharePartitionsFailed(req.topics, errorCode, NOT_READ) };
    },
  });
}
