/**
 * The `.lock` file of a log directory. Kafka takes an OS file lock (FileChannel.tryLock) on
 * `<log.dir>/.lock` before reading the directory and refuses to start when another process holds
 * it; the OS drops the lock when the holder dies.
 * Samsa deviation: Node has no flock, so the lock is the file's content: the holder's pid, its
 * process start time (from /proc/<pid>/stat, so a reused pid is not mistaken for the holder) and
 * hostname. A lock whose holder no longer runs (kill -9) is stale and taken over. Locks held by
 * brokers in this process are kept in an in-process registry too (several embedded brokers in one
 * process must not share a directory either). A clean stop leaves the file marked `released`
 * (like Kafka, which never removes `.lock`). Known limit: two processes taking over the same
 * stale lock at the same instant can both succeed (there is no atomic compare-and-swap on a file).
 */
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { log as processLog, type Logger } from '../common/logger.js';

export const LOCK_FILE = '.lock';

/** Another broker holds the directory. */
export class LogDirLockedError extends Error {
  constructor(readonly dir: string, readonly holderPid: number | null, holder: string) {
    super(`Failed to acquire lock on file ${LOCK_FILE} in ${dir}. A Samsa (Kafka) broker in another process or thread is using this directory: held by ${holder}.`);
    this.name = 'LogDirLockedError';
  }
}

interface Holder {
  pid: number;
  start: string;
  host: string;
}

/** The content of a lock file whose holder stopped cleanly. */
const RELEASED = 'released\n';

function readIfExists(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Replaces the file's content in place (same blocks) and fsyncs it. */
function overwrite(path: string, content: string): void {
  const fd = fs.openSync(path, 'r+');
  try {
    fs.writeSync(fd, content, 0);
    fs.ftruncateSync(fd, Buffer.byteLength(content));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Directories locked by this process (resolved paths). */
const heldHere = new Set<string>();

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); '' when unknown, null when not running. */
function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    return isAlive(pid) ? '' : null;
  }
  // The command name (field 2) is parenthesised and may hold spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? '';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): Holder | null {
  const get = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1];
  const pid = Number(get('pid'));
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { pid, start: get('start') ?? '', host: get('host') ?? '' };
}

function describe(h: Holder): string {
  return `pid ${h.pid} on host ${h.host === '' ? '?' : h.host}`;
}

/** Whether the process named by a lock file still runs (a different host's holder is assumed alive). */
function holderAlive(h: Holder): boolean {
  if (h.host !== '' && h.host !== hostname()) return true;
  const start = processStart(h.pid);
  if (start === null) return false;
  return h.start === '' || start === '' || start === h.start;
}

export interface DirLock {
  readonly dir: string;
  /** Marks the lock file released (when it still names this process) and drops the in-process entry. */
  release(): void;
}

/**
 * Locks `dir` (which must exist). Throws LogDirLockedError naming the holder when a live broker
 * (in this or another process) holds it; takes over a stale lock. Returns the lock and whether a
 * stale one was taken over (for the caller's log).
 */
export function lockLogDir(dir: string, logger: Logger = processLog): { lock: DirLock; tookOverFrom: string | null } {
  const key = resolve(dir);
  if (heldHere.has(key)) throw new LogDirLockedError(dir, process.pid, `another broker in this process (pid ${process.pid})`);
  const me: Holder = { pid: process.pid, start: processStart(process.pid) ?? '', host: hostname() };
  const content = `pid=${me.pid}\nstart=${me.start}\nhost=${me.host}\n`;
  const path = join(dir, LOCK_FILE);
  let tookOverFrom: string | null = null;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw e;
      const text = readIfExists(path);
      if (text === undefined) continue;
      const holder = parseHolder(text);
      const ours = holder !== null && holder.pid === me.pid && holder.host === me.host;
      // A file naming this process but not in the registry is left from a broker of this process that never stopped.
      if (holder !== null && !ours && holderAlive(holder)) throw new LogDirLockedError(dir, holder.pid, describe(holder));
      tookOverFrom = holder === null ? null : describe(holder);
      // Overwritten in place (no new space needed: a broker starts on a full disk); re-checked
      // just before, so a broker that took the stale lock meanwhile is not evicted.
      if (readIfExists(path) !== text) continue;
      overwrite(path, content);
      if (readIfExists(path) !== content) continue;
      break;
    }
    try {
      fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw e;
      logger.warn(`cannot write the holder into ${path} (disk full): the lock names no holder`);
    } finally {
      fs.closeSync(fd);
    }
    break;
  }
  heldHere.add(key);
  let released = false;
  return {
    tookOverFrom,
    lock: {
      dir,
      release(): void {
        if (released) return;
        released = true;
        heldHere.delete(key);
        // Marked released in place rather than removed: re-creating it must not need free space.
        try {
          if (readIfExists(path) === content) overwrite(path, RELEASED);
        } catch {
          // a stale lock naming a stopped process is taken over anyway
        }
      },
    },
  };
}
