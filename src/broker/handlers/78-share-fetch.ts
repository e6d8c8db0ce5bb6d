/**
 * ShareFetch (key 78), v0: a share consumer fetches records of its share group (KIP-932). The
 * request carries the share session epoch (share/share-sessions.ts), the partitions to add to the
 * session, the forgotten ones, and piggy-backed acknowledgements per partition, which are applied
 * first (their outcome is each partition's AcknowledgeErrorCode). Records of every partition of
 * the session are then acquired for the member (share/share-partition.ts) and returned as whole
 * stored batches with the AcquiredRecords ranges; when nothing is acquired the request waits up to
 * MaxWaitMs for new or released records. A full request (epoch 0) answers every partition of the
 * session; an incremental one the partitions with records, errors or acknowledgements.
 * Kafka's rules kept: acknowledgements in a session-opening request are INVALID_REQUEST; the final
 * epoch (-1) applies acknowledgements, fetches nothing and releases what the member holds.
 * Served only when `group.coordinator.rebalance.protocols` includes `share`.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeShareFetchRequest,
  encodeShareFetchResponse,
  type ShareFetchRequest,
  type ShareFetchResponseInit,
} from '../../protocol/generated/messages/share-fetch.js';
import type { Partition } from '../partition.js';
import type { PartitionFetch } from '../share/share-partition-manager.js';
import { FINAL_EPOCH, INITIAL_EPOCH, partitionKey } from '../share/share-sessions.js';
import type { ShareDeps } from './share-deps.js';
import { defineHandler, type ApiHandler } from '../handler.js';

type TopicOut = NonNullable<ShareFetchResponseInit['responses']>[number];
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

function failed(errorCode: number, errorMessage: string | null): ShareFetchResponseInit {
  return { throttleTimeMs: 0, errorCode, errorMessage, responses: [], nodeEndpoints: [] };
}

function splitKey(pk: string): { topicId: string; partition: number } {
  const sep = pk.lastIndexOf(':');
  return { topicId: pk.slice(0, sep), partition: Number(pk.slice(sep + 1)) };
}

export function shareFetchHandler(deps: ShareDeps): ApiHandler<ShareFetchRequest, ShareFetchResponseInit> {
  return defineHandler<ShareFetchRequest, ShareFetchResponseInit>({
    apiKey: 78,
    name: 'ShareFetch',
    minVersion: 0,
    maxVersion: 0,
    decode: decodeShareFetchRequest,
    encode: encodeShareFetchResponse,
    async handle(_ctx, req) {
      const mgr = deps.sharePartitions;
      const groupId = req.groupId ?? '';
      const memberId = req.memberId ?? '';
      if (groupId === '') return failed(ErrorCode.INVALID_GROUP_ID, 'The group id must not be empty');
      if (memberId === '') return failed(ErrorCode.UNKNOWN_MEMBER_ID, 'The member id must not be empty');
      const epoch = req.shareSessionEpoch;
      const acks = req.topics.flatMap((t) => t.partitions.filter((p) => p.acknowledgementBatches.length > 0).map((p) => ({ topicId: t.topicId, partition: p.partitionIndex, batches: p.acknowledgementBatches })));
      if (epoch === INITIAL_EPOCH && acks.length > 0) return failed(ErrorCode.INVALID_REQUEST, 'Acknowledgements are not allowed in a request opening a share session');
      let session;
      try {
        session = mgr.sessions.use(groupId, memberId, epoch, true);
      } catch (e) {
        if (e instanceof KafkaError) return failed(e.code, e.message);
        throw e;
      }
      const maxBytesOf = new Map<string, number>();
      if (epoch !== FINAL_EPOCH) {
        for (const t of req.topics) for (const p of t.partitions) {
          const pk = partitionKey(t.topicId, p.partitionIndex);
          session.partitions.add(pk);
          if (p.partitionMaxBytes > 0) maxBytesOf.set(pk, p.partitionMaxBytes);
        }
        for (const t of req.forgottenTopicsData) for (const p of t.partitions) session.partitions.delete(partitionKey(t.topicId, p));
      }
      const ackResults = await mgr.acknowledgeAll(groupId, memberId, acks);
      const fetched = new Map<string, PartitionFetch>();
      if (epoch === FINAL_EPOCH) {
        await mgr.releaseSession(groupId, memberId, session.partitions);
      } else {
        const fetchAll = async (): Promise<number> => {
          let remaining = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
          let acquired = 0;
          for (const pk of session.partitions) {
            const { topicId, partition } = splitKey(pk);
            if (remaining <= 0) break;
            const f = await mgr.acquire(groupId, memberId, topicId, partition, Math.min(maxBytesOf.get(pk) ?? remaining, remaining));
            fetched.set(pk, f);
            if (f.acquisition !== null && f.acquisition.ranges.length > 0) {
              acquired++;
              remaining -= f.acquisition.records.length;
            }
          }
          return acquired;
        };
        if ((await fetchAll()) === 0 && req.maxWaitMs > 0) {
          const leaders: Partition[] = [];
          for (const pk of session.partitions) {
            const { topicId, partition } = splitKey(pk);
            try {
              leaders.push(mgr.leader(topicId, partition));
            } catch {
              // answered with its error already
            }
          }
          await mgr.waitForRecords(leaders, req.maxWaitMs);
          await fetchAll();
        }
      }
      const topics = new Map<string, PartitionOut[]>();
      const keys = new Set<string>([...ackResults.keys(), ...fetched.keys()]);
      for (const pk of keys) {
        const f = fetched.get(pk);
        const a = ackResults.get(pk);
        const hasData = f !== undefined && (f.errorCode !== ErrorCode.NONE || (f.acquisition?.ranges.length ?? 0) > 0);
        if (epoch !== INITIAL_EPOCH && !hasData && a === undefined) continue;
        const { topicId, partition } = splitKey(pk);
        let list = topics.get(topicId);
        if (!list) topics.set(topicId, (list = []));
        list.push({
          partitionIndex: partition,
          errorCode: f?.errorCode ?? ErrorCode.NONE,
          errorMessage: f?.errorCode === ErrorCode.NONE ? null : (f?.errorMessage ?? null),
          acknowledgeErrorCode: a?.code ?? ErrorCode.NONE,
          acknowledgeErrorMessage: a?.message ?? null,
          currentLeader: { leaderId: f?.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ? -1 : deps.nodeId, leaderEpoch: f?.leaderEpoch ?? -1 },
          records: f?.acquisition?.records ?? null,
          acquiredRecords: (f?.acquisition?.ranges ?? []).map((r) => ({ firstOffset: BigInt(r.firstOffset), lastOffset: BigInt(r.lastOffset), deliveryCount: r.deliveryCount })),
        });
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
        nodeEndpoints: [],
      };
    },
    errorResponse(_req, errorCode) {
      return failed(errorCode, null);
    },
  });
}
