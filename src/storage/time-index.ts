/**
 * Sparse time index: 12-byte entries (int64 timestamp, int32 offset relative to the segment base).
 * Entry (T, O): T is the largest batch max timestamp seen up to and including the batch whose
 * lastOffset is O, and that batch was the first to reach T. Timestamps strictly increase.
 */
import { CorruptIndexError } from '../common/errors.js';
import { AbstractIndex } from './abstract-index.js';
import { readInt64, writeInt64 } from './int64.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex extends AbstractIndex {
  constructor(file: string, baseOffset: number, maxIndexSize: number) {
    super(file, baseOffset, maxIndexSize, TIME_INDEX_ENTRY_SIZE);
  }

  private readonly tsKey = (i: number): number => readInt64(this.mem, i * TIME_INDEX_ENTRY_SIZE);
  private readonly relKey = (i: number): number => this.mem.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);

  /** Like Kafka, the last slot is reserved for the entry appended when the segment rolls. */
  override isFull(): boolean {
    return this.count >= this.maxEntries - 1;
  }

  timestampAt(i: number): number {
    return readInt64(this.mem, i * TIME_INDEX_ENTRY_SIZE);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.mem.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
  }

  /** Timestamp of the last entry, -1 when empty. */
  lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestampAt(this.count - 1);
  }

  /** Offset of the last entry, the base offset when empty. */
  lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.offsetAt(this.count - 1);
  }

  /** Appends (timestamp, offset) if timestamp is larger than the last entry's. */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    if (this.count > 0 && timestamp <= this.lastTimestamp()) return;
    if (timestamp < 0) return;
    if (!skipFullCheck && this.isFull()) throw new CorruptIndexError(`time index ${this.file} is full`, { file: this.file });
    if (this.count >= this.maxEntries) return;
    const rel = offset - this.baseOffset;
    if (this.count > 0 && rel < this.relKey(this.count - 1)) {
      throw new CorruptIndexError(`time index append of offset ${offset} below last entry ${this.lastOffset()} in ${this.file}`, { file: this.file });
    }
    const at = this.slotForAppend();
    writeInt64(this.mem, timestamp, at);
    this.mem.writeInt32BE(rel, at + 8);
    this.commitAppend();
  }

  /** Slot of the last entry whose timestamp is strictly below `ts` (-1 if none). */
  slotBefore(ts: number): number {
    return this.largestLowerBound(ts - 1, this.tsKey);
  }

  /** Removes all entries with offset >= `offset`. */
  truncateTo(offset: number): void {
    this.truncateToEntries(this.largestLowerBound(offset - 1 - this.baseOffset, this.relKey) + 1);
  }

  reset(): void {
    this.initEmpty();
  }

  protected sanityCheck(_logSize: number): void {
    let prevTs = -Infinity;
    let prevRel = 0;
    for (let i = 0; i < this.count; i++) {
      const ts = this.tsKey(i);
      const rel = this.relKey(i);
      if (ts <= prevTs || rel < prevRel || ts < 0) {
        throw new CorruptIndexError(`corrupt time index ${this.file}: entry ${i} (${ts}, ${rel}) after (${prevTs}, ${prevRel})`, { file: this.file });
      }
      prevTs = ts;
      prevRel = rel;
    }
  }
}
