/**
 * The null broker's "serve" mode (`--serve`): the least a broker that hands produced records to a
 * consumer can do, as a same-run floor for Samsa's end-to-end latency (issue 22, target 2). Kafka's
 * rules it keeps:
 * - Produce assigns offsets: each v2 batch's baseOffset field (outside the CRC, as Kafka's
 *   LogValidator patches it) is set to the partition's next offset, which then advances by
 *   lastOffsetDelta + 1; the answer carries the first batch's base offset once stored (acks=all is
 *   immediate: nothing to replicate).
 * - ListOffsets: latest (-1) is the next offset, earliest (-2) the first offset still held.
 * - Fetch: the stored batches from the one holding the fetch offset, whole batches up to the
 *   partition's and the request's max bytes (at least one batch, as KIP-74), served as stored;
 *   OFFSET_OUT_OF_RANGE below the first held offset or past the next one; the request waits up to
 *   maxWaitMs unless minBytes are ready, and a produce to a partition it waits on re-checks it at
 *   once (answer when ≥ minBytes, or with whatever there is on timeout).
 *
 * Deviations, on purpose (a floor, not a broker): the bytes are kept in memory only, the oldest
 * batches of any partition dropped once the total passes a cap (64 MiB by default); batches are
 * checked for framing (bounds, magic 2) but not for CRC; no producer state, no index, no
 * timestamps lookup (any other ListOffsets timestamp answers the earliest offset), no fetch sessions.
 */
import { ErrorCode } from '../src/common/error-codes.js';
import type { FetchRequest, FetchResponseFetchableTopicResponseInit, FetchResponsePartitionDataInit } from '../src/protocol/generated/messages/fetch.js';
import { BASE_OFFSET_OFFSET, BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, RECORD_BATCH_OVERHEAD } from '../src/protocol/records/batch-header.js';

export const DEFAULT_SERVE_CAP_BYTES = 64 * 1024 * 1024;

export interface ServeStats {
  /** Batches stored (offsets assigned). */
  batches: number;
  /** Bytes stored since the start (dropped or not). */
  bytes: number;
  /** Batches dropped from the front to keep under the cap. */
  dropped: number;
  /** Fetches that waited and were answered early because a produce brought enough bytes. */
  woken: number;
}

/** One partition's batches in offset order; entries before `head` are dropped. */
class MemoryLog {
  readonly batches: Buffer[] = [];
  readonly bases: number[] = [];
  head = 0;
  /** The next offset to assign (Kafka's log end offset; the high watermark here). */
  end = 0;

  /** The first offset still held. */
  get start(): number {
    return this.head < this.bases.length ? (this.bases[this.head] as number) : this.end;
  }

  /** Index of the batch holding `offset` (offset within [start, end)). */
  indexOf(offset: number): number {
    let lo = this.head;
    let hi = this.bases.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.bases[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  dropFirst(): number {
    const b = this.batches[this.head] as Buffer;
    this.batches[this.head] = EMPTY;
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.batches.length) {
      this.batches.splice(0, this.head);
      this.bases.splice(0, this.head);
      this.head = 0;
    }
    return b.length;
  }
}

const EMPTY = Buffer.alloc(0);

export type ReadResult = { errorCode: 'outOfRange'; start: number; end: number } | { errorCode: 0; batches: Buffer[]; bytes: number; start: number; end: number };

interface Waiter {
  keys: readonly string[];
  /** Re-checks the fetch; true when it was answered (the waiter is then removed). */
  recheck: () => boolean;
}

/** The partitions' batches in memory, the cap over all of them, and the fetches waiting for data. */
export class ServeStore {
  readonly stats: ServeStats = { batches: 0, bytes: 0, dropped: 0, woken: 0 };
  private readonly logs = new Map<string, MemoryLog>();
  /** Logs in the order their batches were appended (one entry per batch): the front is the oldest. */
  private readonly order: MemoryLog[] = [];
  private orderHead = 0;
  private held = 0;
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(readonly capBytes: number = DEFAULT_SERVE_CAP_BYTES) {}

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Stores a copy of `records` (v2 batches back to back) with offsets assigned and wakes the
   * fetches waiting on the partition; returns the first base offset, or -1 (nothing stored) when
   * a batch is malformed.
   */
  append(topic: string, partition: number, records: Buffer): number {
    // Check the framing of every batch before storing any of them.
    let pos = 0;
    while (pos < records.length) {
      if (records.length - pos < RECORD_BATCH_OVERHEAD || records.readInt8(pos + MAGIC_OFFSET) !== 2) return -1;
      const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      if (size < RECORD_BATCH_OVERHEAD || pos + size > records.length) return -1;
      pos += size;
    }
    const key = ServeStore.key(topic, partition);
    let log = this.logs.get(key);
    if (log === undefined) {
      log = new MemoryLog();
      this.logs.set(key, log);
    }
    // A copy: the request's frame goes back to the reader's pool once answered.
    const copy = Buffer.allocUnsafeSlow(records.length);
    records.copy(copy);
    const first = log.end;
    pos = 0;
    while (pos < copy.length) {
      const size = copy.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      copy.writeBigInt64BE(BigInt(log.end), pos + BASE_OFFSET_OFFSET);
      log.batches.push(copy.subarray(pos, pos + size));
      log.bases.push(log.end);
      this.order.push(log);
      log.end += copy.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
      this.stats.batches++;
      pos += size;
    }
    this.held += copy.length;
    this.stats.bytes += copy.length;
    this.trim();
    this.wake(key);
    return first;
  }

