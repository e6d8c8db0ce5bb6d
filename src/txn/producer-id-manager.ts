/**
 * Hands out producer ids from blocks allocated through the cluster metadata (Kafka's
 * RPCProducerIdManager: the controller allocates a block of 1000 ids by writing a ProducerIdsRecord;
 * the broker hands them out one by one and asks for the next block once 90% of the current one is
 * used, so the next block is usually there before the current one runs out). The allocation is an
 * asynchronous metadata commit (a ProducerIdBlockSource); generate() stays synchronous: when no
 * id is left and the next block has not arrived yet, it answers COORDINATOR_LOAD_IN_PROGRESS
 * (retriable), as Kafka's manager does. Ids of a block are only used after the block is
 * committed, so a crash never leads to reuse; the rest of a block is lost at a restart.
 * ensureAbove() keeps ids found elsewhere (the transaction log) from ever being handed out.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { log } from '../common/logger.js';

/** Kafka's producer-id block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Share of a block used before the next one is requested (Kafka's 90%). */
const PREFETCH_AT = 0.9;

/** A committed block of ids [firstProducerId, firstProducerId + size). */
export interface ProducerIdRange {
  readonly firstProducerId: bigint;
  readonly size: number;
}

/** Where blocks come from: the broker commits a metadata delta per block. */
export interface ProducerIdBlockSource {
  /**
   * Allocates (commits) a block whose ids are all at or above `floor`; rejects (or throws) when it
   * cannot. A source that needs no round trip (a test's) may answer synchronously.
   */
  allocate(floor: bigint): ProducerIdRange | Promise<ProducerIdRange>;
}

export class ProducerIdManager {
  /** The current block: ids [next, end) are free. */
  private next = 0n;
  private end = 0n;
  /** The first id of the current block and its size (to know when to prefetch). */
  private blockStart = 0n;
  private blockSize = 0;
  private prefetched: ProducerIdRange | null = null;
  private fetching: Promise<void> | null = null;
  /** Ids below this are never handed out. */
  private floor = 0n;

  constructor(private readonly source: ProducerIdBlockSource) {}

  /** Resolves once a block is available (the broker awaits it before it opens for requests). */
  async start(): Promise<void> {
    if (this.next < this.end || this.prefetched !== null) return;
    await this.fetch();
  }

  /** Makes sure ids at or below `id` are never handed out (e.g. ids found in the transaction log). */
  ensureAbove(id: bigint): void {
    if (id < this.floor) return;
    this.floor = id + 1n;
    if (this.next < this.floor) this.next = this.floor < this.end ? this.floor : this.end;
    if (this.prefetched !== null && this.prefetched.firstProducerId + BigInt(this.prefetched.size) <= this.floor) this.prefetched = null;
  }

  /** The next id; throws COORDINATOR_LOAD_IN_PROGRESS (retriable) while the next block is being allocated. */
  generate(): bigint {
    if (this.next >= this.end) this.takePrefetched();
    if (this.next >= this.end) void this.fetch();
    if (this.next >= this.end) {
      throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'The next producer id block is being allocated');
    }
    const id = this.next++;
    if (this.prefetched === null && this.next - this.blockStart >= BigInt(Math.ceil(this.blockSize * PREFETCH_AT))) void this.fetch();
    return id;
  }

  private takePrefetched(): void {
    const b = this.prefetched;
    if (b === null) return;
    this.prefetched = null;
    const first = b.firstProducerId > this.floor ? b.firstProducerId : this.floor;
    this.blockStart = b.firstProducerId;
    this.blockSize = b.size;
    this.next = first;
    this.end = b.firstProducerId + BigInt(b.size);
  }

  /** Requests the next block (once at a time); failures are logged and retried by the next generate(). */
  private fetch(): Promise<void> {
    if (this.fetching !== null) return this.fetching;
    let allocated;
    try {
      allocated = this.source.allocate(this.floor > this.end ? this.floor : this.end);
    } catch (e) {
      log.warn('allocating a producer id block failed', e);
      return Promise.resolve();
    }
    if (!(allocated instanceof Promise)) {
      this.received(allocated);
      return Promise.resolve();
    }
    const fetching = allocated.then(
      (b) => this.received(b),
      (e: unknown) => log.warn('allocating a producer id block failed', e),
    );
    this.fetching = fetching.finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }

  private received(b: ProducerIdRange): void {
    this.prefetched = b;
    if (this.next >= this.end) this.takePrefetched();
  }
}
