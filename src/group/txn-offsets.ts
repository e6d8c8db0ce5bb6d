/**
 * Transactional offset commits (TxnOffsetCommit): the offsets are appended to the group's
 * `__consumer_offsets` partition as a transactional batch of the producer, held as pending in the
 * OffsetStore (offset-store.ts), and become the group's committed offsets when the COMMIT marker
 * lands in that partition (they are dropped on ABORT). The group coordinator's loader does the
 * same from the log at start-up (records of transactions still open at the log end become
 * pending offsets again).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { GroupCoordinator } from './coordinator.js';
import { validateOffsetCommit } from './offsets.js';
import { groupAppendErrorCode } from '../coordinator/append-errors.js';
import type { CoordinatorResult } from '../coordinator/runtime.js';
import { offsetCommitRecord, type CoordinatorRecord } from './records.js';

export interface TxnOffsetCommitInput {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
}

type Codes = { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];

function all(input: TxnOffsetCommitInput, errorCode: number): Codes {
  return input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

/**
 * What the transaction coordinator says about a TxnOffsetCommit: NONE when the producer's ongoing
 * transaction holds the group's `__consumer_offsets` partition, else the error code.
 */
export type TxnOffsetCheck = (transactionalId: string, producerId: bigint, producerEpoch: number, offsetsPartition: number) => number;

/**
 * TxnOffsetCommit as a coordinator operation: the offsets are written as a transactional batch of
 * the producer; replaying it makes them pending (the COMMIT marker makes them committed).
 * Resolves with the per-partition error codes.
 */
export function txnOffsetCommit(c: GroupCoordinator, checkTxn: TxnOffsetCheck, input: TxnOffsetCommitInput): Promise<Codes> {
  if (input.groupId === '') return Promise.resolve(all(input, ErrorCode.INVALID_GROUP_ID));
  let offsetsPartition: number;
  try {
    c.checkAvailable(input.groupId);
    c.ensureOffsetsTopic();
    offsetsPartition = c.partitionFor(input.groupId);
  } catch (e) {
    return Promise.resolve(all(input, e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE));
  }
  return new Promise((resolve) =>
    c.run(
      input.groupId,
      () => operation(c, checkTxn, input, offsetsPartition),
      (o) => {
        if (o.ok) return resolve(o.response);
        const e = o.error;
        if (o.response === undefined) return resolve(all(input, e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR));
        const failure = groupAppendErrorCode(e, `transactional offsets of group ${input.groupId}`, c.logger);
        for (const t of o.response) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = failure;
        resolve(o.response);
      },
    ),
  );
}

function operation(c: GroupCoordinator, checkTxn: TxnOffsetCheck, input: TxnOffsetCommitInput, offsetsPartition: number): CoordinatorResult<Codes> {
  const none = (response: Codes): CoordinatorResult<Codes> => ({ records: [], response });
  // The producer must have the group's partition in its ongoing transaction (AddOffsetsToTxn).
  const txnCode = checkTxn(input.transactionalId, input.producerId, input.producerEpoch, offsetsPartition);
  if (txnCode !== ErrorCode.NONE) return none(all(input, txnCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : txnCode));
  // A share group's id takes no offsets (Kafka: GROUP_ID_NOT_FOUND, the group is not a consumer group).
  if (c.isShareGroup(input.groupId)) return none(all(input, ErrorCode.GROUP_ID_NOT_FOUND));
  // Old clients send no member information: Kafka skips the member checks for transactional commits then.
  if (input.generationId >= 0 || input.memberId !== '' || input.groupInstanceId !== null) {
    const group = c.group(input.groupId);
    if (!group) return none(all(input, input.generationId >= 0 ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.UNKNOWN_MEMBER_ID));
    try {
      validateOffsetCommit(group, { memberId: input.memberId, groupInstanceId: input.groupInstanceId, generationId: input.generationId, retentionTimeMs: -1, partitions: [] });
    } catch (e) {
      return none(all(input, e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR));
    }
  }
  const now = c.scheduler.now();
  const records: CoordinatorRecord[] = [];
  const out: Codes = input.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode: number = ErrorCode.NONE;
      if (!c.hasPartition(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata, 'utf8') > c.settings.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      else {
        const value = { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestamp: now, expireTimestamp: null };
        records.push(offsetCommitRecord(input.groupId, t.name, p.partitionIndex, value));
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    }),
  }));
  return { records, response: out, txn: { producerId: input.producerId, producerEpoch: input.producerEpoch } };
}
