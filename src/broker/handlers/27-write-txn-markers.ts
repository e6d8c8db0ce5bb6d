/**
 * WriteTxnMarkers (key 27), v0-1 (v1 flexible). Sent by a transaction coordinator to partition
 * leaders: in a cluster by the coordinators of other brokers (txn/markers.ts `deliver`); a
 * coordinator writes the markers of partitions it leads itself. Each marker is appended to each
 * listed partition with the producer's epoch and coordinator epoch checks, and answered once it
 * is committed (Kafka appends with acks=-1); errors are per partition (UNKNOWN_TOPIC_OR_PARTITION,
 * NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED, ...).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeWriteTxnMarkersRequest,
  encodeWriteTxnMarkersResponse,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponseInit,
} from '../../protocol/generated/messages/write-txn-markers.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

/** What WriteTxnMarkers uses: the transaction coordinator's marker writer. */
export interface WriteTxnMarkersDeps {
  readonly txnCoordinator: Pick<TransactionCoordinator, 'markers'>;
}

export function writeTxnMarkersHandler(deps: WriteTxnMarkersDeps): ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponseInit> {
  return defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponseInit>({
    apiKey: 27,
    name: 'WriteTxnMarkers',
    minVersion: 0,
    maxVersion: 1,
    decode: decodeWriteTxnMarkersRequest,
    encode: encodeWriteTxnMarkersResponse,
    async handle(ctx, req) {
      const writer = deps.txnCoordinator.markers;
      return {
        markers: await Promise.all(
          req.markers.map(async (m) => {
            const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult };
            return {
              producerId: m.producerId,
              topics: await Promise.all(
                m.topics.map(async (t) => ({
                  name: t.name,
                  partitions: await Promise.all(t.partitionIndexes.map(async (p) => ({ partitionIndex: p, errorCode: await writer.writeCommitted(t.name, p, marker) }))),
                })),
              ),
            };
          }),
        ),
      };
    },
    errorResponse(req, errorCode) {
      return {
        markers: req.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode })) })),
        })),
      };
    },
  });
}
