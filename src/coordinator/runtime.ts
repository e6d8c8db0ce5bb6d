/**
 * The coordinator runtime (Kafka's CoordinatorRuntime, reduced): an operation returns
 * `{ records, response }` (a CoordinatorResult); the runtime appends the records to the
 * operation's internal-topic partition, waits until they are committed, replays them into the
 * coordinator's state (the shard's `replay`), and only then hands the response to the caller.
 * An operation that throws, or whose append fails, changes nothing: there is nothing to undo.
 *
 * One serial queue per partition: while a write waits for its commit, later writes to the same
 * partition wait behind it, so each operation sees the state its predecessors left. When the
 * queue is idle and the writer commits at once (single node: appended = committed) the whole
 * write, replay and callback run synchronously, exactly as a direct append would.
 *
 * Deviation from Kafka: Kafka replays into a snapshotted timeline before the commit and reverts
 * it on failure, pipelining writes; Samsa replays after the commit and does not pipeline (one
 * write in flight per partition), which is simpler and costs nothing while commits are immediate.
 */
import { encodeRecordBatch } from '../protocol/records/record.js';
import type { PartitionWriter } from './deps.js';
import type { MaybePromise } from './maybe-async.js';

export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

/** The producer of a transactional write (TxnOffsetCommit): its records apply when its marker commits. */
export interface TxnProducer {
  producerId: bigint;
  producerEpoch: number;
}

export interface CoordinatorResult<T> {
  records: readonly CoordinatorRecord[];
  response: T;
  /** Write the records as a transactional batch of this producer. */
  txn?: TxnProducer;
}

/** What a write ends with: the response, or the error; `response` is set when only the append failed. */
export type WriteOutcome<T> = { ok: true; response: T } | { ok: false; error: unknown; response: T | undefined };

/** The state the records are replayed into. `producerId` is -1 for non-transactional records. */
export interface CoordinatorShard {
  replay(partition: number, record: CoordinatorRecord, producerId: bigint): void;
}

export class CoordinatorRuntime {
  /** Partitions with a write waiting for its commit, with the writes queued behind it. */
  private readonly busy = new Map<number, (() => void)[]>();

  constructor(
    private readonly topic: string,
    private readonly writer: PartitionWriter,
    private readonly shard: CoordinatorShard,
    private readonly now: () => number,
  ) {}

  /** Runs `op` on `partition`'s queue; `done` is called once its records are committed and replayed (or it failed). */
  write<T>(partition: number, op: () => CoordinatorResult<T>, done: (outcome: WriteOutcome<T>) => void): void {
    const queue = this.busy.get(partition);
    if (queue) queue.push(() => this.run(partition, op, done));
    else this.run(partition, op, done);
  }

  /** `write` as a promise: resolves with the response, rejects with the error (the append's included). */
  writeAsync<T>(partition: number, op: () => CoordinatorResult<T>): Promise<T> {
    return new Promise((resolve, reject) => this.write(partition, op, (o) => (o.ok ? resolve(o.response) : reject(o.error))));
  }

  /**
   * `write` as a value when it finished at once (idle queue, immediate commit), else as a promise:
   * returns or resolves with the response; throws or rejects with the error (the append's included).
   */
  writeNow<T>(partition: number, op: () => CoordinatorResult<T>): MaybePromise<T> {
    let outcome: WriteOutcome<T> | undefined;
    let later: ((o: WriteOutcome<T>) => void) | undefined;
    this.write(partition, op, (o) => (later ? later(o) : (outcome = o)));
    const settle = (o: WriteOutcome<T>): T => {
      if (o.ok) return o.response;
      throw o.error;
    };
    if (outcome !== undefined) return settle(outcome);
    return new Promise<WriteOutcome<T>>((resolve) => (later = resolve)).then(settle);
  }

  /** Whether a write to `partition` is waiting for its commit. */
  isBusy(partition: number): boolean {
    return this.busy.has(partition);
  }

  private run<T>(partition: number, op: () => CoordinatorResult<T>, done: (outcome: WriteOutcome<T>) => void): void {
    let result: CoordinatorResult<T>;
    try {
      result = op();
    } catch (e) {
      done({ ok: false, error: e, response: undefined });
      return;
    }
    if (result.records.length === 0) {
      done({ ok: true, response: result.response });
      return;
    }
    const producerId = result.txn?.producerId ?? -1n;
    let committed: Promise<void> | null;
    try {
      committed = this.writer.append(this.topic, partition, this.encode(result)).committed;
    } catch (e) {
      done({ ok: false, error: e, response: result.response });
      return;
    }
    const finish = (): void => {
      for (const r of result.records) this.shard.replay(partition, r, producerId);
      done({ ok: true, response: result.response });
    };
    if (committed === null) {
      finish();
      return;
    }
    this.busy.set(partition, []);
    committed.then(finish, (e: unknown) => done({ ok: false, error: e, response: result.response })).finally(() => this.drain(partition));
  }

  private drain(partition: number): void {
    const queued = this.busy.get(partition) ?? [];
    this.busy.delete(partition);
    for (let i = 0; i < queued.length; i++) {
      const next = this.busy.get(partition);
      if (next) {
        // A queued write is waiting for its commit again: the rest wait behind it.
        next.push(...queued.slice(i));
        return;
      }
      (queued[i] as () => void)();
    }
  }

  private encode(result: CoordinatorResult<unknown>): Buffer {
    const now = BigInt(this.now());
    const records = result.records.map((r) => ({ key: r.key, value: r.value, timestamp: now }));
    if (!result.txn) return encodeRecordBatch({ baseTimestamp: now, records });
    return encodeRecordBatch({
      producerId: result.txn.producerId,
      producerEpoch: result.txn.producerEpoch,
      baseSequence: -1,
      isTransactional: true,
      baseTimestamp: now,
      records,
    });
  }
}
