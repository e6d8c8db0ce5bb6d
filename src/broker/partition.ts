/**
 * One partition hosted by this broker: its log, leader epoch and watermarks, and the waiters
 * (delayed fetches) to wake when data arrives. Single-broker for now: this broker is always the
 * leader and the ISR is itself, so the high watermark follows the log end offset.
 */
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';

export type AppendListener = (partition: Partition) => void;

/** Topic-level settings the broker (not the log) enforces. */
export interface TopicSettings {
  maxMessageBytes: number;
}

export class Partition {
  leaderEpoch: number;
  private readonly listeners = new Set<AppendListener>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    leaderEpoch: number,
    public settings: TopicSettings,
  ) {
    this.leaderEpoch = leaderEpoch;
    if (log.leaderEpochs.latestEpoch() < leaderEpoch) log.leaderEpochs.assign(leaderEpoch, log.logEndOffset);
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /** Offset up to which read_committed consumers may read. Transactions are not tracked yet. */
  get lastStableOffset(): number {
    return this.log.highWatermark;
  }

  appendAsLeader(records: Buffer): AppendResult {
    const result = this.log.appendAsLeader(records, this.leaderEpoch);
    this.log.highWatermark = this.log.logEndOffset;
    this.notify();
    return result;
  }

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    if (this.listeners.size === 0) return;
    for (const l of [...this.listeners]) l(this);
  }
}