  /** The held offset range of a partition: [start, end). */
  range(topic: string, partition: number): { start: number; end: number } {
    const log = this.logs.get(ServeStore.key(topic, partition));
    return log === undefined ? { start: 0, end: 0 } : { start: log.start, end: log.end };
  }

  /** Whole stored batches from the one holding `offset`, up to `maxBytes` (at least one batch when `atLeastOne`). */
  read(topic: string, partition: number, offset: number, maxBytes: number, atLeastOne: boolean): ReadResult {
    const log = this.logs.get(ServeStore.key(topic, partition));
    const start = log?.start ?? 0;
    const end = log?.end ?? 0;
    if (offset < start || offset > end) return { errorCode: 'outOfRange', start, end };
    const batches: Buffer[] = [];
    let bytes = 0;
    if (log !== undefined && offset < end) {
      for (let i = log.indexOf(offset); i < log.batches.length; i++) {
        const b = log.batches[i] as Buffer;
        if (bytes + b.length > maxBytes && !(atLeastOne && batches.length === 0)) break;
        batches.push(b);
        bytes += b.length;
      }
    }
    return { errorCode: 0, batches, bytes, start, end };
  }

  /**
   * Parks a fetch on these partitions until `recheck` answers it (called after every append to one
   * of them) or `cancel` is called (timeout, closed connection).
   */
  park(keys: readonly string[], recheck: () => boolean): () => void {
    const w: Waiter = { keys, recheck };
    for (const k of keys) {
      let set = this.waiters.get(k);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(k, set);
      }
      set.add(w);
    }
    return () => this.unpark(w);
  }

  private unpark(w: Waiter): void {
    for (const k of w.keys) {
      const set = this.waiters.get(k);
      set?.delete(w);
      if (set?.size === 0) this.waiters.delete(k);
    }
  }

  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (set === undefined) return;
    for (const w of [...set]) {
      if (w.recheck()) {
        this.stats.woken++;
        this.unpark(w);
      }
    }
  }

  /** Drops the oldest batches (over all partitions) while more than the cap is held. */
  private trim(): void {
    while (this.held > this.capBytes && this.orderHead < this.order.length) {
      const log = this.order[this.orderHead] as MemoryLog;
      this.orderHead++;
      this.held -= log.dropFirst();
      this.stats.dropped++;
    }
    if (this.orderHead >= 4096 && this.orderHead * 2 >= this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}

/** What a serve-mode fetch needs of the broker: topic names and partition counts. */
export interface ServeTopics {
  nameOf(topic: string, topicId: string): string;
  partitionsOf(name: string): number | undefined;
}

/**
 * Answers a Fetch from the store (see the module comment): now when minBytes are ready or
 * maxWaitMs ≤ 0, else parked until a produce to one of its partitions brings them, or with
 * whatever there is after maxWaitMs. `answer` gets the response body; `closed` says the
 * connection went away (the wait is then abandoned).
 */
export function serveFetch(store: ServeStore, topics: ServeTopics, req: FetchRequest, v: number, answer: (body: unknown) => void, closed: () => boolean): void {
  const build = (): { body: unknown; bytes: number; errors: boolean } => {
    let budget = req.maxBytes > 0 ? req.maxBytes : 50 * 1024 * 1024;
    let total = 0;
    let errors = false;
    const responses: FetchResponseFetchableTopicResponseInit[] = req.topics.map((ft) => {
      const name = topics.nameOf(ft.topic, ft.topicId);
      const count = topics.partitionsOf(name);
      return {
        topic: name,
        topicId: ft.topicId,
        partitions: ft.partitions.map((fp): FetchResponsePartitionDataInit => {
          if (count === undefined || fp.partition < 0 || fp.partition >= count) {
            errors = true;
            return { partitionIndex: fp.partition, errorCode: v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, records: null };
          }
          const r = store.read(name, fp.partition, Number(fp.fetchOffset), Math.min(fp.partitionMaxBytes, budget), total === 0);
          const marks = { highWatermark: BigInt(r.end), lastStableOffset: BigInt(r.end), logStartOffset: BigInt(r.start) };
          if (r.errorCode === 'outOfRange') {
            errors = true;
            return { partitionIndex: fp.partition, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...marks, records: null };
          }
          budget -= r.bytes;
          total += r.bytes;
          return { partitionIndex: fp.partition, errorCode: 0, ...marks, abortedTransactions: [], records: r.batches };
        }),
      };
    });
    return { body: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }, bytes: total, errors };
  };
  const now = build();
  // As Kafka: answer at once when minBytes are ready, the wait is 0, or a partition has an error.
  if (now.bytes >= Math.max(req.minBytes, 1) || req.maxWaitMs <= 0 || now.errors) {
    answer(now.body);
    return;
  }
  const keys = req.topics.flatMap((ft) => ft.partitions.map((fp) => ServeStore.key(topics.nameOf(ft.topic, ft.topicId), fp.partition)));
  let timer: NodeJS.Timeout | undefined;
  const cancel = store.park(keys, () => {
    if (closed()) {
      clearTimeout(timer);
      return true;
    }
    const again = build();
    if (again.bytes < Math.max(req.minBytes, 1) && !again.errors) return false;
    clearTimeout(timer);
    answer(again.body);
    return true;
  });
  timer = setTimeout(() => {
    cancel();
    if (!closed()) answer(build().body);
  }, req.maxWaitMs);
}
