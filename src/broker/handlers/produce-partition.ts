/**
 * Produce's work on one partition of a request (00-produce.ts assembles the request):
 * - `preparePartition`: the checks that do not touch the log, in Kafka's order (appendRecordsToLeader):
 *   unknown partition (or the auto-creation's error), internal topic (INVALID_TOPIC_EXCEPTION), no
 *   records (INVALID_RECORD), not the leader (NOT_LEADER_OR_FOLLOWER, before any other check, whatever
 *   acks), acks=all below min.insync.replicas (NOT_ENOUGH_REPLICAS, before the append); then the
 *   batches' headers and CRC (validate.ts), one batch per partition with a producer id, record
 *   contents and topic policy (produce-policy.ts; large compressed batches off the event loop).
 *   Produce v0-v2 old-format message sets are validated and up-converted to one v2 batch as Kafka
 *   3.x does (legacy-up-convert.ts, counted in broker.conversions); v3+ refuses them (INVALID_RECORD).
 * - `appendPrepared`: the append with the partition's producer state checks (epoch, sequence,
 *   duplicates answered with their original offsets; a transactional batch needs its partition in
 *   the producer's ongoing transaction, else INVALID_TXN_STATE). A write failing for lack of space
 *   answers KAFKA_STORAGE_ERROR (logged once per state change by the log manager's
 *   StorageErrorLog); the next successful write ends that state. A write failing because the disk
 *   failed (EIO, EROFS, ...) answers KAFKA_STORAGE_ERROR and takes its log dir offline
 *   (storage/log-dir-failures.ts): its partitions answer KAFKA_STORAGE_ERROR from then on, and a
 *   partition whose log dir is offline answers it before any other check.
 * - `waitForCommit`: acks=all on a replicated leader (Kafka's DelayedProduce,
 *   replication/delayed-commit.ts): the partition's answer becomes NOT_ENOUGH_REPLICAS_AFTER_APPEND,
 *   NOT_LEADER_OR_FOLLOWER or REQUEST_TIMED_OUT when the high watermark does not pass its records
 *   (which stay in the log).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { ProduceResponseInit } from '../../protocol/generated/messages/produce.js';
import { CODEC_BY_TOPIC_COMPRESSION } from '../../protocol/records/batch-header.js';
import { isLegacyMessageSet } from '../../protocol/records/legacy-message-set.js';
import { upConvertLegacyMessageSet } from '../../protocol/records/legacy-up-convert.js';
import { RecordValidationError } from '../../protocol/records/record-errors.js';
import { validateRecordBatches, type BatchSetInfo } from '../../protocol/records/validate.js';
import type { DelayedCommit } from '../../replication/delayed-commit.js';
import type { LogManager } from '../../storage/log-manager.js';
import { isLogDirFailure, storageFailureCode } from '../../storage/storage-error-log.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';
import type { ConversionStats } from '../conversion-stats.js';
import type { RequestContext } from '../handler.js';
import type { Partition } from '../partition.js';
import { checkProduceRecords, maxDecompressedBytes } from '../produce-policy.js';
import { checkSchemaIds, type SchemaIdSource } from '../schema-id-validation.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { TopicController } from '../topic-controller.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';

export type TopicOut = NonNullable<ProduceResponseInit['responses']>[number];
export type PartitionOut = NonNullable<TopicOut['partitionResponses']>[number];

/** What the work on one partition uses: partitions, produce policies, the transaction check, storage errors, conversions. */
export interface ProducePartitionDeps {
  readonly replicas: Pick<ReplicaManager, 'partitions' | 'isOffline'>;
  readonly topics: Pick<TopicController, 'producePolicy'>;
  readonly txnCoordinator: Pick<TransactionCoordinator, 'isPartitionInTransaction'>;
  readonly logs: Pick<LogManager, 'storageErrors'>;
  readonly conversions: Pick<ConversionStats, 'recordProduce'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Registered schema ids, for topics with samsa.key/value.schema.validation (none: such produces fail). */
  readonly schemaIds?: () => SchemaIdSource | null;
}

export function partitionError(index: number, errorCode: number, message: string | null = null): PartitionOut {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}

/** Error codes of topics whose auto-creation failed, by name. */
export type CreationErrors = ReadonlyMap<string, number>;
export const NO_CREATION_ERRORS: CreationErrors = new Map();

