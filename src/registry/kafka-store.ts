/**
 * The registry's log: one partition of a compacted topic (`_schemas`), read from the start into
 * memory before the registry serves, then followed; writes are produced with acks=all and a
 * writer waits until its own record has been read back (Confluent's KafkaStore), so what a write
 * returns is already visible in this instance's state.
 *
 * Kafka's rule (Confluent Schema Registry): the topic has one partition, `cleanup.policy=compact`
 * and a replication factor of min(3, brokers); a record's key is the JSON key, a null value is a
 * tombstone. Samsa's deviations: none in the format; reading is a plain Fetch loop of its own
 * (no consumer group), at most `maxWaitMs` behind the log.
 */
import { ErrorCode } from '../common/error-codes.js';
import type { Logger } from '../common/logger.js';
import { encodeRecordBatch, decodeRecordBatches } from '../protocol/records/record.js';
import type { CreateTopicsResponse } from '../protocol/generated/messages/create-topics.js';
import type { FetchResponse } from '../protocol/generated/messages/fetch.js';
import type { ListOffsetsResponse } from '../protocol/generated/messages/list-offsets.js';
import type { ProduceResponse } from '../protocol/generated/messages/produce.js';
import type { ProtocolClient } from '../client/protocol-client.js';
import { Api, KafkaLinkError, type KafkaLink } from './kafka-link.js';

