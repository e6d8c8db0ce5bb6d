/**
 * ShareAcknowledge (key 79), v0: a share consumer acknowledges records it acquired (KIP-932):
 * per offset range, one type for the range or one per offset: accept (1), release (2), reject
 * (3), or gap (0). Each partition's outcome is its error code (INVALID_RECORD_STATE when a record
 * is not acquired by this member; nothing of that partition's batches changes then); the answer
 * is sent once the new state is persisted. The request belongs to the member's share session
 * (SHARE_SESSION_NOT_FOUND / INVALID_SHARE_SESSION_EPOCH; epoch 0 cannot open one); the final
 * epoch (-1) closes the session and releases what the member still holds.
 * Served only when `group.coordinator.rebalance.protocols` includes `share`.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeShareAcknowledgeRequest,
  encodeShareAcknowledgeResponse,
  type ShareAcknowledgeRequest,
  type ShareAcknowledgeResponseInit,
} from '../../protocol/generated/messages/share-acknowledge.js';
import { FINAL_EPOCH } from '../share/share-sessions.js';
import type { ShareDeps } from './share-deps.js';
import { defineHandler, type ApiHandler } from '../handler.js';

function failed(errorCode: number, errorMessage: string | null): ShareAcknowledgeResponseInit {
  return { throttleTimeMs: 0, errorCode, errorMessage, responses: [], nodeEndpoints: [] };
}

export function shareAcknowledgeHandler(deps: ShareDeps): ApiHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponseInit> {
  return defineHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponseInit>({
    apiKey: 79,
    name: 'ShareAcknowledge',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeShareAcknowledgeRequest,
    encode: encodeShareAcknowledgeResponse,
    async handle(_ctx, req) {
      const mgr = deps.sharePartitions;
      const groupId = req.groupId ?? '';
      const memberId = req.memberId ?? '';
      if (groupId === '') return failed(ErrorCode.INVALID_GROUP_ID, 'The group id must not be empty');
      if (memberId === '') return failed(ErrorCode.UNKNOWN_MEMBER_ID, 'The member id must not be empty');
      let session;
      try {
        session = mgr.sessions.use(groupId, memberId, req.shareSessionEpoch, false);
      } catch (e) {
        if (e instanceof KafkaError) return failed(e.code, e.message);
        throw e;
      }
      const items = req.topics.flatMap((t) => t.partitions.map((p) => ({ topicId: t.topicId, partition: p.partitionIndex, batches: p.acknowledgementBatches })));
      const results = await mgr.acknowledgeAll(groupId, memberId, items);
      if (req.shareSessionEpoch === FINAL_EPOCH) await mgr.releaseSession(groupId, memberId, session.partitions);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: req.topics.map((t) => ({
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            const r = results.get(`${t.topicId}:${p.partitionIndex}`);
            return { partitionIndex: p.partitionIndex, errorCode: r?.code ?? ErrorCode.NONE, errorMessage: r?.message ?? null, currentLeader: { leaderId: deps.nodeId, leaderEpoch: -1 } };
          }),
        })),
        nodeEndpoints: [],
      };
    },
    errorResponse(_req, errorCode) {
      return failed(errorCode, null);
    },
  });
}
