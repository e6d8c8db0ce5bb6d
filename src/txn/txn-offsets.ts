/**
 * Transactional offset commits (TxnOffsetCommit): the offsets are appended to the group's
 * `__consumer_offsets` partition as a transactional batch of the producer, held here as pending,
 * and become the group's committed offsets when the COMMIT marker lands in that partition (they
 * are dropped on ABORT). The group coordinator's loader does the same from the log at start-up.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { log } from '../common/logger.js';
import type { Broker } from '../broker/broker.js';
import { validateOffsetCommit } from '../group/offsets.js';
import { decodeCoordinatorRecord, offsetCommitRecord, type CommittedOffset } from '../group/records.js';
import { groupCoordinator } from '../group/registry.js';
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/records/record.js';
import { CONSUMER_OFFSETS_TOPIC } from './txn-log.js';

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

interface PendingOffset {
  groupId: string;
  topic: string;
  partition: number;
  value: CommittedOffset;
}

/** Offsets of open transactions, by `__consumer_offsets` partition and producer id. */
export class PendingTxnOffsets {
  private readonly byPartition = new Map<number, Map<bigint, PendingOffset[]>>();

  add(offsetsPartition: number, producerId: bigint, entries: readonly PendingOffset[]): void {
    let m = this.byPartition.get(offsetsPartition);
    if (!m) this.byPartition.set(offsetsPartition, (m = new Map()));
    const list = m.get(producerId);
    if (list) list.push(...entries);
    else m.set(producerId, [...entries]);
  }

  /** Removes and returns the producer's pending offsets in the partition. */
  take(offsetsPartition: number, producerId: bigint): PendingOffset[] {
    const m = this.byPartition.get(offsetsPartition);
    const list = m?.get(producerId) ?? [];
    m?.delete(producerId);
    return list;
  }

  /** Whether an open transaction holds an offset for the group's partition (OffsetFetch require_stable). */
  has(groupId: string, topic: string, partition: number): boolean {
    for (const m of this.byPartition.values()) {
      for (const list of m.values()) if (list.some((e) => e.groupId === groupId && e.topic === topic && e.partition === partition)) return true;
    }
    return false;
  }
}

/** Applies (COMMIT) or drops (ABORT) the pending offsets of a producer when its marker reaches `__consumer_offsets`. */
export function completeTxnOffsets(broker: Broker, pending: PendingTxnOffsets, offsetsPartition: number, producerId: bigint, commit: boolean): void {
  const entries = pending.take(offsetsPartition, producerId);
  if (!commit || entries.length === 0) return;
  const c = groupCoordinator(broker);
  for (const e of entries) c.getOrCreateGroup(e.groupId).setOffset(e.topic, e.partition, e.value);
}

/**
 * After a restart: registers again the offsets of transactions still open in `__consumer_offsets`
 * (found through each partition's producer state), so a later COMMIT marker still applies them.
 */
export function recoverPendingOffsets(broker: Broker, pending: PendingTxnOffsets): number {
  const meta = broker.metadata.image().topic(CONSUMER_OFFSETS_TOPIC);
  if (!meta) return 0;
  let recovered = 0;
  for (const pm of meta.partitions) {
    const p = broker.replicas.partition(CONSUMER_OFFSETS_TOPIC, pm.partition);
    if (!p) continue;
    const open = new Map<bigint, number>();
    for (const e of p.producers.activeProducers()) if (e.currentTxnFirstOffset >= 0) open.set(e.producerId, e.currentTxnFirstOffset);
    if (open.size === 0) continue;
    let offset = Math.max(Math.min(...open.values()), p.logStartOffset);
    const end = p.logEndOffset;
    try {
      while (offset < end) {
        const { records } = p.log.read(offset, 1 << 20, end, true);
        if (records.length === 0) break;
        for (const b of decodeRecordBatches(records)) {
          offset = Number(b.baseOffset) + b.lastOffsetDelta + 1;
          const first = open.get(b.producerId);
          if (b.isControl || !b.isTransactional || first === undefined || Number(b.baseOffset) < first) continue;
          for (const r of b.records) {
            if (r.key === null) continue;
            const d = decodeCoordinatorRecord(r.key, r.value);
            if (d.type !== 'offset' || d.value === null) continue;
            pending.add(pm.partition, b.producerId, [{ groupId: d.group, topic: d.topic, partition: d.partition, value: d.value }]);
            recovered++;
          }
        }
      }
    } catch (e) {
      log.error(`recovering transactional offsets of ${CONSUMER_OFFSETS_TOPIC}-${pm.partition} failed`, e);
    }
  }
  return recovered;
}