export interface StoredRecord {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface KafkaStoreOptions {
  topic: string;
  /** Replication factor when the registry creates the topic; default min(3, brokers). */
  replicationFactor?: number;
  /** Called with every record read, in offset order. */
  onRecord(r: StoredRecord): void;
  logger: Logger;
  /** Longest a fetch waits for new records (the follow latency). Default 200 ms. */
  maxWaitMs?: number;
  /** How long start() waits for the topic to become readable. Default 60 s. */
  startTimeoutMs?: number;
  /** Aborts a start() still waiting for the topic (the broker stopping meanwhile). */
  signal?: AbortSignal;
}

interface OffsetWaiter {
  offset: bigint;
  resolve(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KafkaStore {
  private next = 0n;
  private waiters: OffsetWaiter[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private lastError: unknown = null;

  constructor(
    private readonly link: KafkaLink,
    private readonly opts: KafkaStoreOptions,
  ) {}

  /** The next offset to read (everything below it has been applied). */
  get position(): bigint {
    return this.next;
  }

  /** Creates the topic when missing, reads it to its end, then follows it. */
  async start(): Promise<void> {
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    await this.ensureTopic(deadline);
    this.running = true;
    this.loop = this.follow();
    for (;;) {
      try {
        await this.readToEnd(Math.max(1_000, Math.min(5_000, deadline - Date.now())));
        return;
      } catch (e) {
        if (Date.now() > deadline || this.opts.signal?.aborted === true) throw e;
        await sleep(200);
      }
    }
  }

  /** Resolves once every record acknowledged before the call has been applied. */
  async readToEnd(timeoutMs = 30_000): Promise<void> {
    const end = await this.endOffset();
    await this.waitFor(end, timeoutMs);
  }

  /** Produces one record (acks=all) and resolves with its offset once it has been applied. */
  async append(key: Buffer, value: Buffer | null, timeoutMs = 30_000): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    const records = encodeRecordBatch({ records: [{ key, value }] });
    for (let attempt = 0; ; attempt++) {
      let code: number;
      try {
        const leader = await this.leaderConnection();
        const res = await leader.request<ProduceResponse>(Api.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: Math.min(timeoutMs, 30_000),
          topicData: [{ name: this.opts.topic, partitionData: [{ index: 0, records }] }],
        });
        const p = res.responses[0]?.partitionResponses[0];
        code = p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (code === 0 && p) {
          await this.waitFor(p.baseOffset + 1n, Math.max(1, deadline - Date.now()));
          return p.baseOffset;
        }
      } catch (e) {
        if (Date.now() > deadline) throw e;
        code = -1;
      }
      // Retriable answers (leader moved, not enough replicas yet) and broken connections retry until the deadline.
      if (code !== -1 && ![ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT].includes(code as 6)) {
        throw new KafkaLinkError(`Produce to ${this.opts.topic}`, code);
      }
      if (Date.now() > deadline) throw new KafkaLinkError(`Produce to ${this.opts.topic} (attempt ${attempt + 1})`, code === -1 ? ErrorCode.REQUEST_TIMED_OUT : code);
      await sleep(Math.min(500, 50 * (attempt + 1)));
    }
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private waitFor(offset: bigint, timeoutMs: number): Promise<void> {
    if (this.next >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const why = this.lastError instanceof Error ? ` (last error: ${this.lastError.message})` : '';
        reject(new Error(`${this.opts.topic} was not read up to offset ${offset} within ${timeoutMs} ms (at ${this.next})${why}`));
      }, timeoutMs);
      const waiter: OffsetWaiter = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  private async leaderConnection(lane = ''): Promise<ProtocolClient> {
    const { leader, errorCode } = await this.link.partitionLeader(this.opts.topic, 0);
    if (leader < 0) throw new KafkaLinkError(`no leader for ${this.opts.topic}-0`, errorCode || ErrorCode.LEADER_NOT_AVAILABLE);
    return this.link.node(leader, lane);
  }

  private async endOffset(): Promise<bigint> {
    const leader = await this.leaderConnection();
    const res = await leader.request<ListOffsetsResponse>(Api.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: this.opts.topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    const p = res.topics[0]?.partitions[0];
    if (!p || p.errorCode !== 0) throw new KafkaLinkError(`ListOffsets of ${this.opts.topic}-0`, p?.errorCode ?? -1);
    return p.offset;
  }

  private async ensureTopic(deadline: number): Promise<void> {
    for (;;) {
      try {
        const md = await this.link.metadata([this.opts.topic]);
        const t = md.topics.find((x) => x.name === this.opts.topic);
        if (t && t.errorCode === 0 && t.partitions.some((p) => p.partitionIndex === 0 && p.leaderId >= 0)) return;
        if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          const rf = this.opts.replicationFactor ?? Math.min(3, Math.max(1, md.brokers.length));
          const controller = md.controllerId >= 0 ? await this.link.node(md.controllerId) : null;
          const body = {
            topics: [{ name: this.opts.topic, numPartitions: 1, replicationFactor: rf, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
            timeoutMs: 30_000,
            validateOnly: false,
          };
          const res = controller ? await controller.request<CreateTopicsResponse>(Api.CreateTopics, 7, body) : await this.link.any<CreateTopicsResponse>(Api.CreateTopics, 7, body);
          const code = res.topics[0]?.errorCode ?? -1;
          if (code === 0) this.opts.logger.info(`created topic ${this.opts.topic} (1 partition, replication factor ${rf}, compacted)`);
          else if (code !== ErrorCode.TOPIC_ALREADY_EXISTS) this.lastError = new KafkaLinkError(`CreateTopics ${this.opts.topic}`, code);
        }
      } catch (e) {
        this.lastError = e;
      }
      if (Date.now() > deadline || this.opts.signal?.aborted === true) {
        const why = this.lastError instanceof Error ? `: ${this.lastError.message}` : '';
        throw new Error(`topic ${this.opts.topic} did not become available${this.opts.signal?.aborted === true ? ' (start aborted)' : ''}${why}`);
      }
      await sleep(200);
    }
  }

  private async follow(): Promise<void> {
    let backoff = 50;
    while (this.running) {
      try {
        const leader = await this.leaderConnection('fetch');
        while (this.running && !leader.closed) {
          const res = await leader.request<FetchResponse>(Api.Fetch, 12, {
            replicaId: -1,
            maxWaitMs: this.opts.maxWaitMs ?? 200,
            minBytes: 1,
            maxBytes: 16 * 1024 * 1024,
            isolationLevel: 1,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic: this.opts.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: this.next, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 8 * 1024 * 1024 }] }],
            forgottenTopicsData: [],
            rackId: '',
          });
          const p = res.responses[0]?.partitions[0];
          const code = res.errorCode || (p?.errorCode ?? -1);
          if (code === ErrorCode.OFFSET_OUT_OF_RANGE && p && p.logStartOffset > this.next) {
            this.next = p.logStartOffset;
            continue;
          }
          if (code !== 0 || !p) throw new KafkaLinkError(`Fetch ${this.opts.topic}-0`, code);
          if (p.records && p.records.length > 0) this.apply(p.records);
          // Past the high watermark's records nothing more is readable: waiters up to it are done.
          if (this.next < p.highWatermark && (!p.records || p.records.length === 0)) this.next = p.highWatermark;
          this.wake();
          backoff = 50;
        }
      } catch (e) {
        if (!this.running) return;
        this.lastError = e;
        await sleep(backoff);
        backoff = Math.min(1_000, backoff * 2);
      }
    }
  }

  private apply(buf: Buffer): void {
    for (const batch of decodeRecordBatches(buf)) {
      const last = batch.baseOffset + BigInt(batch.lastOffsetDelta);
      if (last < this.next) continue;
      if (!batch.isControl) {
        for (const r of batch.records) {
          if (r.offset < this.next) continue;
          try {
            this.opts.onRecord({ offset: r.offset, key: r.key, value: r.value });
          } catch (e) {
            this.opts.logger.warn(`skipped unreadable record at ${this.opts.topic}-0 offset ${r.offset}`, e);
          }
        }
      }
      this.next = last + 1n;
    }
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.offset <= this.next);
    this.waiters = this.waiters.filter((w) => w.offset > this.next);
    for (const w of ready) w.resolve();
  }
}
