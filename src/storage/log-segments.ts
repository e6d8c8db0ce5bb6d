/**
 * The ordered segment list of one partition (Kafka's LogSegments) plus delayed deletion of removed
 * segments: files are renamed to `*.deleted` and unlinked after file.delete.delay.ms.
 */
import * as fs from 'node:fs';
import { systemScheduler, type Scheduler, type TimerHandle } from '../common/scheduler.js';
import { unlinkIfExists } from './fs-util.js';
import { floorSegmentIndex } from './recovery.js';
import type { Segment } from './segment.js';

export class LogSegments {
  private list: Segment[];
  private _size = 0;
  private readonly pendingDeletes = new Map<TimerHandle, string[]>();

  constructor(segments: Segment[], private readonly scheduler: Scheduler = systemScheduler) {
    this.list = segments;
    for (const s of segments) this._size += s.size;
  }

  /** The live array (sorted by base offset); mutate only through this class. */
  get all(): readonly Segment[] {
    return this.list;
  }

  /** The mutable array, for recovery which may drop trailing segments. */
  get mutable(): Segment[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  /** Total bytes of all segment logs. */
  get size(): number {
    return this._size;
  }

  get first(): Segment {
    return this.list[0] as Segment;
  }

  get last(): Segment {
    return this.list[this.list.length - 1] as Segment;
  }

  at(i: number): Segment | undefined {
    return this.list[i];
  }

  /** Index of the segment holding `offset` (the last with baseOffset <= offset; 0 if none). */
  floorIndex(offset: number): number {
    return floorSegmentIndex(this.list, offset);
  }

  add(seg: Segment): void {
    this.list.push(seg);
    this._size += seg.size;
  }

  /** Size bookkeeping after an append or truncation of a segment. */
  grew(bytes: number): void {
    this._size += bytes;
  }

  /** Removes segments [from, end) and deletes them after `delayMs`. */
  deleteFrom(from: number, delayMs: number): void {
    for (const s of this.list.splice(from)) this.deleteSegment(s, delayMs);
  }

  /** Removes the `n` oldest segments and deletes them after `delayMs`. */
  deleteOldest(n: number, delayMs: number): void {
    for (const s of this.list.splice(0, n)) this.deleteSegment(s, delayMs);
  }

  /**
   * The cleaner's swap. Checks that `old` is still a contiguous run of inactive segments (else
   * returns false, nothing done), runs `commit()`, removes `old` (renamed to `*.deleted`, deleted
   * after `delayMs`), then `install()` puts the cleaned segment's file in place and opens it, and
   * it takes their position in the list.
   */
  replace(old: readonly Segment[], commit: () => void, install: () => Segment, delayMs: number): boolean {
    const first = old[0];
    if (first === undefined) return false;
    const at = this.list.indexOf(first);
    if (at < 0 || at + old.length >= this.list.length) return false;
    for (let i = 0; i < old.length; i++) if (this.list[at + i] !== old[i]) return false;
    commit();
    this.list.splice(at, old.length);
    for (const s of old) this.deleteSegment(s, delayMs);
    const seg = install();
    this.list.splice(at, 0, seg);
    this._size += seg.size;
    return true;
  }

  /** Drops an empty active segment without delay (it is about to be replaced). */
  dropLastEmpty(): void {
    const s = this.list.pop();
    if (s !== undefined) s.deleteNow();
  }

  private deleteSegment(seg: Segment, delayMs: number): void {
    this._size -= seg.size;
    const paths = seg.renameForDeletion();
    if (delayMs <= 0) {
      for (const p of paths) unlinkIfExists(p);
      return;
    }
    const timer = this.scheduler.schedule(delayMs, () => {
      this.pendingDeletes.delete(timer);
      for (const p of paths) fs.rm(p, { force: true }, () => {});
    });
    this.pendingDeletes.set(timer, paths);
  }

  /** Closes every segment and performs pending deletions now. Throws the first close error. */
  closeAll(): void {
    let firstError: unknown;
    for (const s of this.list) {
      try {
        s.close();
      } catch (e) {
        firstError ??= e;
      }
    }
    for (const [timer, paths] of this.pendingDeletes) {
      timer.cancel();
      for (const p of paths) {
        try {
          unlinkIfExists(p);
        } catch {
          // left for the next load, which removes *.deleted files
        }
      }
    }
    this.pendingDeletes.clear();
    if (firstError !== undefined) throw firstError;
  }
}
