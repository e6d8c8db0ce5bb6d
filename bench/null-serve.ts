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
 * Deviations, on purpose (a floor, not a broker): the bytes are kept in memory only, in one ring
 * buffer allocated at the start (64 MiB by default), the oldest batches of any partition dropped
 * when a produce needs their room. The JavaScript heap keeps only numbers per batch (offset,
 * position, size), so what is stored adds no garbage-collection work: a Buffer object per stored
 * batch would live long enough to be promoted, and the old-space collections they caused (one
 * every ~1.2 s at 50k records/s, 2–60 ms each) were the floor's own tail. Fetch copies the bytes
 * it serves (the ring may be overwritten before a slow socket flushes). Batches are
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
  /** Batches dropped to make room in the ring. */
  dropped: number;
  /** Fetches that waited and were answered early because a produce brought enough bytes. */
  woken: number;
}

/** One partition's batches in offset order (numbers only); entries before `head` are dropped. */
class MemoryLog {
  readonly bases: number[] = [];
  readonly positions: number[] = [];
  readonly sizes: number[] = [];
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

  drop(batches: number): void {
    this.head += batches;
    if (this.head >= 1024 && this.head * 2 >= this.bases.length) {
      this.bases.splice(0, this.head);
      this.positions.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }
}

export type ReadResult = { errorCode: 'outOfRange'; start: number; end: number } | { errorCode: 0; records: Buffer | null; bytes: number; start: number; end: number };

interface Waiter {
  keys: readonly string[];
  /** Re-checks the fetch; true when it was answered (the waiter is then removed). */
  recheck: () => boolean;
}

/** The partitions' batches in one ring buffer, the fetches waiting for data. */
export class ServeStore {
  readonly stats: ServeStats = { batches: 0, bytes: 0, dropped: 0, woken: 0 };
  private readonly logs = new Map<string, MemoryLog>();
  private readonly ring: Buffer;
  /** Where the next bytes go in the ring. */
  private tail = 0;
  /** Bytes from the oldest held region to `tail` (skipped ring ends included). */
  private used = 0;
  /** The ring's regions, oldest first: the log they belong to (null: a skipped end), their size and batch count. */
  private readonly fifoLog: (MemoryLog | null)[] = [];
  private readonly fifoSize: number[] = [];
  private readonly fifoBatches: number[] = [];
  private fifoHead = 0;
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(readonly capBytes: number = DEFAULT_SERVE_CAP_BYTES) {
    this.ring = Buffer.allocUnsafeSlow(capBytes); // only written regions are ever read
  }

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** Bytes held now (skipped ring ends included). */
  get heldBytes(): number {
    return this.used;
  }

  /**
   * Stores `records` (v2 batches back to back) in the ring with offsets assigned and wakes the
   * fetches waiting on the partition; returns the first base offset, or -1 (nothing stored) when
   * a batch is malformed or the records are larger than the ring.
   */
  append(topic: string, partition: number, records: Buffer): number {
    // Check the framing of every batch before storing any of them.
    let pos = 0;
    let batches = 0;
    while (pos < records.length) {
      if (records.length - pos < RECORD_BATCH_OVERHEAD || records.readInt8(pos + MAGIC_OFFSET) !== 2) return -1;
      const size = records.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      if (size < RECORD_BATCH_OVERHEAD || pos + size > records.length) return -1;
      pos += size;
      batches++;
    }
    const len = records.length;
    if (len > this.capBytes) return -1;
    const key = ServeStore.key(topic, partition);
    let log = this.logs.get(key);
    if (log === undefined) {
      log = new MemoryLog();
      this.logs.set(key, log);
    }
    if (this.tail + len > this.capBytes) {
      // Skip the ring's end: a region of its own, freed in turn.
      this.push(null, this.capBytes - this.tail, 0);
      this.tail = 0;
    }
    while (this.used + len > this.capBytes) this.dropOldest();
    // A copy: the request's frame goes back to the reader's pool once answered.
    records.copy(this.ring, this.tail);
    const first = log.end;
    pos = 0;
    while (pos < len) {
      const at = this.tail + pos;
      const size = this.ring.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      this.ring.writeBigInt64BE(BigInt(log.end), at + BASE_OFFSET_OFFSET);
      log.bases.push(log.end);
      log.positions.push(at);
      log.sizes.push(size);
      log.end += this.ring.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET) + 1;
      pos += size;
    }
    this.push(log, len, batches);
    this.tail += len;
    this.stats.batches += batches;
    this.stats.bytes += len;
    this.wake(key);
    return first;
  }

  /** The held offset range of a partition: [start, end). */
  range(topic: string, partition: number): { start: number; end: number } {
    const log = this.logs.get(ServeStore.key(topic, partition));
    return log === undefined ? { start: 0, end: 0 } : { start: log.start, end: log.end };
  }

  /**
   * A copy of the whole stored batches from the one holding `offset`, up to `maxBytes` (at least
   * one batch when `atLeastOne`); records null when there are none.
   */
  read(topic: string, partition: number, offset: number, maxBytes: number, atLeastOne: boolean): ReadResult {
    const log = this.logs.get(ServeStore.key(topic, partition));
    const start = log?.start ?? 0;
    const end = log?.end ?? 0;
    if (offset < start || offset > end) return { errorCode: 'outOfRange', start, end };
    if (log === undefined || offset === end) return { errorCode: 0, records: null, bytes: 0, start, end };
    const from = log.indexOf(offset);
    let to = from;
    let bytes = 0;
    for (; to < log.bases.length; to++) {
      const size = log.sizes[to] as number;
      if (bytes + size > maxBytes && !(atLeastOne && to === from)) break;
      bytes += size;
    }
    if (bytes === 0) return { errorCode: 0, records: null, bytes: 0, start, end };
    const out = Buffer.allocUnsafe(bytes);
    let w = 0;
    for (let i = from; i < to; i++) {
      const at = log.positions[i] as number;
      w += this.ring.copy(out, w, at, at + (log.sizes[i] as number));
    }
    return { errorCode: 0, records: out, bytes, start, end };
  }

  /**
   * Parks a fetch on these partitions until `recheck` answers it (called after every append to one
   * of them) or the returned cancel function is called (timeout, closed connection).
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

  private push(log: MemoryLog | null, size: number, batches: number): void {
    this.fifoLog.push(log);
    this.fifoSize.push(size);
    this.fifoBatches.push(batches);
    this.used += size;
  }

  /** Frees the oldest region of the ring (its batches dropped from their partition). */
  private dropOldest(): void {
    const i = this.fifoHead++;
    const log = this.fifoLog[i];
    const batches = this.fifoBatches[i] as number;
    this.used -= this.fifoSize[i] as number;
    if (log) log.drop(batches);
    this.stats.dropped += batches;
    this.fifoLog[i] = null;
    if (this.fifoHead >= 4096 && this.fifoHead * 2 >= this.fifoLog.length) {
      this.fifoLog.splice(0, this.fifoHead);
      this.fifoSize.splice(0, this.fifoHead);
      this.fifoBatches.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
  }
}

/** An empty record set (librdkafka refuses a null one: "invalid MessageSetSize -1"). */
const NO_RECORDS = Buffer.alloc(0);

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
            return { partitionIndex: fp.partition, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...marks, records: NO_RECORDS };
          }
          budget -= r.bytes;
          total += r.bytes;
          return { partitionIndex: fp.partition, errorCode: 0, ...marks, abortedTransactions: [], records: r.records ?? NO_RECORDS };
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
