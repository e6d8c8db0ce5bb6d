/**
 * Produce (key 0), v0-11 advertised from v0. v0-v2 may carry old-format (magic 0/1) message sets:
 * they are validated and up-converted to one v2 batch as Kafka 3.x does (legacy-up-convert.ts,
 * counted in broker.conversions); v3+ accepts magic v2 batches only (INVALID_RECORD otherwise, as
 * Kafka's ProduceRequest.validateRecords).
 * Version notes: v3+ carries a transactional id; v8+ record errors; v10+ current leader and node
 * endpoints (only filled on NOT_LEADER_OR_FOLLOWER, never here on a single broker).
 * Works per batch: validate headers and CRC, assign offsets by rewriting the header, append the
 * bytes. acks=0 gets no response. Batches with a producer id (idempotent/transactional, one batch
 * per partition as Kafka requires from v3) get the producer state checks of the partition: epoch,
 * sequence, duplicates (a retry of one of the last 5 batches answers NONE with the original
 * offsets); a transactional batch needs a transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
 * and its partition in the producer's ongoing transaction (else INVALID_TXN_STATE).
 * Record contents (every record's structure, decompressed size) and topic policies (keys required
 * when compacted, compression.type recompression, timestamp bounds): produce-policy.ts.
 * A follower answers NOT_LEADER_OR_FOLLOWER before any other check of the partition (whatever acks).
 * acks=all needs min.insync.replicas in-sync replicas before the append (NOT_ENOUGH_REPLICAS). On a
 * replicated leader its answer then waits (Kafka's DelayedProduce, replication/delayed-commit.ts)
 * until the high watermark passes every appended partition: NOT_ENOUGH_REPLICAS_AFTER_APPEND when
 * the ISR is below min.insync.replicas by then, NOT_LEADER_OR_FOLLOWER when leadership is lost
 * meanwhile, REQUEST_TIMED_OUT for the partitions still waiting after the request's timeout_ms (the
 * records stay in the log in all three cases). A sole leader (single node) commits on append, so
 * nothing waits there and that path allocates nothing more.
 * A write failing for lack of space answers KAFKA_STORAGE_ERROR (logged once per state change by
 * the log manager's StorageErrorLog); the next successful write ends that state. A write failing
 * because the disk failed (EIO, EROFS, ...) answers KAFKA_STORAGE_ERROR and takes its log dir
 * offline (storage/log-dir-failures.ts): its partitions answer KAFKA_STORAGE_ERROR from then on.
 *
 * Large compressed batches are validated off the event loop, which makes such a request
 * asynchronous: its partitions are appended, in request order, once every one of them is
 * validated. Requests on one connection are appended in the order they arrived (Kafka handles
 * one request per connection at a time): while an asynchronous Produce of a connection is
 * pending, the connection's later Produce requests wait for it, even small ones. Auto-creating a
 * topic (its metadata commit is asynchronous) makes the request asynchronous the same way. Only
 * the appends are ordered: an acks=all answer waiting for the high watermark does not hold back
 * the next acks=all request's append, nor any other API's request (the connection still sends
 * the answers in request order), so a producer pipelining acks=all requests is not limited to
 * one replication round trip per request. Kafka differs here: it mutes a connection until its
 * request is answered, so a pipelined acks=all request is only read once the previous one is
 * committed. An acks=0/1 request behind waiting acks=all answers is appended only once they
 * settled, as on Kafka's muted connection: a leader replaced meanwhile does not acknowledge it.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { BrokerTopicStats } from '../../metrics/topic-stats.js';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  type ProduceRequest,
  type ProduceResponseInit,
} from '../../protocol/generated/messages/produce.js';
import { ATTRIBUTES_OFFSET, CODEC_BY_TOPIC_COMPRESSION, MAGIC_OFFSET, TRANSACTIONAL_FLAG_MASK } from '../../protocol/records/batch-header.js';
import { isLegacyMessageSet } from '../../protocol/records/legacy-message-set.js';
import { upConvertLegacyMessageSet } from '../../protocol/records/legacy-up-convert.js';
import { RecordValidationError } from '../../protocol/records/record-errors.js';
import { validateRecordBatches, type BatchSetInfo } from '../../protocol/records/validate.js';
import { defineHandler, NO_RESPONSE, type ConnectionInfo, type RequestContext, type ApiHandler } from '../handler.js';
import type { Partition } from '../partition.js';
import { autoCreateTopic, type TopicCreationDeps } from './topic-creation.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';
import { checkProduceRecords, maxDecompressedBytes } from '../produce-policy.js';
import { isLogDirFailure, storageFailureCode } from '../../storage/storage-error-log.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Clock } from '../../common/clock.js';
import type { Scheduler } from '../../common/scheduler.js';
import { DelayedCommit } from '../../replication/delayed-commit.js';
import type { ConversionStats } from '../conversion-stats.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { TopicController } from '../topic-controller.js';
import type { TransactionCoordinator } from '../../txn/coordinator.js';

type TopicOut = NonNullable<ProduceResponseInit['responses']>[number];
type PartitionOut = NonNullable<TopicOut['partitionResponses']>[number];

function partitionError(index: number, errorCode: number, message: string | null = null): PartitionOut {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}

/** Error codes of topics whose auto-creation failed, by name. */
type CreationErrors = ReadonlyMap<string, number>;
const NO_CREATION_ERRORS: CreationErrors = new Map();

