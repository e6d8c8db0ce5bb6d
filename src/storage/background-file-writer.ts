/**
 * Atomic replacement of one small file (a checkpoint) off the event loop.
 *
 * Kafka writes its periodic checkpoints (replication-offset-checkpoint every
 * replica.high.watermark.checkpoint.interval.ms, recovery points and log start offsets every
 * log.flush.*.checkpoint.interval.ms) on scheduler threads, never on the request path: temp file,
 * fsync, rename, fsync of the directory. Samsa has one JavaScript thread, so the same steps run on
 * libuv's thread pool here: a synchronous fsync on a busy disk takes from a few to tens of
 * milliseconds, and every Produce and Fetch behind it waits (a latency tail every five seconds).
 *
 * Rules of this writer (one per file path):
 * - one background write at a time; content asked for while one runs replaces any older pending
 *   content and is written next (only the newest matters);
 * - the background write uses its own temp name (`<file>.bg.tmp`) and is renamed into place on
 *   the event loop, so it cannot interleave with a synchronous write (`writeSync`, used at
 *   shutdown and where the caller needs the file durable at once);
 * - that rename never frees the replaced file's blocks on the event loop: the thread pool first
 *   gives the current file a second name (`<file>.bg.old`, a hard link), so the rename only drops
 *   one of two links, and the thread pool then unlinks `<file>.bg.old`, where the inode is evicted.
 *   Freeing a file's blocks is not a metadata-only step: on ext4 mounted with `discard` the
 *   eviction issues and waits for a discard of those blocks (measured 0.3 ms on an idle disk and
 *   6–32 ms on a busy one, every high watermark checkpoint, i.e. every 5 s, during steady produce);
 * - a synchronous write supersedes the background write in flight and anything pending: that one
 *   is dropped instead of renamed (it would put older content over newer);
 * - `idle()` resolves when nothing is in flight (the owner waits for it at shutdown, so no write
 *   runs after a data directory is handed back).
 * Deviation: none in what lands on disk; a crash between the background fsync and the rename
 * leaves the previous checkpoint, as a crash before Kafka's scheduler thread ran would; a leftover
 * `<file>.bg.tmp` is overwritten by the next background write and a leftover `<file>.bg.old` (a
 * second name of an older checkpoint) is removed by it.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { atomicWriteFile } from './fs-util.js';

/** What becomes of a background write. `err` null: the content is in place (and durable). */
export type BackgroundWriteDone = (err: NodeJS.ErrnoException | null, content: string) => void;

export class BackgroundFileWriter {
  private inFlight: string | null = null;
  private pending: string | null = null;
  /** Bumped by every synchronous write: a background write started under an older value is dropped. */
  private generation = 0;
  private waiters: (() => void)[] = [];
  readonly tmpPath: string;
  /** The second name the replaced file holds while the rename runs (its blocks are freed off the loop). */
  readonly oldPath: string;

  constructor(
    readonly path: string,
    private readonly done: BackgroundWriteDone,
  ) {
    this.tmpPath = `${path}.bg.tmp`;
    this.oldPath = `${path}.bg.old`;
  }

  /** Whether a background write runs now. */
  get busy(): boolean {
    return this.inFlight !== null;
  }

  /** The content in flight or pending (the newest asked for and not yet in place), null when none. */
  get unsettled(): string | null {
    return this.pending ?? this.inFlight;
  }

  /** Replaces the file with `content` off the event loop (after the write in flight, if any). */
  write(content: string): void {
    if (this.inFlight !== null) {
      this.pending = content;
      return;
    }
    this.start(content);
  }

  /** Replaces the file now (tmp, fsync, rename, fsync of the directory); drops background writes. */
  writeSync(content: string, sync = true): void {
    this.generation++;
    this.pending = null;
    atomicWriteFile(this.path, content, sync);
  }

  /** Resolves once no background write is in flight or pending. */
  idle(): Promise<void> {
    if (this.inFlight === null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private start(content: string): void {
    this.inFlight = content;
    const generation = this.generation;
    const finish = (err: NodeJS.ErrnoException | null): void => {
      this.inFlight = null;
      // Superseded by a synchronous write: nothing to report (that write put newer content in place).
      if (generation === this.generation) this.done(err, content);
      const next = this.pending;
      this.pending = null;
      if (next !== null) {
        this.start(next);
        return;
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
    fs.open(this.tmpPath, 'w', (openErr, fd) => {
      if (openErr !== null) {
        finish(generation !== this.generation ? null : openErr);
        return;
      }
      fs.write(fd, content, (writeErr) => {
        if (writeErr !== null) {
          fs.close(fd, () => finish(generation !== this.generation ? null : writeErr));
          return;
        }
        fs.fsync(fd, (syncErr) => {
          fs.close(fd, () => {
            if (generation !== this.generation) {
              // A synchronous write replaced the file meanwhile: this older content stays out.
              fs.unlink(this.tmpPath, () => finish(null));
              return;
            }
            if (syncErr !== null) {
              finish(syncErr);
              return;
            }
            this.holdReplaced(() => {
              if (generation !== this.generation) {
                fs.unlink(this.tmpPath, () => fs.unlink(this.oldPath, () => finish(null)));
                return;
              }
              try {
                fs.renameSync(this.tmpPath, this.path);
              } catch (e) {
                fs.unlink(this.oldPath, () => finish(e as NodeJS.ErrnoException));
                return;
              }
              // The replaced inode's last name goes here, on the thread pool: its blocks are freed there.
              fs.unlink(this.oldPath, () => fsyncDirAsync(dirname(this.path), finish));
            });
          });
        });
      });
    });
  }

  /**
   * Links the file now in place to `oldPath` (after removing a leftover one), all on the thread
   * pool; `then` runs either way: without the link the rename still works, it only frees the
   * replaced blocks itself (the first write of a file replaces nothing).
   */
  private holdReplaced(then: () => void): void {
    fs.unlink(this.oldPath, () => fs.link(this.path, this.oldPath, () => then()));
  }
}

/** fsync of a directory off the event loop; platforms that refuse it are not an error (as fsyncDir). */
function fsyncDirAsync(dir: string, done: (err: NodeJS.ErrnoException | null) => void): void {
  fs.open(dir, 'r', (openErr, fd) => {
    if (openErr !== null) {
      done(null);
      return;
    }
    fs.fsync(fd, () => fs.close(fd, () => done(null)));
  });
}
