/**
 * Runs one source task (Kafka's WorkerSourceTask): poll → transforms → key/value converters →
 * produce to each record's topic, then the source offsets of the produced records are committed
 * to the offset store every `offset.flush.interval.ms` and when the task stops; once a record is
 * written, the task's optional commitRecord learns its partition and offset (MirrorSource's
 * offset syncs).
 *
 * Kafka's rules kept: at-least-once (a record is produced before its offset is committed, so a
 * crash re-sends what followed the last commit); a missing topic is created with
 * `topic.creation.default.partitions` / `.replication.factor` (default: the broker's); transform
 * and conversion failures follow errors.tolerance (a tolerated one drops the record: Kafka has no
 * DLQ for source connectors); pause stops polling but keeps the task. With exactly-once
 * (exactly-once.ts) the records and their offsets go to Kafka in one transaction instead, and a
 * task fenced by a newer incarnation stops without writing a status (the newer one owns it).
 * Samsa's deviation: records are produced in one request per poll batch and topic, with the
 * project's producer (no idempotence outside transactions).
 */
import { produceRecords, type ProducedRecord, type RecordToProduce } from '../client/record-producer.js';
import { TransactionalProducer, TransactionFencedError } from '../client/transactional-producer.js';
import type { ConnectRecord, JsonObject, SourceTask } from './api.js';
import { execute, Stage } from './errors.js';
import type { ExactlyOnceDeps } from './exactly-once.js';
import { traceOf } from './task-status.js';
import { sleep, TaskRunner, type TaskRunnerDeps } from './task-runner.js';
import { ensureTopic } from './topics.js';
import { applyTransforms } from './transforms.js';

/** Where source offsets are kept: a local file (standalone) or connect-offsets (distributed). */
export interface OffsetStore {
  get(connector: string, partition: JsonObject): JsonObject | null;
  put(connector: string, entries: readonly { partition: JsonObject; offset: JsonObject | null }[]): Promise<void>;
}

export interface SourceRunnerDeps extends TaskRunnerDeps {
  offsets: OffsetStore;
  offsetFlushIntervalMs: number;
  /** Set when the worker runs exactly-once sources (KIP-618). */
  exactlyOnce?: ExactlyOnceDeps | null;
}

const FENCED_CODES = new Set([47, 90]); // INVALID_PRODUCER_EPOCH, PRODUCER_FENCED

/** The first failed result of a produce call as an error (fenced producers as TransactionFencedError). */
function produceFailure(topic: string, results: readonly ProducedRecord[]): Error | null {
  const failed = results.find((res) => res.errorCode !== 0);
  if (!failed) return null;
  if (FENCED_CODES.has(failed.errorCode)) return new TransactionFencedError(`produce to ${topic}`, failed.errorCode);
  return new Error(`produce to ${topic} failed: ${failed.errorMessage ?? failed.errorCode}`);
}

export class SourceRunner extends TaskRunner<SourceRunnerDeps> {
  private task: SourceTask | null = null;
  private readonly pending = new Map<string, { partition: JsonObject; offset: JsonObject }>();
  private lastFlush = performance.now();
  private readonly knownTopics = new Set<string>();
  private txn: TransactionalProducer | null = null;
  private fenced = false;

  protected async run(): Promise<void> {
    try {
      const create = this.d.plugin.createSourceTask;
      if (!create) throw new Error(`${this.d.plugin.className} is not a source connector`);
      this.task = create();
      const eos = this.d.exactlyOnce;
      if (eos) {
        // Fence the previous incarnation (its open transaction is aborted), then read the offsets it committed.
        // Kafka's default transaction.timeout.ms, raised so that an interval's transaction cannot time out (at most the broker's 15-minute cap).
        const timeoutMs = Math.min(900_000, Math.max(60_000, eos.settings.boundary === 'interval' ? eos.settings.intervalMs * 2 : 0));
        this.txn = new TransactionalProducer(this.d.cluster, eos.transactionalId, timeoutMs);
        await this.txn.init();
        await eos.offsets.readToEnd();
      }
      await this.task.start(this.d.taskConfig, { offset: (p) => this.d.offsets.get(this.d.connector, p) });
      this.reportStarted();
      while (!this.stopping) {
        if (this.paused) {
          await this.maybeFlush();
          await sleep(100);
          continue;
        }
        const polled = await this.task.poll();
        if (polled.length === 0) {
          await this.maybeFlush();
          await sleep(100);
          continue;
        }
        await this.send(polled);
        await this.maybeFlush();
      }
    } catch (e) {
      if (e instanceof TransactionFencedError) {
        this.fenced = true;
        this.d.log(`task ${this.d.connector}-${this.d.taskId} was fenced by a newer instance (${e.message}): stopping`);
      } else {
        if (this.txn) {
          // What this transaction holds is dropped with it; the successor resumes from the committed offsets.
          this.pending.clear();
          await this.txn.abort().catch(() => undefined);
        }
        this.reportFailed(e);
      }
    }
  }

