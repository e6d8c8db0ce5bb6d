/**
 * One client connection: splits frames, dispatches each request, and writes responses strictly in
 * request order (requests may be pipelined and complete out of order). Stops reading (socket
 * paused) when too many of its requests are outstanding, when its unsent responses pile up, and
 * while the broker-wide RequestBudget (queued.max.request.bytes, queued.max.requests, unsent
 * responses overall) is exhausted, as Kafka mutes a channel whose request the memory pool cannot
 * take. A frame's budget is held from its size prefix (large frames) or its dispatch (small ones)
 * until its request is answered.
 * A Produce whose appends finish asynchronously (a large batch validated off the event loop, a
 * topic being auto-created) holds the requests behind it until they are done
 * (holdRequestsUntil), as Kafka handles one request per connection at a time: a later request on
 * the connection (a ListOffsets, a Fetch) never overtakes the append. An acks=all answer waiting
 * for replication holds nothing: the next request is read and appended meanwhile (Kafka mutes the
 * connection until the answer; the deviation is 00-produce.ts's), answers still go in order.
 * Quota throttling (KIP-219): a request whose quota step answers a throttle time is answered at
 * once with `throttleTimeMs` set, and the dispatcher calls throttle(ms): the channel is muted (no
 * further request is read or dispatched; responses already due still go out) until the broker's
 * scheduler has advanced by that time. A later throttle while muted extends the mute to the later
 * end. Kafka starts the mute when the response is handed to the network thread and, for request
 * versions older than KIP-219's, delays the response instead; Samsa mutes from the moment the
 * quota is computed (before the handler runs, so a request pipelined behind it is never
 * dispatched early) and answers every version at once.
 * Identity and logging: who is at the other end (address, listener, principal, client id) and the
 * child logger carrying those fields are ConnectionIdentity's (connection-identity.ts), which this
 * class extends; TLS input is tls-frame-input.ts's; a frame's admission against the budget is
 * RequestBudget.admit.
 * Responses: the queue of requests in flight, the writing of their answers in order (corked
 * writes, zero-copy sends) and the request-time metrics' response-queue and send parts are the
 * ResponseWriter's (response-writer.ts); the connection creates each request's slot when it
 * dispatches it and hands the writer its answer.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TLSSocket } from 'node:tls';
import { systemScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import { FrameTooLargeError } from './frame-splitter.js';
import { adoptFrameSocket, FrameReader } from './frame-reader.js';
import type { CopiedInput } from './copied-input.js';
import { adoptTlsFrameSocket } from './tls-frame-input.js';
import { ConnectionIdentity } from './connection-identity.js';
import type { BudgetWaiter, RequestBudget } from './request-budget.js';
import { newZeroCopyStats } from './zero-copy-send.js';
import { ResponseWriter, usSince, type ResponseOwner, type Slot } from './response-writer.js';

export type { DispatchResult, FrameDispatcher } from './frame-dispatcher.js';
export type { ConnectionOptions, ConnectionPrincipal } from './connection-options.js';
import type { DispatchResult, FrameDispatcher } from './frame-dispatcher.js';
import type { ConnectionOptions, ConnectionPrincipal } from './connection-options.js';

/** A complete frame read but not dispatched yet, with the budget already charged for it (0: none). */
interface Waiting {
  frame: Buffer;
  charged: number;
  /** When it was read (performance.now(); 0 when requests are not timed). */
  readAt: number;
}

const MAX_IN_FLIGHT = 64;

