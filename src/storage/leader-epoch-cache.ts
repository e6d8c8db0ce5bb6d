/**
 * Leader epoch → start offset history of a partition (Kafka's LeaderEpochFileCache), persisted to
 * `leader-epoch-checkpoint` on every change. Used for OffsetsForLeaderEpoch and follower truncation.
 */
import { join } from 'node:path';
import { type EpochEntry, LeaderEpochCheckpointFile } from './checkpoint-file.js';
import { LEADER_EPOCH_CHECKPOINT } from './file-names.js';

export type { EpochEntry } from './checkpoint-file.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private epochs: EpochEntry[];
  private readonly checkpoint: LeaderEpochCheckpointFile;
  /** The file's content as last read or written. */
  private onDisk = '';
  /** The entries differ from the file (see truncateFromEndAtLoad). */
  private pendingWrite = false;

  /** Loads `<dir>/leader-epoch-checkpoint` (a corrupt file is treated as empty: epochs are re-learnt). */
  constructor(
    dir: string,
    private readonly logEndOffset: () => number,
  ) {
    this.checkpoint = new LeaderEpochCheckpointFile(join(dir, LEADER_EPOCH_CHECKPOINT));
    let loaded: EpochEntry[];
    try {
      loaded = this.checkpoint.read();
      this.onDisk = this.checkpoint.render(loaded);
    } catch {
      loaded = [];
    }
    this.epochs = [];
    for (const e of loaded) if (e.epoch >= 0 && e.startOffset >= 0) this.insert(e);
  }

  /** Snapshot of the entries, oldest first. */
  entries(): readonly EpochEntry[] {
    return this.epochs.slice();
  }

  /** Latest epoch, -1 when none. */
  latestEpoch(): number {
    const last = this.epochs[this.epochs.length - 1];
    return last === undefined ? UNDEFINED_EPOCH : last.epoch;
  }

  latestEntry(): EpochEntry | undefined {
    return this.epochs[this.epochs.length - 1];
  }

  earliestEntry(): EpochEntry | undefined {
    return this.epochs[0];
  }

  /** Records that `epoch` starts at `startOffset`; drops entries it contradicts. Persists when changed. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || startOffset < 0) return;
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return this.writePending();
    this.insert({ epoch, startOffset });
    // No fsync for a new epoch (as Kafka since 3.7): a lost entry is rebuilt from the batches'
    // partition leader epochs when the log is recovered. Truncations below still fsync.
    this.write(false);
  }

  /** Writes the entries unless the file already holds them. */
  private write(sync: boolean): void {
    const content = this.checkpoint.render(this.epochs);
    this.pendingWrite = false;
    if (content === this.onDisk) return;
    this.checkpoint.writeRendered(content, sync);
    this.onDisk = content;
  }

  private insert(entry: EpochEntry): void {
    // Kafka: remove entries with epoch >= new epoch or start offset >= new start offset.
    while (this.epochs.length > 0) {
      const last = this.epochs[this.epochs.length - 1] as EpochEntry;
      if (last.epoch >= entry.epoch || last.startOffset >= entry.startOffset) this.epochs.pop();
      else break;
    }
    this.epochs.push(entry);
  }

  /**
   * End offset of `requestedEpoch` (OffsetsForLeaderEpoch): the start offset of the next higher
   * epoch, or the log end offset for the latest epoch. Unknown (higher than latest) epochs give
   * {epoch: -1, endOffset: -1}.
   */
  endOffsetFor(requestedEpoch: number): { epoch: number; endOffset: number } {
    if (requestedEpoch === UNDEFINED_EPOCH) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const latest = this.latestEntry();
    if (latest !== undefined && latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: this.logEndOffset() };
    let floor: EpochEntry | undefined;
    let higher: EpochEntry | undefined;
    for (const e of this.epochs) {
      if (e.epoch <= requestedEpoch) floor = e;
      else {
        higher = e;
        break;
      }
    }
    if (higher === undefined) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (floor === undefined) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: floor.epoch, endOffset: higher.startOffset };
  }

  /** Epoch that covers `offset` (-1 when before the first entry or no entries). */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.epochs) {
      if (e.startOffset <= offset) epoch = e.epoch;
      else break;
    }
    return epoch;
  }

  /** Removes entries starting at or after `endOffset` (log truncation). */
  truncateFromEnd(endOffset: number): void {
    if (endOffset < 0) return;
    const before = this.epochs.length;
    while (this.epochs.length > 0 && (this.epochs[this.epochs.length - 1] as EpochEntry).startOffset >= endOffset) this.epochs.pop();
    if (this.epochs.length !== before) this.flush();
  }

  /**
   * At log load: Kafka's truncateFromEnd(log end offset), in memory only. The file is rewritten
   * when the cache next changes or before the first append (appendPending), and not at all when
   * the leader then records the same entry again: an empty partition's entry (epoch, 0) is dropped
   * here and put back by the Partition, which cost two rewrites with fsyncs per empty partition at
   * every start (8 s for 1,000 partitions on this VM). Safe: a load repeats the same truncation
   * while the log end is unchanged, and every append first writes what is pending.
   */
  truncateFromEndAtLoad(endOffset: number): void {
    if (endOffset < 0) return;
    const before = this.epochs.length;
    while (this.epochs.length > 0 && (this.epochs[this.epochs.length - 1] as EpochEntry).startOffset >= endOffset) this.epochs.pop();
    if (this.epochs.length !== before) this.pendingWrite = true;
  }

  /** Whether the file lags the entries (a load-time truncation not written yet). */
  get hasPendingWrite(): boolean {
    return this.pendingWrite;
  }

  /** Writes a pending load-time truncation (before the log grows past the entries it removed). */
  writePending(): void {
    if (this.pendingWrite) this.write(false);
  }

  /** Drops entries wholly before `startOffset`; the one covering it is moved to start there. */
  truncateFromStart(startOffset: number): void {
    let i = 0;
    while (i < this.epochs.length && (this.epochs[i] as EpochEntry).startOffset <= startOffset) i++;
    if (i === 0) return;
    const covering = this.epochs[i - 1] as EpochEntry;
    if (i === 1 && covering.startOffset === startOffset) return;
    this.epochs = [{ epoch: covering.epoch, startOffset }, ...this.epochs.slice(i)];
    this.flush();
  }

  clearAndFlush(): void {
    this.epochs = [];
    this.flush();
  }

  flush(): void {
    this.write(true);
  }
}
