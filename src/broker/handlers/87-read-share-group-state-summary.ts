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
import {
  decodeReadShareGroupStateSummaryRequest,
  encodeReadShareGroupStateSummaryResponse,
  type ReadShareGroupStateSummaryRequest,
  type ReadShareGroupStateSummaryResponseInit,
} from '../../protocol/generated/messages/read-share-group-state-summary.js';
import type { ShareStateStore } from '../share/share-state-store.js';
import { allSharePartitionsFailed, answerEachSharePartition, sharePartitionOk } from '../share/share-state-answers.js';
import { defineHandler, type ApiHandler } from '../handler.js';

/** The other fields of a share-partition without a summary. */
const NO_SUMMARY = { stateEpoch: -1, startOffset: -1n } as const;

export function readShareGroupStateSummaryHandler(deps: { readonly shareState: ShareStateStore }): ApiHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponseInit> {
  return defineHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponseInit>({
    apiKey: 87,
    name: 'ReadShareGroupStateSummary',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeReadShareGroupStateSummaryRequest,
    encode: encodeReadShareGroupStateSummaryResponse,
    async handle(_ctx, req) {
      return {
        results: await answerEachSharePartition(req.groupId, req.topics, NO_SUMMARY, (key, p) => {
          const s = deps.shareState.readSummary(key, p.leaderEpoch);
          return { ...sharePartitionOk(p.partition), stateEpoch: s?.stateEpoch ?? -1, startOffset: BigInt(s?.startOffset ?? -1) };
        }),
      };
    },
    errorResponse(req, errorCode) {
      return { results: allSharePartitionsFailed(req.topics, errorCode, NO_SUMMARY) };
    },
  });
}
