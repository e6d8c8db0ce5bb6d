/**
 * Waiting for appends to be committed on replicated leaders: Kafka's DelayedProduce, for Produce
 * with acks=all and for coordinator writes.
 *
 * Kafka's rules (ReplicaManager / DelayedProduce / Partition.checkEnoughReplicasReachOffset):
 * - an append waits until the partition's high watermark reaches its last offset + 1; then, if
 *   the ISR has fewer than `min.insync.replicas` members the answer is
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records stay in the log), otherwise success;
 * - one request's partitions are answered together: the operation completes once every partition
 *   settled, or when its timeout fires, and the partitions still waiting then get
 *   REQUEST_TIMED_OUT (their records stay in the log too);
 * - the leader losing its leadership meanwhile fails the wait with NOT_LEADER_OR_FOLLOWER
 *   (Partition.becomeFollower fails every CommitWaiter).
 * Samsa: a high watermark move settles the waiters it passed at once (CommitWaiters.advance), so
 * nothing polls; the timeout is one timer per request, not one per partition.
 */
import { ErrorCode } from '../common/error-codes.js';
import type { Scheduler, TimerHandle } from '../common/scheduler.js';
import type { CommitWaiter, CommitWaiters } from './commit-waiters.js';

/** What a wait needs of a partition leader (broker/partition.ts's Partition has it). */
export interface CommitTarget {
  readonly commitWaiters: CommitWaiters;
  readonly highWatermark: number;
  /** In-sync replicas as the leader knows them. */
  readonly isrSize: number;
  readonly settings: { readonly minInsyncReplicas: number };
}

/** The outcome of an append the high watermark passed: NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is below min.insync.replicas. */
export function committedCode(target: CommitTarget): number {
  return target.isrSize < target.settings.minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE;
}

interface Wait extends CommitWaiter {
  readonly target: CommitTarget;
  done: boolean;
}

/**
 * One request's waits (Kafka's DelayedProduce): `add` each append, then `start` with the timeout.
 * `onComplete` runs once, after every wait settled (each through its own `settle` callback with
 * the partition's error code) or when the timeout fired.
 */
export class DelayedCommit {
  private readonly waits: Wait[] = [];
  private pending = 0;
  private started = false;
  private completed = false;
  private timer: TimerHandle | null = null;

  constructor(private readonly onComplete: () => void) {}

  /**
   * Waits until `target`'s high watermark reaches `requiredOffset` (an append's last offset + 1).
   * `settle` gets NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND, the leadership loss's code
   * (NOT_LEADER_OR_FOLLOWER) or REQUEST_TIMED_OUT. May settle at once (already committed).
   */
  add(target: CommitTarget, requiredOffset: number, settle: (errorCode: number) => void): void {
    this.pending++;
    const wait: Wait = {
      target,
      requiredOffset,
      done: false,
      settle: (errorCode) => {
        if (wait.done) return;
        wait.done = true;
        settle(errorCode ?? committedCode(target));
        this.pending--;
        if (this.pending === 0 && this.started) this.complete();
      },
    };
    this.waits.push(wait);
    target.commitWaiters.add(wait, target.highWatermark);
  }

  /** Arms the timeout (`timeoutMs`, the request's); completes at once when nothing waits any more. */
  start(scheduler: Pick<Scheduler, 'schedule'>, timeoutMs: number): void {
    this.started = true;
    if (this.pending === 0) {
      this.complete();
      return;
    }
    this.timer = scheduler.schedule(Math.max(0, timeoutMs), () => this.expire());
  }

  /** The timeout fired: every wait still pending leaves its queue and gets REQUEST_TIMED_OUT. */
  private expire(): void {
    this.timer = null;
    if (this.completed) return;
    for (const w of this.waits) {
      if (w.done) continue;
      w.target.commitWaiters.remove(w);
      w.settle(ErrorCode.REQUEST_TIMED_OUT);
    }
    this.complete();
  }

  private complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.timer?.cancel();
    this.timer = null;
    this.onComplete();
  }
}

/**
 * A single append's commit as a promise (coordinator writes): resolves when committed, rejects
 * with the error code given to `toError` otherwise (NOT_ENOUGH_REPLICAS_AFTER_APPEND,
 * NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT after `timeoutMs`).
 */
export function commitPromise(target: CommitTarget, requiredOffset: number, scheduler: Pick<Scheduler, 'schedule'>, timeoutMs: number, toError: (errorCode: number) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    let code: number = ErrorCode.NONE;
    const d = new DelayedCommit(() => (code === ErrorCode.NONE ? resolve() : reject(toError(code))));
    d.add(target, requiredOffset, (c) => void (code = c));
    d.start(scheduler, timeoutMs);
  });
}