export class Connection extends ConnectionIdentity implements BudgetWaiter, ResponseOwner {
  private readonly maxFrameBytes: number;
  private readonly socket: Socket;
  /** TLS: decrypted bytes copied into the reader (kept while it waits for request memory). */
  private copied: CopiedInput | null = null;
  /** Close once every queued response has been written (closeAfterResponses). */
  private closing: string | null = null;
  private readonly reader: FrameReader;
  private readonly budget: RequestBudget;
  private readonly onClose: (c: Connection) => void;
  /** The requests in flight, in order, and the writing of their answers. */
  private readonly writer: ResponseWriter;
  private closed = false;
  /** Paused for this connection's own reasons (requests in flight, unsent responses). */
  private paused = false;
  /** Paused until the broker-wide budget has room (registered as a waiter). */
  private budgetBlocked = false;
  /** Muted by a quota throttle until the scheduler reaches `throttledUntil` (see throttle()). */
  private throttled = false;
  private throttledUntil = 0;
  private throttleTimer: TimerHandle | null = null;
  private readonly scheduler: Scheduler;
  private resuming = false;
  /** Holds in force (holdRequestsUntil): later frames wait (see the module comment). */
  private holds = 0;
  private readonly backlog: Waiting[] = [];
  /** Frames given back already (releaseFrame): each frame view is a new object, so this is per request. */
  private readonly releasedFrames = new WeakSet<Buffer>();
  /** Charge of the large frame being read (admitted by reserve()), handed to it when complete. */
  private frameCharge = 0;
  /** Complete requests read so far (the idle check compares it between sweeps). */
  private requestsRead = 0;
  private requestsAtLastCheck = 0;
  private lastActive = 0;