function findPartition(deps: ProduceDeps, topic: string, index: number, creationErrors: CreationErrors): Partition | number {
  const parts = deps.replicas.partitions(topic);
  if (!parts) return creationErrors.get(topic) ?? (deps.replicas.isOffline(topic, index) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const p = parts[index];
  return p ?? (deps.replicas.isOffline(topic, index) ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
}

/** Auto-creates the request's unknown topics (when enabled); resolves to the failures' codes. Undefined when none is missing. */
function createMissingTopics(deps: ProduceDeps, req: ProduceRequest): Promise<CreationErrors> | undefined {
  let missing: Set<string> | undefined;
  for (const t of req.topicData) if (!deps.replicas.partitions(t.name)) (missing ??= new Set()).add(t.name);
  if (missing === undefined || !deps.config.bool('auto.create.topics.enable')) return undefined;
  const errors = new Map<string, number>();
  return Promise.all(
    [...missing].map((name) =>
      autoCreateTopic(deps, name).then(
        () => undefined,
        (e: unknown) => void errors.set(name, e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR),
      ),
    ),
  ).then(() => errors);
}

/** A partition whose records passed the checks that do not touch the log. */
interface Prepared {
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

function errorOut(deps: ProduceDeps, index: number, topic: string, e: unknown): PartitionOut {
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
function preparePartition(deps: ProduceDeps, ctx: RequestContext, acks: number, topic: string, index: number, records: Buffer | null, creationErrors: CreationErrors): PartitionOut | Prepared {
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
    const checked = checkProduceRecords(deps.topics.producePolicy(topic), topic, index, records, maxMessageBytes, deps.clock.now());
    return { index, partition: found, info, records: checked, lastOffset: -1 };
  } catch (e) {
    return errorOut(deps, index, topic, e);
  }
}

/** Old-format message set: Produce v0-v2 only; validated and converted to one v2 batch. */
function upConvert(deps: ProduceDeps, ctx: RequestContext, topic: string, index: number, found: Partition, records: Buffer): Prepared | PartitionOut {
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

function appendPrepared(deps: ProduceDeps, ctx: RequestContext, transactionalId: string | null, topic: string, p: Prepared, records: Buffer): PartitionOut {
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
      logAppendTimeMs: BigInt(result.logAppendTime),
      logStartOffset: BigInt(found.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  } catch (e) {
    return errorOut(deps, index, topic, e);
  }
}

type Slot = PartitionOut | Prepared;

function isPrepared(s: Slot): s is Prepared {
  return 'info' in s;
}

/**
 * A request whose appends are done but whose answer waits for the high watermark (acks=all on a
 * replicated leader). Not a promise on purpose: the connection's append order (PRODUCE_TAIL)
 * follows the appends only, never this wait.
 */
class AwaitingCommit {
  constructor(readonly answer: Promise<ProduceResponseInit>) {}
}

/** The outcome once the appends ran: the answer, none (acks=0), or an answer still waiting for the high watermark. */
type Appended = ProduceResponseInit | typeof NO_RESPONSE | AwaitingCommit;

type ProduceResult = Appended | Promise<Appended>;

/** Makes partition `out` (appended, NONE) wait until committed; a failed wait replaces it with its error (records stay in the log). */
function waitForCommit(delayed: DelayedCommit, topic: string, s: Prepared, out: PartitionOut): void {
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

/** Auto-creates missing topics (asynchronously), then validates and appends (see produceExisting). */
function produce(deps: ProduceDeps, ctx: RequestContext, req: ProduceRequest, acks: number, transactionalId: string | null): ProduceResult {
  const creating = createMissingTopics(deps, req);
  if (creating === undefined) return produceExisting(deps, ctx, req, acks, transactionalId, NO_CREATION_ERRORS);
  return creating.then((errors) => produceExisting(deps, ctx, req, acks, transactionalId, errors));
}

/** Validates every partition, then appends them in request order: synchronously, or once the asynchronous validations settled. */
function produceExisting(deps: ProduceDeps, ctx: RequestContext, req: ProduceRequest, acks: number, transactionalId: string | null, creationErrors: CreationErrors): ProduceResult {
  const slots: Slot[][] = [];
  let waits: Promise<void>[] | undefined;
  for (const t of req.topicData) {
    const row: Slot[] = [];
    for (const p of t.partitionData) {
      const s = preparePartition(deps, ctx, acks, t.name, p.index, p.records, creationErrors);
      if (isPrepared(s) && s.records instanceof Promise) {
        (waits ??= []).push(
          s.records.then(
            (records) => void (s.settled = { records }),
            (error: unknown) => void (s.settled = { error }),
          ),
        );
      }
      row.push(s);
    }
    slots.push(row);
  }
  const finish = (): Appended => {
    const responses: TopicOut[] = [];
    let delayed: DelayedCommit | undefined;
    let answer: Promise<ProduceResponseInit> | undefined;
    const stats = deps.topicStats;
    req.topicData.forEach((t, ti) => {
      const row = slots[ti] as Slot[];
      const known = stats !== undefined && deps.replicas.partitions(t.name) !== undefined;
      const partitionResponses = row.map((s, pi) => {
        if (!isPrepared(s)) {
          if (known) stats.produceFailed(t.name, t.partitionData[pi]?.records?.length ?? 0);
          return s;
        }
        let out: PartitionOut;
        if (s.settled === undefined) out = appendPrepared(deps, ctx, transactionalId, t.name, s, s.records as Buffer);
        else if ('error' in s.settled) out = errorOut(deps, s.index, t.name, s.settled.error);
        else out = appendPrepared(deps, ctx, transactionalId, t.name, s, s.settled.records);
        if (stats !== undefined) {
          // Bytes as received (Kafka's BytesIn is the request's record bytes, before any recompression).
          const bytes = t.partitionData[pi]?.records?.length ?? 0;
          if (out.errorCode === ErrorCode.NONE) stats.produced(t.name, s.info.recordCount, bytes);
          else stats.produceFailed(t.name, bytes);
        }
        if (s.settled !== undefined && 'error' in s.settled) return out;
        // acks=all on a replicated leader: the answer waits for the high watermark (never on a sole leader).
        if (acks === -1 && s.partition.role === 'leader' && out.errorCode === ErrorCode.NONE) {
          if (delayed === undefined) {
            let complete!: () => void;
            answer = new Promise<ProduceResponseInit>((resolve) => (complete = () => resolve({ responses, throttleTimeMs: 0 })));
            delayed = new DelayedCommit(() => complete());
          }
          waitForCommit(delayed, t.name, s, out);
        }
        return out;
      });
      responses.push({ name: t.name, partitionResponses });
    });
    if (acks === 0) return NO_RESPONSE;
    if (delayed !== undefined) {
      delayed.start(deps.scheduler, req.timeoutMs);
      return new AwaitingCommit(answer as Promise<ProduceResponseInit>);
    }
    return { responses, throttleTimeMs: 0 };
  };
  if (waits === undefined) return finish();
  return Promise.all(waits).then(finish);
}

const PRODUCE_TAIL = 'produce.tail';

/** Makes `work` the connection's last pending Produce; later requests chain behind it. */
function enqueue<T>(conn: ConnectionInfo, work: Promise<T>): Promise<T> {
  const tail = work.then(
    () => undefined,
    () => undefined,
  );
  conn.state.set(PRODUCE_TAIL, tail);
  // Nothing read after this request may overtake its appends (a ListOffsets, a Fetch).
  conn.holdRequestsUntil?.(tail);
  void tail.then(() => {
    if (conn.state.get(PRODUCE_TAIL) === tail) conn.state.delete(PRODUCE_TAIL);
  });
  return work;
}

const COMMIT_TAIL = 'produce.commit-tail';

/**
 * The answer of appended partitions, once committed when they wait for the high watermark; such
 * a wait becomes part of the connection's pending commits (COMMIT_TAIL).
 */
function answerOf(conn: ConnectionInfo, a: Appended): ProduceResponseInit | typeof NO_RESPONSE | Promise<ProduceResponseInit> {
  if (!(a instanceof AwaitingCommit)) return a;
  const prev = conn.state.get(COMMIT_TAIL) as Promise<void> | undefined;
  const settled = a.answer.then(
    () => undefined,
    () => undefined,
  );
  const tail = prev === undefined ? settled : Promise.all([prev, settled]).then(() => undefined);
  conn.state.set(COMMIT_TAIL, tail);
  void tail.then(() => {
    if (conn.state.get(COMMIT_TAIL) === tail) conn.state.delete(COMMIT_TAIL);
  });
  return a.answer;
}

/** Kafka's ProduceRequest.hasTransactionalRecords: looks at the first batch of each partition. */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const r = p.records;
      // Old-format message sets have no transactional flag (their byte 21 is key or timestamp data).
      if (r !== null && r.length > ATTRIBUTES_OFFSET + 1 && r[MAGIC_OFFSET] === 2 && (r.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0) return true;
    }
  }
  return false;
}

/** What Produce uses: partitions, auto-creation, produce policies, the transaction check, storage errors, conversions. */
export interface ProduceDeps extends TopicCreationDeps {
  readonly replicas: Pick<ReplicaManager, 'partitions' | 'isOffline'>;
  readonly config: Pick<BrokerConfig, 'bool'>;
  readonly topics: Pick<TopicController, 'producePolicy' | 'create'>;
  readonly txnCoordinator: Pick<TransactionCoordinator, 'isPartitionInTransaction'>;
  readonly logs: Pick<LogManager, 'storageErrors'>;
  readonly conversions: Pick<ConversionStats, 'recordProduce'>;
  readonly clock: Clock;
  /** Times acks=all waits out (the request's timeout_ms). */
  readonly scheduler: Pick<Scheduler, 'schedule'>;
  readonly logger: Logger;
  /** Kafka's BrokerTopicMetrics (messages/bytes in, rejected, failed): counted per partition, never per record. */
  readonly topicStats?: Pick<BrokerTopicStats, 'produced' | 'produceFailed'>;
}

export function produceHandler(deps: ProduceDeps): ApiHandler<ProduceRequest, ProduceResponseInit> {
  return defineHandler<ProduceRequest, ProduceResponseInit>({
    apiKey: 0,
    name: 'Produce',
    minVersion: 0,
    maxVersion: 11,
    // Appends write the bytes synchronously and keep no view of them: the frame buffer is reused.
    requestFreeAfterReturn: true,
    decode: decodeProduceRequest,
    encode: encodeProduceResponse,
    handle(ctx, req) {
      const acks = req.acks;
      if (acks !== 0 && acks !== 1 && acks !== -1) {
        return this.errorResponse(req, ErrorCode.INVALID_REQUIRED_ACKS, ctx);
      }
      const transactionalId = ctx.apiVersion >= 3 ? req.transactionalId : null;
      if (transactionalId === null && hasTransactionalRecords(req)) {
        return this.errorResponse(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ctx);
      }
      const conn = ctx.connection;
      const pending = conn.state.get(PRODUCE_TAIL) as Promise<void> | undefined;
      if (pending !== undefined) return enqueue(conn, pending.then(() => produce(deps, ctx, req, acks, transactionalId))).then((a) => answerOf(conn, a));
      // acks=0/1 behind acks=all answers still waiting on this connection: appended (and so
      // acknowledged) only once those settled, as Kafka's muted connection would read it, so a
      // leader that lost its leadership meanwhile answers it NOT_LEADER_OR_FOLLOWER instead.
      const commits = acks === -1 ? undefined : (conn.state.get(COMMIT_TAIL) as Promise<void> | undefined);
      if (commits !== undefined) return enqueue(conn, commits.then(() => produce(deps, ctx, req, acks, transactionalId))).then((a) => answerOf(conn, a));
      const out = produce(deps, ctx, req, acks, transactionalId);
      if (out instanceof Promise) return enqueue(conn, out).then((a) => answerOf(conn, a));
      return answerOf(conn, out);
    },
    errorResponse(req, errorCode) {
      return {
        responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionError(p.index, errorCode)) })),
        throttleTimeMs: 0,
      };
    },
  });
}