type Codes = { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];

function all(input: TxnOffsetCommitInput, errorCode: number): Codes {
  return input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

/** TxnOffsetCommit; returns the per-partition error codes. */
export function txnOffsetCommit(broker: Broker, pending: PendingTxnOffsets, input: TxnOffsetCommitInput): Codes {
  if (input.groupId === '') return all(input, ErrorCode.INVALID_GROUP_ID);
  const c = groupCoordinator(broker);
  let offsetsPartition: number;
  try {
    c.checkAvailable(input.groupId);
    c.ensureOffsetsTopic();
    offsetsPartition = c.partitionFor(input.groupId);
  } catch (e) {
    return all(input, e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  // The producer must have the group's partition in its ongoing transaction (AddOffsetsToTxn).
  const txnCode = broker.txnCoordinator.checkTxnOffsetCommit(input.transactionalId, input.producerId, input.producerEpoch, CONSUMER_OFFSETS_TOPIC, offsetsPartition);
  if (txnCode !== ErrorCode.NONE) return all(input, txnCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : txnCode);
  // Old clients send no member information: Kafka skips the member checks for transactional commits then.
  if (input.generationId >= 0 || input.memberId !== '' || input.groupInstanceId !== null) {
    const group = c.group(input.groupId);
    if (!group) return all(input, input.generationId >= 0 ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.UNKNOWN_MEMBER_ID);
    try {
      validateOffsetCommit(group, { memberId: input.memberId, groupInstanceId: input.groupInstanceId, generationId: input.generationId, retentionTimeMs: -1, partitions: [] });
    } catch (e) {
      return all(input, e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }
  const now = broker.clock.now();
  const entries: PendingOffset[] = [];
  const out: Codes = input.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode: number = ErrorCode.NONE;
      if (!broker.replicas.partition(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata, 'utf8') > c.settings.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      else {
        entries.push({
          groupId: input.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestamp: now, expireTimestamp: null },
        });
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    }),
  }));
  if (entries.length === 0) return out;
  const part = broker.replicas.partition(CONSUMER_OFFSETS_TOPIC, offsetsPartition);
  let failure: number = ErrorCode.NONE;
  if (!part) failure = ErrorCode.NOT_COORDINATOR;
  else {
    const batch = encodeRecordBatch({
      producerId: input.producerId,
      producerEpoch: input.producerEpoch,
      baseSequence: -1,
      isTransactional: true,
      baseTimestamp: BigInt(now),
      records: entries.map((e) => {
        const r = offsetCommitRecord(e.groupId, e.topic, e.partition, e.value);
        return { key: r.key, value: r.value, timestamp: BigInt(now) };
      }),
    });
    try {
      part.appendAsLeader(batch, { origin: 'coordinator' });
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.INVALID_PRODUCER_EPOCH) failure = e.code;
      else {
        if (!(e instanceof KafkaError)) log.error(`appending transactional offsets of group ${input.groupId} failed`, e);
        failure = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
  }
  if (failure !== ErrorCode.NONE) {
    for (const t of out) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = failure;
    return out;
  }
  pending.add(offsetsPartition, input.producerId, entries);
  return out;
}
