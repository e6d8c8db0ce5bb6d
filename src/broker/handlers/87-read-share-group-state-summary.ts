/**
 * ReadShareGroupStateSummary (key 87), v0: a share-partition's state epoch and start offset at
 * its share coordinator (KIP-932; broker/share/share-state-store.ts), without its in-flight
 * records (what DescribeShareGroupOffsets needs). Version notes: v0 is Kafka 4's, an inter-broker
 * API. Per partition: state epoch and start offset (-1 and -1 when the share-partition has no
 * state); errors NOT_COORDINATOR (this broker does not lead the key's `__share_group_state`
 * partition) and FENCED_LEADER_EPOCH (a leader epoch older than the stored one; -1 is not
 * checked); unlike ReadShareGroupState it records nothing. Authorized as Kafka does:
 * CLUSTER_ACTION on the cluster (gate/share-access-rules.ts).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeReadShareGroupStateSummaryRequest,
  encodeReadShareGroupStateSummaryResponse,
  type ReadShareGroupStateSummaryRequest,
  type ReadShareGroupStateSummaryResponseInit,
} from '../../protocol/generated/messages/read-share-group-state-summary.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import { defineHandler, type ApiHandler } from '../handler.js';

export function readShareGroupStateSummaryHandler(deps: { readonly shareState: ShareStateStore }): ApiHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponseInit> {
  return defineHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponseInit>({
    apiKey: 87,
    name: 'ReadShareGroupStateSummary',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeReadShareGroupStateSummaryRequest,
    encode: encodeReadShareGroupStateSummaryResponse,
    handle(_ctx, req) {
      return {
        results: req.topics.map((t) => ({
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            try {
              const s = deps.shareState.readSummary({ groupId: req.groupId, topicId: t.topicId, partition: p.partition }, p.leaderEpoch);
              return { partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: null, stateEpoch: s?.stateEpoch ?? -1, startOffset: BigInt(s?.startOffset ?? -1) };
            } catch (e) {
              if (!(e instanceof KafkaError)) throw e;
              return { partition: p.partition, errorCode: e.code, errorMessage: e.message || null, stateEpoch: -1, startOffset: -1n };
            }
          }),
        })),
      };
    },
    errorResponse(req, errorCode) {
      return { results: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, errorMessage: null, stateEpoch: -1, startOffset: -1n })) })) };
    },
  });
}
