/**
 * Runs one sink task (Kafka's WorkerSinkTask): a member of the consumer group `connect-<name>`
 * subscribed to `topics` or `topics.regex`; each poll's records go through the key/value
 * converters and the transforms into put(), then flush(), then the consumed positions are
 * committed (at-least-once: a crash re-delivers what followed the last commit).
 *
 * Kafka's rules kept: `consumer.override.group.id` (else connect-<connector>) and
 * auto.offset.reset=earliest; a conversion or transform failure with errors.tolerance=all skips
 * the record and, with a dead letter queue, writes the consumed record (original bytes and
 * headers) there with the error context headers; put() failures are retried while retriable
 * within errors.retry.timeout and otherwise fail the task (put errors are never tolerated).
 * A task may report records it could not write (KIP-610's ErrantRecordReporter: SinkTaskContext.
 * reportErrant), which then take the same way as a tolerated failure (stage TASK_PUT).
 * Samsa's deviation: the offsets are committed after every poll's flush, not on
 * offset.flush.interval.ms.
 */
import { GroupConsumer } from '../client/group-consumer.js';
import type { FetchedRecord } from '../client/partition-fetcher.js';
import { produceRecords } from '../client/record-producer.js';
import type { ConnectRecord, SinkTask } from './api.js';
import { ConfigError } from './api.js';
import { dlqHeaders, execute, Stage, ToleranceExceededError, type FailureContext } from './errors.js';
import { traceOf } from './task-status.js';
import { sleep, TaskRunner, type TaskRunnerDeps } from './task-runner.js';
import { ensureTopic } from './topics.js';

export interface SinkRunnerDeps extends TaskRunnerDeps {
  keyConverterClass: string;
  valueConverterClass: string;
}

export class SinkRunner extends TaskRunner<SinkRunnerDeps> {
  private task: SinkTask | null = null;
  private consumer: GroupConsumer | null = null;
  private dlqReady = false;
  /** The records of the current poll as consumed (for the DLQ of records the task reports). */
  private readonly consumed = new Map<string, FetchedRecord>();
  /** Records put since the runner started (for tests and the logs). */
  put = 0;