  constructor(accepted: Socket, private readonly dispatcher: FrameDispatcher, opts: ConnectionOptions) {
    super(accepted, opts);
    this.budget = opts.budget;
    this.onClose = opts.onClose;
    this.scheduler = opts.scheduler ?? systemScheduler;
    this.reader = new FrameReader(opts.maxFrameBytes, {
      onFrame: (frame) => this.onFrame(frame),
      onError: (e) => this.close(e instanceof FrameTooLargeError ? e.message : `frame error: ${String(e)}`),
      reserve: (size) => this.reserve(size),
    }, opts.framePool);
    this.maxFrameBytes = opts.maxFrameBytes;
    if (this.principal === null && opts.preAuthMaxFrameBytes !== undefined) this.reader.setMaxFrameBytes(Math.min(opts.preAuthMaxFrameBytes, opts.maxFrameBytes));
    let socket: Socket;
    if (accepted instanceof TLSSocket) {
      // TLS: decrypted into the reader's buffers, or copied into them (tls-frame-input.ts).
      socket = accepted;
      this.copied = adoptTlsFrameSocket(accepted, this.reader, () => this.closed);
    } else {
      socket = adoptFrameSocket(accepted, this.reader);
      socket.setNoDelay(true);
    }
    this.socket = socket;
    this.writer = new ResponseWriter(socket, dispatcher, this.budget, this, opts.zeroCopyStats ?? newZeroCopyStats());
    socket.on('error', (err) => this.logger.debug(`connection ${this.id} error: ${err.message}`));
    socket.on('close', () => this.teardown());
    socket.on('drain', () => this.maybeResume());
    if (socket.destroyed) queueMicrotask(() => this.teardown());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Idle check (connections.max.idle.ms): as Kafka counts it, a connection is idle when no
   * complete request arrived for `idleMs` (bytes of an unfinished request do not count); one with
   * a request still being handled is not idle.
   */
  idleFor(now: number, idleMs: number): boolean {
    if (this.requestsRead !== this.requestsAtLastCheck || !this.writer.idle || this.lastActive === 0) {
      this.requestsAtLastCheck = this.requestsRead;
      this.lastActive = now;
      return false;
    }
    return now - this.lastActive >= idleMs;
  }

  /** SASL succeeded: the principal is set and frames up to socket.request.max.bytes are read again. */
  authenticated(principal: ConnectionPrincipal, mechanism: string | null): void {
    this.setPrincipal(principal, mechanism);
    this.reader.setMaxFrameBytes(this.maxFrameBytes);
  }

  /**
   * Stops reading, and closes the connection once the responses already queued have been written
   * (a SASL failure: the client reads why before the connection goes).
   */
  closeAfterResponses(reason: string): void {
    if (this.closed || this.closing !== null) return;
    this.closing = reason;
    this.socket.pause();
    this.dropBacklog();
    this.maybeEnd();
  }

  private maybeEnd(): void {
    if (this.closing === null || this.closed || !this.writer.idle) return;
    this.logger.debug(`closing connection ${this.id} from ${this.remoteAddress}:${this.remotePort}: ${this.closing}`);
    this.socket.end(() => this.close());
  }

  close(reason?: string): void {
    if (this.closed) return;
    if (reason) this.logger.debug(`closing connection ${this.id} from ${this.remoteAddress}:${this.remotePort}: ${reason}`);
    this.teardown();
    this.socket.destroy();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    // Requests still being handled give their budget back when they finish (see finish()).
    this.writer.teardown();
    this.dropBacklog();
    this.budget.release(this.frameCharge);
    this.frameCharge = 0;
    this.budget.cancelWait(this);
    this.throttleTimer?.cancel();
    this.throttleTimer = null;
    this.copied?.clear();
    this.onClose(this);
  }

  /** Frames read but never to be dispatched (the connection closes): their charges go back. */
  private dropBacklog(): void {
    for (const w of this.backlog) this.budget.release(w.charged);
    this.backlog.length = 0;
  }

  /** The reader found a large frame's size prefix: admit it if the pool has memory left. */
  private reserve(size: number): boolean {
    if (this.closed) return false;
    if (this.budget.tryCharge(size)) {
      this.frameCharge = size;
      return true;
    }
    this.blockOnBudget();
    return false;
  }

  private onFrame(frame: Buffer): void {
    if (this.closed || this.closing !== null) return;
    this.requestsRead++;
    const charged = this.frameCharge;
    this.frameCharge = 0;
    const readAt = this.dispatcher.timesRequests === true ? performance.now() : 0;
    // While paused, frames already read (the rest of the current chunk) wait here: bounded by
    // what one read delivered.
    if (this.paused || this.budgetBlocked || this.throttled || this.backlog.length > 0) {
      this.backlog.push({ frame, charged, readAt });
      return;
    }
    const admitted = this.budget.admit(frame.length, charged);
    if (admitted < 0) {
      this.backlog.push({ frame, charged, readAt });
      this.blockOnBudget();
      return;
    }
    this.dispatchFrame(frame, admitted, readAt);
  }

  private blockOnBudget(): void {
    if (this.budgetBlocked || this.closed) return;
    this.budgetBlocked = true;
    this.socket.pause();
    this.budget.wait(this);
  }

  /**
   * Mutes the channel for `delayMs` of broker time (a quota throttle, see the module comment):
   * nothing more is read or dispatched until then; responses keep going out.
   */
  throttle(delayMs: number): void {
    if (this.closed || !(delayMs > 0)) return;
    const until = this.scheduler.now() + delayMs;
    if (this.throttled && until <= this.throttledUntil) return;
    this.throttleTimer?.cancel();
    this.throttled = true;
    this.throttledUntil = until;
    this.throttleTimer = this.scheduler.schedule(delayMs, () => this.unthrottle());
    this.socket.pause();
  }

  private unthrottle(): void {
    this.throttleTimer = null;
    if (!this.throttled || this.closed) return;
    this.throttled = false;
    this.maybeResume();
  }

  /** The budget has room again (RequestBudget wakes its waiters). */
  budgetAvailable(): void {
    if (!this.budgetBlocked || this.closed) return;
    this.budgetBlocked = false;
    if (this.reader.isBlocked) this.reader.retry();
    this.maybeResume();
  }

  private dispatchFrame(frame: Buffer, charged: number, readAt: number): void {
    const timed = readAt !== 0;
    const apiKey = timed && frame.length >= 2 ? frame.readInt16BE(0) : 0;
    const slot: Slot = { ready: false, chunks: null, charged, apiKey, readAt, startUs: timed ? usSince(readAt) : 0, returnedUs: 0, readyUs: 0, writtenUs: 0 };
    this.budget.takeRequest();
    this.writer.add(slot);
    if (this.writer.inFlight >= MAX_IN_FLIGHT) this.pause();
    // Asked before dispatch: once the frame is given back its bytes may already hold another request.
    const freeAfter = frame.length >= 2 && this.dispatcher.frameFreeAfterReturn?.(frame.readInt16BE(0)) === true;
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = this.dispatcher.dispatch(frame, this);
    } catch (e) {
      this.finish(slot);
      this.close(`request failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (timed) slot.returnedUs = usSince(readAt);
    if (result instanceof Promise) {
      result.then(
        (chunks) => {
          // A handler that keeps no view of its frame once it returned keeps none once its answer is
          // ready either (a Produce waiting for acks=all gave it back after its appends: releaseFrame).
          if (freeAfter) this.releaseFrame(frame);
          this.complete(slot, chunks);
        },
        (e: unknown) => {
          this.finish(slot);
          this.close(`request failed: ${e instanceof Error ? e.message : String(e)}`);
        },
      );
    } else {
      if (freeAfter) this.releaseFrame(frame);
      this.complete(slot, result);
    }
  }

  /**
   * Dispatches none of the later requests until `settled` settles (a Produce whose appends finish
   * asynchronously); frames read meanwhile wait in the backlog, in order.
   */
  holdRequestsUntil(settled: Promise<unknown>): void {
    this.holds++;
    this.pause();
    const lift = (): void => {
      this.holds--;
      this.maybeResume();
    };
    settled.then(lift, lift);
  }

  /**
   * Gives a request frame's buffer back for reuse by a later large frame, at most once per frame:
   * the handler may do it as soon as it keeps no view of the frame (RequestContext.requestDone: a
   * Produce once its appends ran, while its acks=all answer still waits for the followers), the
   * connection does it when the answer is ready, and only the first call counts (the buffer may
   * belong to another frame by the second).
   */
  releaseFrame(frame: Buffer): void {
    if (this.releasedFrames.has(frame)) return;
    this.releasedFrames.add(frame);
    this.reader.release(frame);
  }

  /** Gives a request's budget back (once). */
  private finish(slot: Slot): void {
    if (slot.charged < 0) return;
    const charged = slot.charged;
    slot.charged = -1;
    this.budget.requestDone(charged);
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private complete(slot: Slot, chunks: DispatchResult): void {
    if (!this.closed) this.writer.answer(slot, chunks);
    this.finish(slot);
  }

  /** The writer wrote answers (or ended a zero-copy send): see ResponseOwner. */
  responsesFlushed(): void {
    if (this.closing !== null) return this.maybeEnd();
    // A client that does not read its responses must not make us buffer without bound.
    if (this.writer.overLimit()) this.pause();
    else this.maybeResume();
  }

  private maybeResume(): void {
    if (this.closed || this.resuming || this.closing !== null) return;
    if (this.paused) {
      if (this.writer.inFlight >= MAX_IN_FLIGHT / 2 || this.writer.overLimit() || this.holds > 0) return;
      this.paused = false;
    }
    if (this.budgetBlocked || this.throttled) return;
    // Frames read before the pause go first, in order; any of them may pause us again.
    this.resuming = true;
    while (!this.paused && !this.budgetBlocked && !this.throttled && !this.closed && this.backlog.length > 0) {
      const w = this.backlog[0] as Waiting;
      const admitted = this.budget.admit(w.frame.length, w.charged);
      if (admitted < 0) {
        this.blockOnBudget();
        break;
      }
      this.backlog.shift();
      this.dispatchFrame(w.frame, admitted, w.readAt);
    }
    this.resuming = false;
    const copied = this.copied;
    if (copied?.hasPending === true && !this.paused && !this.budgetBlocked && !this.throttled && !this.closed) copied.feed();
    if (!this.paused && !this.budgetBlocked && !this.throttled && !this.closed && !this.reader.isBlocked && copied?.hasPending !== true) this.socket.resume();
  }
}
