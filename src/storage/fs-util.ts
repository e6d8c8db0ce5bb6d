/** Small synchronous file helpers shared by the storage classes. */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

/** Reads up to `length` bytes at `position`, looping over short reads; returns bytes read (less only at EOF). */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes all `length` bytes at `position`, looping over short writes. */
export function writeFully(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    done += fs.writeSync(fd, buf, offset + done, length - done, position + done);
  }
}

/** fsync a directory so renames/creations in it are durable. Best effort on platforms without dir fsync. */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms/filesystems refuse fsync on directories.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Writes `data` to `path` atomically: tmp file, fsync, rename, fsync of the directory. */
export function atomicWriteFile(path: string, data: string, sync = true): void {
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  if (sync) fsyncDir(dirname(path));
}

/**
 * Background fsyncs hold an fd from open to close; at most this many are in flight at once
 * (thousands of partitions rolling or recovering together must not exhaust the fd limit).
 */
const MAX_ASYNC_FSYNCS = 16;
let asyncFsyncsInFlight = 0;
let asyncFsyncQueue: (() => void)[] = [];
let asyncFsyncQueueHead = 0;

/** The next queued fsync (a head index, so draining a long queue stays linear). */
function nextQueuedFsync(): (() => void) | undefined {
  if (asyncFsyncQueueHead >= asyncFsyncQueue.length) return undefined;
  const next = asyncFsyncQueue[asyncFsyncQueueHead++];
  if (asyncFsyncQueueHead >= 1024 && asyncFsyncQueueHead * 2 >= asyncFsyncQueue.length) {
    asyncFsyncQueue = asyncFsyncQueue.slice(asyncFsyncQueueHead);
    asyncFsyncQueueHead = 0;
  }
  return next;
}

function runAsyncFsync(path: string, done: (err: Error | null) => void): void {
  if (asyncFsyncsInFlight >= MAX_ASYNC_FSYNCS) {
    asyncFsyncQueue.push(() => runAsyncFsync(path, done));
    return;
  }
  asyncFsyncsInFlight++;
  const finish = (err: Error | null): void => {
    asyncFsyncsInFlight--;
    const next = nextQueuedFsync();
    if (next !== undefined) next();
    done(err);
  };
  fs.open(path, 'r', (openErr, fd) => {
    if (openErr !== null) {
      // A file deleted or renamed meanwhile needs no flushing.
      finish(openErr.code === 'ENOENT' ? null : openErr);
      return;
    }
    fs.fsync(fd, (syncErr) => {
      fs.close(fd, () => finish(syncErr));
    });
  });
}

/** fsync the given files (and their directory) off the event loop, a bounded number at a time; `done` gets the first error, if any. */
export function fsyncFilesAsync(paths: readonly string[], done: (err: Error | null) => void): void {
  let pending = paths.length;
  let firstError: Error | null = null;
  if (pending === 0) {
    done(null);
    return;
  }
  const finish = (err: Error | null): void => {
    if (err !== null && firstError === null) firstError = err;
    if (--pending === 0) done(firstError);
  };
  for (const p of paths) runAsyncFsync(p, finish);
}

export function fileSizeOrZero(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

export function unlinkIfExists(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function renameIfExists(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return false;
  }
}