  protected async run(): Promise<void> {
    try {
      const c = this.d.connectorConfig;
      const topics = (c['topics'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const regex = c['topics.regex'];
      if (topics.length === 0 && !regex) throw new ConfigError('Must configure one of topics or topics.regex');
      if (topics.length > 0 && regex) throw new ConfigError('topics and topics.regex are mutually exclusive options, but both are set.');
      if (this.d.errors.dlqTopic !== null && topics.includes(this.d.errors.dlqTopic)) throw new ConfigError(`The DLQ topic '${this.d.errors.dlqTopic}' may not be included in the list of topics ('topics=${topics.join(',')}') consumed by the connector`);
      const create = this.d.plugin.createSinkTask;
      if (!create) throw new Error(`${this.d.plugin.className} is not a sink connector`);
      this.task = create();
      await this.task.start(this.d.taskConfig, { reportErrant: (r, e) => this.reportErrant(r, e) });
      this.consumer = new GroupConsumer(this.d.cluster, {
        groupId: c['consumer.override.group.id'] ?? `connect-${this.d.connector}`,
        autoOffsetReset: c['consumer.override.auto.offset.reset'] === 'latest' ? 'latest' : 'earliest',
        autoCommit: false,
        sessionTimeoutMs: Number(c['consumer.override.session.timeout.ms'] ?? '10000'),
        heartbeatIntervalMs: Number(c['consumer.override.heartbeat.interval.ms'] ?? '1000'),
        rebalanceTimeoutMs: 30_000,
        onError: (e) => this.d.log(`sink consumer of ${this.d.connector}-${this.d.taskId}: ${traceOf(e)}`),
      });
      // The group's leader assigns only topics its metadata knows: wait for them to exist
      // (Kafka's consumer rejoins once its metadata shows them).
      while (!this.stopping && topics.length > 0) {
        const snap = await this.d.cluster.refresh();
        if (topics.every((t) => snap.topics.get(t)?.errorCode === 0)) break;
        await sleep(500);
      }
      await this.consumer.subscribe(regex ? new RegExp(`^(?:${regex})$`) : topics);
      this.reportStarted();
      while (!this.stopping) {
        if (this.paused) {
          await sleep(100);
          continue;
        }
        const fetched = await this.consumer.poll({ maxWaitMs: 500, maxBytes: 4 * 1024 * 1024 });
        if (this.stopping) break;
        if (fetched.length === 0) continue;
        const batch: ConnectRecord[] = [];
        this.consumed.clear();
        for (const f of fetched) {
          this.consumed.set(`${f.topic}\u0000${f.partition}\u0000${f.offset}`, f);
          const r = await this.convert(f);
          if (r !== null) batch.push(r);
        }
        if (batch.length > 0) {
          const cls = this.d.plugin.className;
          const task = this.task;
          const put = await execute({ ...this.d.errors, tolerateAll: false }, Stage.TASK_PUT, cls, () => task.put(batch), async () => undefined, () => this.stopping);
          if (!put.ok) continue;
          await task.flush();
          this.put += batch.length;
        }
        await this.consumer.commit().catch((e) => this.d.log(`offset commit of ${this.d.connector}-${this.d.taskId}: ${traceOf(e)}`));
      }
    } catch (e) {
      this.reportFailed(e);
    }
  }

  /** The Connect record of a consumed one, or null when it failed and was tolerated (and reported). */
  private async convert(f: FetchedRecord): Promise<ConnectRecord | null> {
    const report = (fc: FailureContext): Promise<void> => this.report(f, fc);
    const key = await execute(this.d.errors, Stage.KEY_CONVERTER, this.d.keyConverterClass, () => this.d.keyConverter.toConnectData(f.topic, f.key), report);
    if (!key.ok) return null;
    const value = await execute(this.d.errors, Stage.VALUE_CONVERTER, this.d.valueConverterClass, () => this.d.valueConverter.toConnectData(f.topic, f.value), report);
    if (!value.ok) return null;
    const r: ConnectRecord = { topic: f.topic, kafkaPartition: f.partition, kafkaOffset: f.offset, key: key.value.value, keySchema: key.value.schema, value: value.value.value, valueSchema: value.value.schema, timestamp: f.timestamp >= 0n ? Number(f.timestamp) : null, headers: f.headers };
    let cur: ConnectRecord | null = r;
    for (const tf of this.d.transforms) {
      const input: ConnectRecord = cur;
      const t = await execute(this.d.errors, Stage.TRANSFORMATION, tf.className ?? '', () => tf(input), report);
      if (!t.ok || t.value === null) return null;
      cur = t.value;
    }
    return cur;
  }

  /** KIP-610: a record the task could not write, reported as a failure of stage TASK_PUT. */
  private async reportErrant(r: ConnectRecord, error: unknown): Promise<void> {
    const fc: FailureContext = { stage: Stage.TASK_PUT, className: this.d.plugin.className, error };
    if (!this.d.errors.tolerateAll) throw new ToleranceExceededError(Stage.TASK_PUT, error);
    const f = this.consumed.get(`${r.topic}\u0000${r.kafkaPartition ?? -1}\u0000${r.kafkaOffset ?? -1n}`);
    if (f) await this.report(f, fc);
    else if (this.d.errors.logEnable) this.d.log(`Error encountered in task ${this.d.connector}-${this.d.taskId} for a record not in the current batch: ${traceOf(error)}`);
  }

  /** A tolerated failure: logged, and the consumed record written to the DLQ when one is set. */
  private async report(f: FetchedRecord, fc: FailureContext): Promise<void> {
    const msg = fc.error instanceof Error ? fc.error.message : String(fc.error);
    if (this.d.errors.logEnable) this.d.log(`Error encountered in task ${this.d.connector}-${this.d.taskId}. Executing stage '${fc.stage}' with class '${fc.className}', where consumed record is {topic='${f.topic}', partition=${f.partition}, offset=${f.offset}}: ${msg}`);
    const dlq = this.d.errors.dlqTopic;
    if (dlq === null) return;
    if (!this.dlqReady) {
      await ensureTopic(this.d.cluster, dlq, 1, this.d.errors.dlqReplicationFactor);
      this.dlqReady = true;
    }
    const headers = dlqHeaders(this.d.errors, { topic: f.topic, partition: f.partition, offset: f.offset, headers: f.headers }, this.d.connector, this.d.taskId, fc);
    const [res] = await produceRecords(this.d.cluster, dlq, [{ key: f.key, value: f.value, headers, timestamp: f.timestamp }]);
    if (res && res.errorCode !== 0) this.d.log(`Could not produce message to dead letter queue. topic=${dlq}: ${res.errorMessage ?? res.errorCode}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop?.catch(() => undefined);
    await this.consumer?.close().catch(() => undefined);
    await this.task?.stop().catch(() => undefined);
    if (this.d.ownsCluster) this.d.cluster.close();
  }
}

