/**
 * The response side of one client connection (connection.ts keeps reading, framing, dispatch,
 * authentication state and lifetime): the queue of requests in flight in the order they were read,
 * and the writing of their answers to the socket in that order. Kafka's rule: a client may
 * pipeline requests and the broker answers them in request order; an answer that is ready waits
 * for every earlier one (Kafka lets one request per channel in flight, so the order holds by
 * itself; Samsa dispatches pipelined requests at once and keeps the order here).
 * Writing: the common case, one small answer ready (up to SMALL_ANSWER_BYTES), goes out as one
 * copied buffer in one write; several ready answers go out corked, each behind its 4-byte size
 * prefix. Every answer's bytes count as unsent (here and in the broker-wide RequestBudget) until
 * the kernel took them; the connection stops reading while they are over their bound (overLimit).
 * Zero copy (docs/zero-copy.md): an answer carrying file-region placeholders (Fetch) goes out with
 * sendfile when it is the first thing to write (zero-copy-send.ts); nothing else is written until
 * it is sent. Otherwise (TLS, bytes still queued, no addon) its placeholders are read first.
 * Request metrics: when the dispatcher times requests, each slot keeps its timestamps (see Slot)
 * and the answered request's split (Kafka's RequestMetrics: queue, local, remote, response queue,
 * send; metrics/request-metrics.ts) goes to the dispatcher's requestTimed once the answer is sent.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hasFileRegion } from '../common/file-region.js';
import type { FrameDispatcher } from './frame-dispatcher.js';
import type { RequestBudget } from './request-budget.js';
import { materialize, ZeroCopySend, zeroCopyFd, type ZeroCopyStats } from './zero-copy-send.js';

/** One request in flight on a connection, in read order; its answer once ready. */
export interface Slot {
  ready: boolean;
  chunks: Buffer[] | null;
  /** Request bytes charged to the budget; -1 once given back. */
  charged: number;
  /**
   * When the dispatcher times requests (FrameDispatcher.timesRequests): the API key, when the
   * frame was read (performance.now(), ms; 0: not timed), and in whole microseconds after that
   * (small integers, stored without a heap number each): dispatched, dispatch returned, answer
   * ready, answer handed to the socket.
   */
  apiKey: number;
  readAt: number;
  startUs: number;
  returnedUs: number;
  readyUs: number;
  writtenUs: number;
}

/** Whole microseconds since `t0` (performance.now() ms). */
export const usSince = (t0: number): number => Math.round((performance.now() - t0) * 1000);

/**
 * Answers up to this size go out as one copied buffer (a Produce answer, an empty or small Fetch):
 * copying a few KB costs less than the stream's per-chunk objects and a writev of 2-3 pieces.
 */
const SMALL_ANSWER_BYTES = 16 * 1024;
/** Stop reading requests while this many response bytes wait for a slow client to read them. */
const MAX_UNSENT_RESPONSE_BYTES = 8 * 1024 * 1024;

/** What the writer needs of its connection (connection.ts). */
export interface ResponseOwner {
  readonly isClosed: boolean;
  close(reason: string): void;
  /** Answers were written (or a zero-copy send ended): pause or resume reading, or end a closing connection. */
  responsesFlushed(): void;
}

export class ResponseWriter {
  private readonly queue: Slot[] = [];
  /** Response bytes written to the socket and not yet taken by the kernel. */
  private unsent = 0;
  /** The answer being sent with zero copy: nothing else is written until it is done. */
  private zeroCopy: ZeroCopySend | null = null;
  /** The descriptor zero-copy sends use (-1: none, e.g. TLS); -2 until first asked. */
  private sendFd = -2;

  constructor(
    private readonly socket: Socket,
    private readonly dispatcher: FrameDispatcher,
    private readonly budget: RequestBudget,
    private readonly owner: ResponseOwner,
    /** The broker's zero-copy counters (ConnectionOptions.zeroCopyStats). */
    private readonly zeroCopyStats: ZeroCopyStats,
  ) {}

  /** Requests in flight (dispatched, answer not yet written). */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Nothing in flight and no zero-copy send under way. */
  get idle(): boolean {
    return this.queue.length === 0 && this.zeroCopy === null;
  }

  /** A request dispatched: its answer goes out after those of the requests before it. */
  add(slot: Slot): void {
    this.queue.push(slot);
  }

  /** A request's answer is ready (null: none, an acks=0 Produce): written once those before it are. */
  answer(slot: Slot, chunks: Buffer[] | null): void {
    if (slot.readAt !== 0) slot.readyUs = usSince(slot.readAt);
    slot.ready = true;
    slot.chunks = chunks;
    this.flush();
  }

  /**
   * The connection closed: answers ready but never written (waiting behind a zero-copy send) go
   * back to their pools, and the unsent bytes leave the broker-wide count.
   */
  teardown(): void {
    for (const slot of this.queue) if (slot.ready && slot.chunks !== null) this.dispatcher.responseWritten?.(slot.chunks);
    this.queue.length = 0;
    this.budget.responseSent(this.unsent);
    this.unsent = 0;
  }

