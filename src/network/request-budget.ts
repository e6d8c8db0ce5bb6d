/**
 * The broker-wide bound on what requests in progress may hold: Kafka's request memory pool
 * (queued.max.request.bytes) and request queue (queued.max.requests), plus a bound on response
 * bytes written but not yet taken by slow clients.
 *
 * Kafka's rule: a request's memory is taken from the pool when its size prefix has been read;
 * the pool is not strict (a request is admitted while any memory is left, so one frame larger
 * than the whole pool is still served); while the pool is exhausted, connections that need memory
 * for a new request are muted until a request is done and gives its memory back. Requests beyond
 * queued.max.requests wait the same way.
 * Samsa's deviations: queued.max.request.bytes defaults to 256 MiB instead of Kafka's -1
 * (unlimited), because one Node process holds every connection's requests; a frame is charged its
 * declared size when the prefix is read, but its buffer grows as the bytes arrive (a prefix with
 * no body costs quota, not memory); responses waiting in socket buffers are bounded overall too
 * (Kafka bounds them per connection only, by muting a channel with a response in flight).
 */

/** A party that waits for budget (a connection with reading paused). */
export interface BudgetWaiter {
  budgetAvailable(): void;
}

export interface RequestBudgetLimits {
  /** queued.max.request.bytes; <= 0 means unlimited. */
  maxRequestBytes: number;
  /** queued.max.requests. */
  maxRequests: number;
  /** Response bytes written to sockets and not yet sent, across all connections. */
  maxUnsentResponseBytes: number;
}

export const DEFAULT_MAX_UNSENT_RESPONSE_BYTES = 128 * 1024 * 1024;

export class RequestBudget {
  private bytesHeld = 0;
  private requestsHeld = 0;
  private unsent = 0;
  private peak = 0;
  private readonly waiters = new Set<BudgetWaiter>();
  private readonly maxBytes: number;
  private wakeScheduled = false;

  constructor(readonly limits: RequestBudgetLimits) {
    this.maxBytes = limits.maxRequestBytes > 0 ? limits.maxRequestBytes : Number.POSITIVE_INFINITY;
  }

  /** Request bytes charged now (frames being read or waiting to be answered). */
  get heldBytes(): number {
    return this.bytesHeld;
  }

  /** The most request bytes ever charged at once (for tests and diagnostics). */
  get peakHeldBytes(): number {
    return this.peak;
  }

  get heldRequests(): number {
    return this.requestsHeld;
  }

  /** Connections with reading paused until the budget has room (for tests and diagnostics). */
  get waitingCount(): number {
    return this.waiters.size;
  }

  get unsentResponseBytes(): number {
    return this.unsent;
  }

  /** True while some memory is left: a new frame may be charged (non-strict, as Kafka's pool). */
  get memoryAvailable(): boolean {
    return this.bytesHeld < this.maxBytes;
  }

  /** True when another request may be dispatched. */
  get requestSlotAvailable(): boolean {
    return this.requestsHeld < this.limits.maxRequests;
  }

  /** Charges `bytes` if any memory is left; false (nothing charged) when the pool is exhausted. */
  tryCharge(bytes: number): boolean {
    if (!this.memoryAvailable) return false;
    this.charge(bytes);
    return true;
  }

  /** Charges unconditionally (bytes of a frame already admitted). */
  charge(bytes: number): void {
    this.bytesHeld += bytes;
    if (this.bytesHeld > this.peak) this.peak = this.bytesHeld;
  }

  release(bytes: number): void {
    if (bytes === 0) return;
    this.bytesHeld -= bytes;
    this.wake();
  }

  /**
   * The charge a complete frame is dispatched with, or -1 when it must wait (no request slot, or no
   * memory for it). `charged`: what its size prefix was charged already (a large frame); a small
   * frame, read in a connection's staging buffer (charged 0), is charged now, non-strict as a large
   * one.
   */
  admit(frameLength: number, charged: number): number {
    if (!this.requestSlotAvailable) return -1;
    if (charged > 0) return charged;
    return this.tryCharge(frameLength) ? frameLength : -1;
  }

  takeRequest(): void {
    this.requestsHeld++;
  }

  releaseRequest(): void {
    this.requestsHeld--;
    this.wake();
  }

  /** A dispatched request is done: its request slot and the `charged` bytes it was admitted with are given back. */
  requestDone(charged: number): void {
    this.releaseRequest();
    this.release(charged);
  }

  /** Response bytes handed to a socket / taken by the kernel. */
  responseQueued(bytes: number): void {
    this.unsent += bytes;
  }

  responseSent(bytes: number): void {
    this.unsent -= bytes;
  }

  /** True when buffered responses exceed the overall bound. */
  get responsesOverLimit(): boolean {
    return this.unsent >= this.limits.maxUnsentResponseBytes;
  }

  /** Bytes a new response may still add before the overall bound (at least 0). */
  get responseRoom(): number {
    return Math.max(this.limits.maxUnsentResponseBytes - this.unsent, 0);
  }

  wait(w: BudgetWaiter): void {
    this.waiters.add(w);
  }

  cancelWait(w: BudgetWaiter): void {
    this.waiters.delete(w);
  }

  /**
   * Wakes waiters on a later turn of the event loop (not inside the release, which may run deep in
   * another connection's dispatch).
   */
  private wake(): void {
    if (this.wakeScheduled || this.waiters.size === 0 || !this.memoryAvailable || !this.requestSlotAvailable) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wakeNow();
    });
  }

  private wakeNow(): void {
    // Each woken waiter may use up the budget again and re-register; stop once it is gone.
    for (const w of [...this.waiters]) {
      if (!this.memoryAvailable || !this.requestSlotAvailable) return;
      this.waiters.delete(w);
      w.budgetAvailable();
    }
  }
}

/** An unlimited budget (tests and embedders that build a KafkaServer directly). */
export function unlimitedBudget(): RequestBudget {
  return new RequestBudget({ maxRequestBytes: 0, maxRequests: Number.MAX_SAFE_INTEGER, maxUnsentResponseBytes: Number.MAX_SAFE_INTEGER });
}
