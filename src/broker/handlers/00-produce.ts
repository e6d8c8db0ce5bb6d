/**
 * Produce (key 0), v0-11 advertised from v0. v0-v2 may carry old-format (magic 0/1) message sets:
 * they are validated and up-converted to one v2 batch as Kafka 3.x does; v3+ accepts magic v2
 * batches only (INVALID_RECORD otherwise, as Kafka's ProduceRequest.validateRecords).
 * Version notes: v3+ carries a transactional id; v8+ record errors; v10+ current leader and node
 * endpoints (only filled on NOT_LEADER_OR_FOLLOWER, never here on a single broker).
 * Works per batch: validate headers and CRC, assign offsets by rewriting the header, append the
 * bytes. acks=0 gets no response; acks other than 0, 1 and -1 answer INVALID_REQUIRED_ACKS.
 * Batches with a producer id (idempotent/transactional, one batch per partition as Kafka requires
 * from v3) get the producer state checks of the partition: epoch, sequence, duplicates (a retry of
 * one of the last 5 batches answers NONE with the original offsets); a transactional batch needs a
 * transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the whole request) and its
 * partition in the producer's ongoing transaction (else INVALID_TXN_STATE).
 * acks=all needs min.insync.replicas in-sync replicas before the append (NOT_ENOUGH_REPLICAS). On a
 * replicated leader its answer then waits until the high watermark passes every appended partition
 * (or the request's timeout_ms). A sole leader (single node) commits on append, so nothing waits
 * there and that path allocates nothing more. Unknown topics are auto-created first when
 * auto.create.topics.enable is set.
 *
 * This file: the request (transactional check, auto-creation, response assembly, BrokerTopicMetrics).
 * Each partition's checks, append and commit wait: produce-partition.ts. The order of a
 * connection's Produce requests (asynchronous validation or auto-creation, acks=all pipelining,
 * Samsa's deviation from Kafka's muted connection): produce-order.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { BrokerTopicStats } from '../../metrics/topic-stats.js';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  type ProduceRequest,
  type ProduceResponseInit,
} from '../../protocol/generated/messages/produce.js';
import { ATTRIBUTES_OFFSET, MAGIC_OFFSET, TRANSACTIONAL_FLAG_MASK } from '../../protocol/records/batch-header.js';
import { defineHandler, NO_RESPONSE, type RequestContext, type ApiHandler } from '../handler.js';
import { autoCreateTopic, type TopicCreationDeps } from './topic-creation.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Scheduler } from '../../common/scheduler.js';
import { DelayedCommit } from '../../replication/delayed-commit.js';
import type { TopicController } from '../topic-controller.js';
import {
  appendPrepared,
  errorOut,
  isPrepared,
  NO_CREATION_ERRORS,
  partitionError,
  preparePartition,
  waitForCommit,
  type CreationErrors,
  type PartitionOut,
  type ProducePartitionDeps,
  type Slot,
  type TopicOut,
} from './produce-partition.js';
import { answerOf, AwaitingCommit, COMMIT_TAIL, enqueue, PRODUCE_TAIL, type Appended, type ProduceResult } from './produce-order.js';

/** Auto-creates the request's unknown topics (when enabled); resolves to the failures' codes. Undefined when none is missing. */
function createMissingTopics(deps: ProduceDeps, req: ProduceRequest): Promise<CreationErrors> | undefined {
  let missing: Set<string> | undefined;
  for (let i = 0; i < req.topicData.length; i++) {
    const name = (req.topicData[i] as ProduceRequest['topicData'][number]).name;
    if (!deps.replicas.partitions(name)) (missing ??= new Set()).add(name);
  }
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
  for (let ti = 0; ti < req.topicData.length; ti++) {
    const t = req.topicData[ti] as ProduceRequest['topicData'][number];
    const row: Slot[] = [];
    for (let pi = 0; pi < t.partitionData.length; pi++) {
      const p = t.partitionData[pi] as ProduceRequest['topicData'][number]['partitionData'][number];
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
  if (waits === undefined) return appendAll(deps, ctx, req, acks, transactionalId, slots);
  return Promise.all(waits).then(() => appendAll(deps, ctx, req, acks, transactionalId, slots));
}

/**
 * Appends the prepared partitions in request order and assembles the answer (plain loops: no
 * closure per request or partition on this path, which every Produce takes).
 */
function appendAll(deps: ProduceDeps, ctx: RequestContext, req: ProduceRequest, acks: number, transactionalId: string | null, slots: Slot[][]): Appended {
  const responses: TopicOut[] = [];
  let delayed: DelayedCommit | undefined;
  let answer: Promise<ProduceResponseInit> | undefined;
  const stats = deps.topicStats;
  const topics = req.topicData;
  for (let ti = 0; ti < topics.length; ti++) {
    const t = topics[ti] as ProduceRequest['topicData'][number];
    const row = slots[ti] as Slot[];
    const known = stats !== undefined && deps.replicas.partitions(t.name) !== undefined;
    const partitionResponses: PartitionOut[] = [];
    for (let pi = 0; pi < row.length; pi++) {
      const s = row[pi] as Slot;
      if (!isPrepared(s)) {
        if (known) stats.produceFailed(t.name, t.partitionData[pi]?.records?.length ?? 0);
        partitionResponses.push(s);
        continue;
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
      partitionResponses.push(out);
      if (s.settled !== undefined && 'error' in s.settled) continue;
      // acks=all on a replicated leader: the answer waits for the high watermark (never on a sole leader).
      if (acks === -1 && s.partition.role === 'leader' && out.errorCode === ErrorCode.NONE) {
        if (delayed === undefined) {
          let complete!: () => void;
          answer = new Promise<ProduceResponseInit>((resolve) => (complete = () => resolve({ responses, throttleTimeMs: 0 })));
          delayed = new DelayedCommit(() => complete());
        }
        waitForCommit(delayed, t.name, s, out);
      }
    }
    responses.push({ name: t.name, partitionResponses });
  }
  if (acks === 0) return NO_RESPONSE;
  if (delayed !== undefined) {
    delayed.start(deps.scheduler, req.timeoutMs);
    return new AwaitingCommit(answer as Promise<ProduceResponseInit>);
  }
  return { responses, throttleTimeMs: 0 };
}

/** Kafka's ProduceRequest.hasTransactionalRecords: looks at the first batch of each partition. */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (let ti = 0; ti < req.topicData.length; ti++) {
    const t = req.topicData[ti] as ProduceRequest['topicData'][number];
    for (let pi = 0; pi < t.partitionData.length; pi++) {
      const p = t.partitionData[pi] as ProduceRequest['topicData'][number]['partitionData'][number];
      const r = p.records;
      // Old-format message sets have no transactional flag (their byte 21 is key or timestamp data).
      if (r !== null && r.length > ATTRIBUTES_OFFSET + 1 && r[MAGIC_OFFSET] === 2 && (r.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0) return true;
    }
  }
  return false;
}

/** What Produce uses: partitions, auto-creation, produce policies, the transaction check, storage errors, conversions. */
export interface ProduceDeps extends TopicCreationDeps, ProducePartitionDeps {
  readonly config: Pick<BrokerConfig, 'bool'>;
  readonly topics: Pick<TopicController, 'producePolicy' | 'create'>;
  /** Times acks=all waits out (the request's timeout_ms). */
  readonly scheduler: Pick<Scheduler, 'schedule'>;
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
      if (pending !== undefined) return enqueue(conn, pending.then(() => produce(deps, ctx, req, acks, transactionalId))).then((a) => answerOf(conn, a, ctx.requestDone));
      // acks=0/1 behind acks=all answers still waiting on this connection: appended (and so
      // acknowledged) only once those settled, as Kafka's muted connection would read it, so a
      // leader that lost its leadership meanwhile answers it NOT_LEADER_OR_FOLLOWER instead.
      const commits = acks === -1 ? undefined : (conn.state.get(COMMIT_TAIL) as Promise<void> | undefined);
      if (commits !== undefined) return enqueue(conn, commits.then(() => produce(deps, ctx, req, acks, transactionalId))).then((a) => answerOf(conn, a, ctx.requestDone));
      const out = produce(deps, ctx, req, acks, transactionalId);
      if (out instanceof Promise) return enqueue(conn, out).then((a) => answerOf(conn, a, ctx.requestDone));
      return answerOf(conn, out, ctx.requestDone);
    },
    errorResponse(req, errorCode) {
      return {
        responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionError(p.index, errorCode)) })),
        throttleTimeMs: 0,
      };
    },
  });
}
