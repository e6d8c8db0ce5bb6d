/**
 * Appends waiting for the high watermark to pass them: acks=all produce requests (Kafka's
 * DelayedProduce) and coordinator writes. Appends on a leader have increasing offsets, so the
 * waiters form a queue ordered by the offset they need; a high watermark move settles a prefix of
 * it. Losing leadership (or closing the partition) fails every waiter with the given error.
 *
 * Kafka's rule when the high watermark passes an acks=all append: if the ISR then has fewer than
 * `min.insync.replicas` members the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND, otherwise success.
 * The caller decides that (it knows the ISR and the setting); this queue only orders and settles.
 */
export interface CommitWaiter {
  /** The high watermark that commits the append (its last offset + 1). */
  readonly requiredOffset: number;
  /** Settled once: with null when committed, with a Kafka error code when it never will be here. */
  settle(errorCode: number | null): void;
}

export class CommitWaiters {
  private queue: CommitWaiter[] = [];
  private head = 0;

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Queues `w`, or settles it at once when `highWatermark` already passed it. */
  add(w: CommitWaiter, highWatermark: number): void {
    if (w.requiredOffset <= highWatermark) {
      w.settle(null);
      return;
    }
    const last = this.queue[this.queue.length - 1];
    if (this.size > 0 && last !== undefined && last.requiredOffset > w.requiredOffset) {
      // Out of order (never on a leader's own appends): keep the queue sorted.
      const at = this.queue.findIndex((q, i) => i >= this.head && q.requiredOffset > w.requiredOffset);
      this.queue.splice(at, 0, w);
      return;
    }
    this.queue.push(w);
  }

  /** Removes `w` without settling it (its request timed out). */
  remove(w: CommitWaiter): boolean {
    const at = this.queue.indexOf(w, this.head);
    if (at < 0) return false;
    this.queue.splice(at, 1);
    return true;
  }

  /** The high watermark moved to `highWatermark`: settles every waiter it passed. */
  advance(highWatermark: number): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head] as CommitWaiter;
      if (w.requiredOffset > highWatermark) break;
      this.head++;
      w.settle(null);
    }
    this.compact();
  }

  /** Fails every waiter (leadership lost, partition closed). */
  failAll(errorCode: number): void {
    const pending = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const w of pending) w.settle(errorCode);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
