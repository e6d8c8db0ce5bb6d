/**
 * TxnOffsetCommit (key 28), v0-4.
 * Version notes: v2+ committed leader epoch; v3+ flexible, with generation, member id and group
 * instance id (checked like OffsetCommit; without them the member checks are skipped, as Kafka
 * does for transactional commits); v4 may see TRANSACTION_ABORTABLE (never sent here).
 * The offsets are written to the group's `__consumer_offsets` partition inside the producer's
 * transaction and become visible when it commits (src/group/txn-offsets.ts). Errors: the producer
 * must own the transactional id (INVALID_PRODUCER_ID_MAPPING), have the current epoch
 * (INVALID_PRODUCER_EPOCH) and have added the group with AddOffsetsToTxn (INVALID_TXN_STATE).
 */
import {
  decodeTxnOffsetCommitRequest,
  encodeTxnOffsetCommitResponse,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponseInit,
} from '../../protocol/generated/messages/txn-offset-commit.js';
import { txnOffsetCommit } from '../../group/txn-offsets.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../txn/txn-log.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { GroupDeps } from './group-context.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

/** What TxnOffsetCommit uses: the transaction and group coordinators. */
export interface TxnOffsetCommitDeps extends GroupDeps {
  readonly txnCoordinator: Pick<TransactionCoordinator, 'checkTxnOffsetCommit'>;
}

export function txnOffsetCommitHandler(deps: TxnOffsetCommitDeps): ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInit> {
  return defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInit>({
    apiKey: 28,
    name: 'TxnOffsetCommit',
    minVersion: 0,
    maxVersion: 4,
    decode: decodeTxnOffsetCommitRequest,
    encode: encodeTxnOffsetCommitResponse,
    handle(ctx, req) {
      const txn = deps.txnCoordinator;
      const check = (transactionalId: string, producerId: bigint, producerEpoch: number, offsetsPartition: number): number =>
        txn.checkTxnOffsetCommit(transactionalId, producerId, producerEpoch, CONSUMER_OFFSETS_TOPIC, offsetsPartition);
      return txnOffsetCommit(deps.groups, check, req).then((topics) => ({ throttleTimeMs: 0, topics }));
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
    },
  });
}