  /** Unsent responses over this connection's bound, or any while the broker-wide bound is exceeded. */
  overLimit(): boolean {
    const pending = this.socket.writableLength;
    return pending >= MAX_UNSENT_RESPONSE_BYTES || (pending > 0 && this.budget.responsesOverLimit);
  }

  private flush(): void {
    const q = this.queue;
    if (q.length === 0 || !(q[0] as Slot).ready || this.zeroCopy !== null) return;
    // The common case, one small answer ready: one buffer, one write (no cork, no per-chunk
    // bookkeeping in the stream, no size-prefix buffer of its own).
    if (q.length === 1 || !(q[1] as Slot).ready) {
      const single = q[0] as Slot;
      const chunks = single.chunks;
      if (chunks !== null && this.writeSmall(single, chunks)) {
        q.shift();
        return this.owner.responsesFlushed();
      }
    }
    let zeroCopy: Slot | null = null;
    this.socket.cork();
    while (q.length > 0 && (q[0] as Slot).ready) {
      const slot = q.shift() as Slot;
      const chunks = slot.chunks;
      if (chunks === null) continue;
      if (hasFileRegion(chunks)) {
        // Sent from the file when nothing is queued before it (corked writes count), else read.
        if (this.socket.writableLength === 0 && this.zeroCopyFd() >= 0) {
          zeroCopy = slot;
          break;
        }
        try {
          materialize(chunks);
        } catch (e) {
          this.socket.uncork();
          this.dispatcher.responseWritten?.(chunks);
          this.owner.close(`cannot read a Fetch answer's records: ${e instanceof Error ? e.message : String(e)}`);
          return;
        }
      }
      let size = 0;
      for (let i = 0; i < chunks.length; i++) size += (chunks[i] as Buffer).length;
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(size, 0);
      this.socket.write(prefix);
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(chunks[i] as Buffer);
      const total = size + 4;
      this.unsent += total;
      this.budget.responseQueued(total);
      if (slot.readAt !== 0) slot.writtenUs = usSince(slot.readAt);
      this.socket.write(last >= 0 ? (chunks[last] as Buffer) : prefix.subarray(4), () => this.responseSent(slot, chunks, total));
    }
    this.socket.uncork();
    if (zeroCopy !== null) this.sendZeroCopy(zeroCopy, zeroCopy.chunks as Buffer[]);
    this.owner.responsesFlushed();
  }

  private zeroCopyFd(): number {
    if (this.sendFd === -2) this.sendFd = zeroCopyFd(this.socket);
    return this.sendFd;
  }

  /** Sends an answer with placeholders from their files (zero-copy-send.ts); later answers wait for it. */
  private sendZeroCopy(slot: Slot, chunks: Buffer[]): void {
    let size = 0;
    for (let i = 0; i < chunks.length; i++) size += (chunks[i] as Buffer).length;
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeInt32BE(size, 0);
    const total = size + 4;
    this.unsent += total;
    this.budget.responseQueued(total);
    if (slot.readAt !== 0) slot.writtenUs = usSince(slot.readAt);
    const send = new ZeroCopySend(this.socket, this.zeroCopyFd(), [prefix, ...chunks], (err) => {
      this.zeroCopy = null;
      this.responseSent(slot, chunks, total);
      if (err !== null) return this.owner.close(`zero-copy send failed: ${err.message}`);
      if (this.owner.isClosed) return;
      this.flush();
      this.owner.responsesFlushed();
    }, this.zeroCopyStats);
    this.zeroCopy = send;
    send.start();
  }

  /** Writes an answer of at most SMALL_ANSWER_BYTES as one buffer (prefix included); false when larger. */
  private writeSmall(slot: Slot, chunks: Buffer[]): boolean {
    let size = 0;
    for (let i = 0; i < chunks.length; i++) size += (chunks[i] as Buffer).length;
    // (Never an answer with placeholders: they are larger, see MIN_REGION_BYTES.)
    if (size > SMALL_ANSWER_BYTES) return false;
    const out = Buffer.allocUnsafe(size + 4);
    out.writeInt32BE(size, 0);
    let pos = 4;
    for (let i = 0; i < chunks.length; i++) pos += (chunks[i] as Buffer).copy(out, pos);
    const total = size + 4;
    this.unsent += total;
    this.budget.responseQueued(total);
    if (slot.readAt !== 0) slot.writtenUs = usSince(slot.readAt);
    this.socket.write(out, () => this.responseSent(slot, chunks, total));
    return true;
  }

  private responseSent(slot: Slot, chunks: Buffer[], total: number): void {
    if (!this.owner.isClosed) {
      this.unsent -= total;
      this.budget.responseSent(total);
      if (slot.readAt !== 0) this.timeRequest(slot);
    }
    this.dispatcher.responseWritten?.(chunks);
  }

  /** Hands the split of an answered request's time to the dispatcher (metrics/request-metrics.ts). */
  private timeRequest(s: Slot): void {
    const sentUs = usSince(s.readAt);
    // An answer ready synchronously has ~0 remote time (dispatch returned it: its encoding is local).
    this.dispatcher.requestTimed?.(s.apiKey, s.startUs / 1000, (s.returnedUs - s.startUs) / 1000, (s.readyUs - s.returnedUs) / 1000, (s.writtenUs - s.readyUs) / 1000, (sentUs - s.writtenUs) / 1000);
  }
}