  private async send(polled: ConnectRecord[]): Promise<void> {
    const byTopic = new Map<string, { rec: RecordToProduce; src: ConnectRecord }[]>();
    const noop = async (): Promise<void> => undefined;
    const cls = this.d.plugin.className;
    for (const r of polled) {
      const t = await execute(this.d.errors, Stage.TRANSFORMATION, cls, () => applyTransforms(this.d.transforms, r), noop);
      if (!t.ok || t.value === null) {
        if (r.sourcePartition && r.sourceOffset) this.pending.set(JSON.stringify(r.sourcePartition), { partition: r.sourcePartition, offset: r.sourceOffset });
        continue;
      }
      const x = t.value;
      const key = await execute(this.d.errors, Stage.KEY_CONVERTER, cls, () => this.d.keyConverter.fromConnectData(x.topic, x.keySchema, x.key), noop);
      if (!key.ok) continue;
      const value = await execute(this.d.errors, Stage.VALUE_CONVERTER, cls, () => this.d.valueConverter.fromConnectData(x.topic, x.valueSchema, x.value), noop);
      if (!value.ok) continue;
      const rec: RecordToProduce = { partition: x.kafkaPartition ?? undefined, key: key.value, value: value.value, headers: x.headers };
      if (x.timestamp !== null) rec.timestamp = BigInt(x.timestamp);
      byTopic.set(x.topic, [...(byTopic.get(x.topic) ?? []), { rec, src: r }]);
    }
    for (const [topic, items] of byTopic) {
      if (!this.knownTopics.has(topic)) {
        const c = this.d.connectorConfig;
        await ensureTopic(this.d.cluster, topic, Number(c['topic.creation.default.partitions'] ?? '-1'), Number(c['topic.creation.default.replication.factor'] ?? '-1'));
        this.knownTopics.add(topic);
      }
      if (this.txn) {
        // Inside a transaction a failed produce fails the task (the transaction is aborted).
        const err = produceFailure(topic, await produceRecords(this.d.cluster, topic, items.map((i) => i.rec), { transaction: this.txn }));
        if (err) throw err;
        continue;
      }
      for (let attempt = 0; ; attempt++) {
        const results = await produceRecords(this.d.cluster, topic, items.map((i) => i.rec));
        const failed = results.find((res) => res.errorCode !== 0);
        if (!failed) {
          this.commitRecords(topic, items.map((it) => it.src), results);
          break;
        }
        if (attempt >= 10 || this.stopping) throw new Error(`produce to ${topic} failed: ${failed.errorMessage ?? failed.errorCode}`);
        await sleep(200 * (attempt + 1));
      }
    }
    for (const r of polled) if (r.sourcePartition && r.sourceOffset) this.pending.set(JSON.stringify(r.sourcePartition), { partition: r.sourcePartition, offset: r.sourceOffset });
  }

  /** Tells the task where each record went (Kafka's commitRecord: a failure there is logged, not fatal). */
  private commitRecords(topic: string, records: readonly ConnectRecord[], results: readonly { partition: number; offset: bigint }[]): void {
    const task = this.task;
    if (!task?.commitRecord) return;
    records.forEach((r, i) => {
      try {
        task.commitRecord?.(r, { topic, partition: results[i]?.partition ?? -1, offset: results[i]?.offset ?? -1n });
      } catch (e) {
        this.d.log(`commitRecord of ${this.d.connector}-${this.d.taskId}: ${traceOf(e)}`);
      }
    });
  }

  private async maybeFlush(force = false): Promise<void> {
    if (this.txn) return this.maybeCommitTransaction(force);
    if (this.pending.size === 0 || (!force && performance.now() - this.lastFlush < this.d.offsetFlushIntervalMs)) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.lastFlush = performance.now();
    await this.d.offsets.put(this.d.connector, entries);
  }

  /** Exactly-once: the offsets of the transaction's records join it, and it commits (poll: every time; interval: when due). */
  private async maybeCommitTransaction(force: boolean): Promise<void> {
    const txn = this.txn;
    const eos = this.d.exactlyOnce;
    if (!txn || !eos || this.fenced || (this.pending.size === 0 && !txn.inTransaction)) return;
    if (!force && eos.settings.boundary === 'interval' && performance.now() - this.lastFlush < eos.settings.intervalMs) return;
    const entries = [...this.pending.values()];
    if (entries.length > 0) {
      const err = produceFailure(eos.offsets.topic, await produceRecords(this.d.cluster, eos.offsets.topic, eos.offsets.records(this.d.connector, entries), { transaction: txn }));
      if (err) throw err;
    }
    await txn.commit();
    this.pending.clear();
    this.lastFlush = performance.now();
    eos.offsets.applyCommitted(this.d.connector, entries);
  }

  /** Stops polling, commits the offsets of what was produced (exactly-once: the open transaction), stops the task. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop?.catch(() => undefined);
    await this.maybeFlush(true).catch((e) => this.d.log(`offset commit of ${this.d.connector}-${this.d.taskId} failed: ${traceOf(e)}`));
    await this.task?.stop().catch(() => undefined);
    if (this.d.ownsCluster) this.d.cluster.close();
  }
}
