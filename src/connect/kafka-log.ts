/**
 * A compacted topic read from the beginning and tailed (Kafka Connect's KafkaBasedLog): the
 * distributed worker keeps connector configs, source offsets and statuses in such topics and
 * every worker replays them into memory.
 *
 * Kafka's rules kept: `readToEnd()` waits until every partition has been read up to the end
 * offset it had when called, so a worker sees its own writes and the leader's before acting;
 * the topic is created when missing (cleanup.policy=compact); read_committed when the worker
 * runs exactly-once sources (the offsets topic). Samsa's deviation: one fetch loop
 * per log with short long-polls (200 ms) instead of a consumer thread.
 */
import { tpKey, type TopicPartitionKey } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { fetchRound, offsetsAt } from '../client/partition-fetcher.js';
import { produceRecords } from '../client/record-producer.js';
import { ensureTopic } from './topics.js';

export type LogRecordHandler = (key: Buffer | null, value: Buffer | null, partition: number, offset: bigint) => void;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KafkaLog {
  private readonly positions = new Map<TopicPartitionKey, { topic: string; partition: number; offset: bigint }>();
  private loop: Promise<void> | null = null;
  private stopped = false;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly cluster: ClusterClient,
    readonly topic: string,
    private readonly partitions: number,
    private readonly replicationFactor: number,
    private readonly onRecord: LogRecordHandler,
    private readonly onError: (e: unknown) => void = () => undefined,
    /** 1: read_committed (records of open or aborted transactions are not applied; readToEnd stops at the last stable offset). */
    private readonly isolationLevel = 0,
  ) {}

  async start(): Promise<void> {
    await ensureTopic(this.cluster, this.topic, this.partitions, this.replicationFactor, { 'cleanup.policy': 'compact' });
    const meta = await this.cluster.topic(this.topic);
    const tps = (meta?.partitions ?? []).map((p) => ({ topic: this.topic, partition: p.partition }));
    const earliest = await offsetsAt(this.cluster, tps, -2n);
    for (const tp of tps) this.positions.set(tpKey(tp.topic, tp.partition), { ...tp, offset: earliest.get(tpKey(tp.topic, tp.partition)) ?? 0n });
    this.loop = this.run();
    await this.readToEnd();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const round = await fetchRound(this.cluster, this.positions, { maxWaitMs: 200, minBytes: 1, maxBytes: 8 * 1024 * 1024, isolationLevel: this.isolationLevel });
        for (const r of round.records) this.onRecord(r.key, r.value, r.partition, r.offset);
        for (const [k, offset] of round.next) {
          const p = this.positions.get(k);
          if (p) p.offset = offset;
        }
        if (round.errors.length > 0) {
          await this.cluster.refresh().catch(() => undefined);
          await sleep(100);
        }
      } catch (e) {
        if (!this.stopped) this.onError(e);
        await sleep(200);
      }
      for (const w of this.waiters.splice(0)) w();
    }
  }

  /** The next offset to read of a partition. */
  position(partition: number): bigint {
    return this.positions.get(tpKey(this.topic, partition))?.offset ?? 0n;
  }

  /** Waits until the log has been read up to the end offsets of now (read_committed: the last stable offsets). */
  async readToEnd(): Promise<void> {
    const ends = await offsetsAt(this.cluster, [...this.positions.values()].map((p) => ({ topic: p.topic, partition: p.partition })), -1n, this.isolationLevel);
    await this.waitFor((p) => (ends.get(tpKey(this.topic, p)) ?? 0n));
  }

  /** Waits until every partition p has been read up to `target(p)` (exclusive). */
  async waitFor(target: (partition: number) => bigint): Promise<void> {
    while (!this.stopped) {
      if ([...this.positions.values()].every((p) => p.offset >= target(p.partition))) return;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Writes one record (partitioned by key) and answers its partition and offset. */
  async send(key: string, value: Buffer | null): Promise<{ partition: number; offset: bigint }> {
    for (let attempt = 0; ; attempt++) {
      const [res] = await produceRecords(this.cluster, this.topic, [{ key: Buffer.from(key, 'utf8'), value }]);
      if (res && res.errorCode === 0) return { partition: res.partition, offset: res.offset };
      if (attempt >= 10) throw new Error(`write to ${this.topic} failed: ${res?.errorMessage ?? 'no answer'}`);
      await sleep(200 * (attempt + 1));
    }
  }

  /** Writes and waits until the log has read the record back. */
  async sendAndRead(key: string, value: Buffer | null): Promise<void> {
    const { partition, offset } = await this.send(key, value);
    await this.waitFor((p) => (p === partition ? offset + 1n : 0n));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w();
    await this.loop?.catch(() => undefined);
  }
}
