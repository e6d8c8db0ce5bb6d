/**
 * CoordinatorDeps in memory, for driving the group and transaction coordinators without a broker
 * or a socket: partitions are lists of record batches (offsets assigned on append), topics are a
 * map, time is a ManualScheduler. The writer can be told to fail appends, or to hold commits
 * until the test releases them (what a replicated writer does until the high watermark moves) or
 * rejects them (what it does when the leadership is lost before they are replicated).
 */
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { log } from '../../src/common/logger.js';
import type { CoordinatorAppend, CoordinatorDeps, InternalPartition } from '../../src/coordinator/deps.js';
import { ManualScheduler } from '../../src/group/scheduler.js';
import { PRODUCER_ID_BLOCK_SIZE, type ProducerIdBlockSource } from '../../src/txn/producer-id-manager.js';
import { decodeRecordBatches, type RecordBatch } from '../../src/protocol/records/record.js';

const LAST_OFFSET_DELTA = 23;

export class MemoryPartition implements InternalPartition {
  readonly batches: Buffer[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  leaderEpoch = 0;

  constructor(readonly index: number) {}

  append(batch: Buffer): { firstOffset: number; lastOffset: number } {
    const copy = Buffer.from(batch);
    const first = this.logEndOffset;
    copy.writeBigInt64BE(BigInt(first), 0);
    const last = first + copy.readInt32BE(LAST_OFFSET_DELTA);
    this.batches.push(copy);
    this.logEndOffset = last + 1;
    return { firstOffset: first, lastOffset: last };
  }

  read(offset: number, _maxBytes: number, maxOffset: number): Buffer {
    const out = this.batches.filter((b) => {
      const base = Number(b.readBigInt64BE(0));
      return base + b.readInt32BE(LAST_OFFSET_DELTA) >= offset && base < maxOffset;
    });
    return Buffer.concat(out);
  }

  deleteRecordsBefore(offset: number): void {
    this.logStartOffset = Math.max(this.logStartOffset, Math.min(offset, this.logEndOffset));
  }

  decoded(): RecordBatch[] {
    return decodeRecordBatches(Buffer.concat(this.batches));
  }
}

export class MemoryCluster {
  readonly topics = new Map<string, MemoryPartition[]>();
  readonly deleteListeners: ((topic: string) => void)[] = [];
  /** Appends still to fail (each throws this KafkaError code). */
  failAppends: { code: number; count: number } | null = null;
  /** When set, commits wait until `releaseCommits()`. */
  holdCommits = false;
  private held: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Partitions ("topic-index") another broker leads: the coordinators neither read nor write them. */
  readonly notLed = new Set<string>();
  /** The next producer-id block's first id (the metadata image's nextProducerId); blocks are handed out synchronously. */
  nextProducerId = 0n;

  constructor(readonly scheduler = new ManualScheduler()) {}

  createTopic(name: string, numPartitions: number): void {
    if (!this.topics.has(name)) this.topics.set(name, Array.from({ length: numPartitions }, (_, i) => new MemoryPartition(i)));
  }

  partition(topic: string, index: number): MemoryPartition | undefined {
    return this.topics.get(topic)?.[index];
  }

  /** Commits every held append (in append order). */
  releaseCommits(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h.resolve();
  }

  /** Fails the commit of every held append with a KafkaError of `code` (the records stay in the memory log, as on a deposed leader before truncation). */
  rejectCommits(code: number): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h.reject(new KafkaError(code, 'commit failed (test)'));
  }

  get heldCommits(): number {
    return this.held.length;
  }

  deps<S>(settings: S): CoordinatorDeps<S> & { producerIdBlocks: ProducerIdBlockSource } {
    return {
      producerIdBlocks: {
        allocate: (floor) => {
          const first = floor > this.nextProducerId ? floor : this.nextProducerId;
          this.nextProducerId = first + BigInt(PRODUCER_ID_BLOCK_SIZE);
          return { firstProducerId: first, size: PRODUCER_ID_BLOCK_SIZE };
        },
      },
      scheduler: this.scheduler,
      logger: log,
      settings,
      writer: {
        append: (topic, index, batch): CoordinatorAppend => {
          const p = this.partition(topic, index);
          if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (this.failAppends && this.failAppends.count > 0) {
            this.failAppends.count--;
            throw new KafkaError(this.failAppends.code, 'append failed (test)');
          }
          const r = p.append(batch);
          const committed = this.holdCommits ? new Promise<void>((resolve, reject) => this.held.push({ resolve, reject })) : null;
          return { ...r, committed };
        },
      },
      internal: {
        partition: (topic, index) => (this.notLed.has(`${topic}-${index}`) ? undefined : this.partition(topic, index)),
        partitions: (topic) => (this.topics.get(topic) ?? []).filter((p) => !this.notLed.has(`${topic}-${p.index}`)),
        create: (spec) => {
          this.createTopic(spec.name, spec.numPartitions);
          return Promise.resolve();
        },
      },
      metadata: {
        partitionCount: (topic) => this.topics.get(topic)?.length,
        hasPartition: (topic, index) => this.partition(topic, index) !== undefined,
        onTopicDeleted: (l) => void this.deleteListeners.push(l),
      },
    };
  }
}
