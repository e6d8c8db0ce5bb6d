/**
 * Sparse offset index: 8-byte entries (int32 offset relative to the segment base, int32 file
 * position of the batch). Like Kafka, an entry names a batch's lastOffset and the position where
 * that batch starts; lookups return the position to start scanning from.
 */
import { CorruptIndexError } from '../common/errors.js';
import { AbstractIndex } from './abstract-index.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export class OffsetIndex extends AbstractIndex {
  constructor(file: string, baseOffset: number, maxIndexSize: number) {
    super(file, baseOffset, maxIndexSize, OFFSET_INDEX_ENTRY_SIZE);
  }

  private readonly relKey = (i: number): number => this.mem.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);

  /** Absolute offset of entry `i`. */
  offsetAt(i: number): number {
    return this.baseOffset + this.mem.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
  }

  positionAt(i: number): number {
    return this.mem.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
  }

  /** Offset of the last entry, or the base offset when empty. */
  lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.offsetAt(this.count - 1);
  }

  /** Position of the last entry, or 0 when empty. */
  lastPosition(): number {
    return this.count === 0 ? 0 : this.positionAt(this.count - 1);
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.count > 0 && rel <= this.relKey(this.count - 1)) {
      throw new CorruptIndexError(`offset index append of ${offset} not above last entry ${this.lastOffset()} in ${this.file}`, { file: this.file });
    }
    if (this.isFull()) throw new CorruptIndexError(`offset index ${this.file} is full`, { file: this.file });
    const at = this.slotForAppend();
    this.mem.writeInt32BE(rel, at);
    this.mem.writeInt32BE(position, at + 4);
    this.commitAppend();
  }

  /** Slot of the largest entry with offset <= target, or -1 (then scan from position 0). */
  lookupSlot(target: number): number {
    return this.largestLowerBound(target - this.baseOffset, this.relKey);
  }

  /** The largest position of an entry (a batch start) at most `position`; -1 when none. */
  batchStartAtOrBelow(position: number): number {
    const slot = this.largestLowerBound(position, (i) => this.positionAt(i));
    return slot < 0 ? -1 : this.positionAt(slot);
  }

  /** File position to start scanning from to find `target`. */
  lookupPosition(target: number): number {
    const slot = this.lookupSlot(target);
    return slot < 0 ? 0 : this.positionAt(slot);
  }

  /** Removes all entries with offset >= `offset`. */
  truncateTo(offset: number): void {
    this.truncateToEntries(this.lookupSlot(offset - 1) + 1);
  }

  reset(): void {
    this.initEmpty();
  }

  protected sanityCheck(logSize: number): void {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.mem.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const pos = this.mem.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize) {
        throw new CorruptIndexError(
          `corrupt offset index ${this.file}: entry ${i} (relative offset ${rel}, position ${pos}) after (${prevRel}, ${prevPos}), log size ${logSize}`,
          { file: this.file },
        );
      }
      prevRel = rel;
      prevPos = pos;
    }
  }
}