function findPartition(deps: ProducePartitionDeps, topic: string, index: number, creationErrors: CreationErrors): Partition | number {
  const parts = deps.replicas.partitions(topic);
  if (!parts) return creationErrors.get(topic) ?? (deps.replicas.isOffline(topic, index) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const p = parts[index];
  return p ?? (deps.replicas.isOffline(topic, index) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
}

/** A partition whose records passed the checks that do not touch the log. */
export interface Prepared {
  index: number;
  partition: Partition;
  info: BatchSetInfo;
  /** What to append; a promise while the batch is validated off the event loop. */
  records: Buffer | Promise<Buffer>;
  /** Set once `records` settled (asynchronous requests). */
  settled?: { records: Buffer } | { error: unknown };
  /** The last offset of the append (or of the duplicate it repeated); -1 before it. */
  lastOffset: number;
}

export function errorOut(deps: ProducePartitionDeps, index: number, topic: string, e: unknown): PartitionOut {
  if (e instanceof RecordValidationError) {
    return { ...partitionError(index, e.code, e.message), recordErrors: e.recordErrors.map((r) => ({ batchIndex: r.batchIndex, batchIndexErrorMessage: r.message })) };
  }
  if (e instanceof KafkaError) return partitionError(index, e.code, e.message);
  if (isLogDirFailure(e)) {
    // The log dir failed: it goes offline (storage/log-dir-failures.ts logs it once).
    return partitionError(index, ErrorCode.KAFKA_STORAGE_ERROR, `Storage error on ${topic}-${index}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (storageFailureCode(e) !== undefined) {
    // Disk full: reported once per state change, not once per request.
    deps.logs.storageErrors.failed(`append to ${topic}-${index}`, e);
    return partitionError(index, ErrorCode.KAFKA_STORAGE_ERROR, `Storage error on ${topic}-${index}: ${e instanceof Error ? e.message : String(e)}`);
  }
  deps.logger.error(`produce to ${topic}-${index} failed`, e);
  return partitionError(index, ErrorCode.UNKNOWN_SERVER_ERROR);
}

/** Validation of one partition's records: header/CRC, record contents, topic policy. */
export function preparePartition(deps: ProducePartitionDeps, ctx: RequestContext, acks: number, topic: string, index: number, records: Buffer | null, creationErrors: CreationErrors): PartitionOut | Prepared {
  const found = findPartition(deps, topic, index, creationErrors);
  if (typeof found === 'number') return partitionError(index, found);
  if (INTERNAL_TOPICS.has(topic)) return partitionError(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  if (records === null || records.length === 0) return partitionError(index, ErrorCode.INVALID_RECORD, 'Produce request has no records');
  // Leadership first, as Kafka's appendRecordsToLeader: a follower has no ISR of its own, and a
  // client retrying NOT_ENOUGH_REPLICAS would stay on the old leader instead of refreshing metadata.
  if (found.offline) return partitionError(index, ErrorCode.KAFKA_STORAGE_ERROR, `The log directory of ${topic}-${index} is offline on this broker`);
  if (!found.isLeader) return partitionError(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${topic}-${index}`);
  if (acks === -1 && found.isrSize < found.settings.minInsyncReplicas) {
    return partitionError(index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR (${found.isrSize}) is insufficient to satisfy the min.isr requirement of ${found.settings.minInsyncReplicas} for partition ${topic}-${index}`);
  }
  try {
    const maxMessageBytes = found.settings.maxMessageBytes;
    if (isLegacyMessageSet(records)) return upConvert(deps, ctx, topic, index, found, records);
    const info = validateRecordBatches(records, { maxBatchBytes: maxMessageBytes, produceVersion: ctx.apiVersion, requireSingleBatch: ctx.apiVersion >= 3 });
    if (info.producerId >= 0n && info.batchCount > 1) return partitionError(index, ErrorCode.INVALID_RECORD, 'Produce requests with a producer id may only contain one record batch per partition');
    const policy = deps.topics.producePolicy(topic);
    const checked = checkProduceRecords(policy, topic, index, records, maxMessageBytes, deps.clock.now());
    const schemas = policy?.schemaValidation;
    return { index, partition: found, info, records: schemas === undefined ? checked : checkSchemaIds(checked, schemas, deps.schemaIds?.() ?? null), lastOffset: -1 };
  } catch (e) {
    return errorOut(deps, index, topic, e);
  }
}

/** Old-format message set: Produce v0-v2 only; validated and converted to one v2 batch. */
function upConvert(deps: ProducePartitionDeps, ctx: RequestContext, topic: string, index: number, found: Partition, records: Buffer): Prepared | PartitionOut {
  if (ctx.apiVersion >= 3) {
    return partitionError(index, ErrorCode.INVALID_RECORD, `Produce requests with version ${ctx.apiVersion} are only allowed to contain record batches with magic version 2`);
  }
  const policy = deps.topics.producePolicy(topic);
  const now = deps.clock.now();
  const maxMessageBytes = found.settings.maxMessageBytes;
  const before = policy?.timestampBeforeMaxMs ?? Number.MAX_SAFE_INTEGER;
  const after = policy?.timestampAfterMaxMs ?? Number.MAX_SAFE_INTEGER;
  const started = performance.now();
  const target = policy === undefined || policy.compressionType === 'producer' ? undefined : CODEC_BY_TOPIC_COMPRESSION[policy.compressionType];
  const out = upConvertLegacyMessageSet(records, {
    topic,
    partition: index,
    compact: policy?.compact ?? false,
    logAppendTime: policy?.logAppendTime ?? false,
    low: before >= Number.MAX_SAFE_INTEGER ? -Infinity : now - before,
    high: after >= Number.MAX_SAFE_INTEGER ? Infinity : now + after,
    target,
    level: policy?.compressionLevel,
    limit: maxDecompressedBytes(maxMessageBytes),
    maxMessageBytes,
  });
  const ms = performance.now() - started;
  deps.conversions.recordProduce(out.records, records.length, ms);
  deps.logger.debug(`produce to ${topic}-${index}: up-converted ${out.records} magic ${out.sourceMagic} messages (${records.length} bytes, codec ${out.sourceCodec}) to a v2 batch (codec ${out.codec}) in ${ms.toFixed(2)} ms`);
  const info = validateRecordBatches(out.batch, { maxBatchBytes: maxMessageBytes });
  return { index, partition: found, info, records: out.batch, lastOffset: -1 };
}

export type Slot = PartitionOut | Prepared;

export function isPrepared(s: Slot): s is Prepared {
  return 'info' in s;
}

export function appendPrepared(deps: ProducePartitionDeps, ctx: RequestContext, transactionalId: string | null, topic: string, p: Prepared, records: Buffer): PartitionOut {
  const { index, partition: found, info } = p;
  // An asynchronous request may find its partition deleted (or recreated) meanwhile.
  if (deps.replicas.partitions(topic)?.[index] !== found) return partitionError(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    let result;
    if (info.producerId < 0n) {
      result = found.appendAsLeader(records);
    } else {
      const txn = deps.txnCoordinator;
      result = found.appendAsLeader(records, {
        origin: 'client',
        batch: info,
        verifyTxn: (producerId, producerEpoch) => transactionalId !== null && txn.isPartitionInTransaction(transactionalId, producerId, producerEpoch, topic, index),
      });
    }
    deps.logs.storageErrors.succeeded();
    p.lastOffset = result.lastOffset;
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(result.firstOffset),
      // -1 (CreateTime) and 0 (a log from its start) as constants: BigInt(n) allocates each time.
      logAppendTimeMs: result.logAppendTime === -1 ? -1n : BigInt(result.logAppendTime),
      logStartOffset: found.logStartOffset === 0 ? 0n : BigInt(found.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  } catch (e) {
    return errorOut(deps, index, topic, e);
  }
}

function commitFailureMessage(code: number, topic: string, s: Prepared): string {
  const tp = `${topic}-${s.index}`;
  switch (code) {
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return `The size of the current ISR (${s.partition.isrSize}) is insufficient to satisfy the min.isr requirement of ${s.partition.settings.minInsyncReplicas} for partition ${tp}; the records were appended`;
    case ErrorCode.REQUEST_TIMED_OUT:
      return `Timed out waiting for the in-sync replicas of ${tp}; the records were appended`;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      return `This broker stopped leading ${tp} before the records were committed`;
    default:
      return `The records appended to ${tp} were not committed`;
  }
}

/** Makes partition `out` (appended, NONE) wait until committed; a failed wait replaces it with its error (records stay in the log). */
export function waitForCommit(delayed: DelayedCommit, topic: string, s: Prepared, out: PartitionOut): void {
  // A retried duplicate answers its original offsets, and waits for those to be committed too.
  delayed.add(s.partition, s.lastOffset + 1, (code) => {
    if (code === ErrorCode.NONE) return;
    out.errorCode = code;
    out.baseOffset = -1n;
    out.logAppendTimeMs = -1n;
    out.logStartOffset = -1n;
    out.errorMessage = commitFailureMessage(code, topic, s);
  });
}
