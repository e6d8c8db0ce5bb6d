/**
 * The copy of a partition's directory into a future replica in another log dir, bounded by
 * `replica.alter.log.dirs.io.max.bytes.per.second` (AlterReplicaLogDirs).
 *
 * Kafka's rule: AlterReplicaLogDirs creates a future replica `<topic>-<p>.<uuid>-future` in the
 * destination dir; a ReplicaAlterLogDirsThread fills it while the current replica keeps serving,
 * at most replica.alter.log.dirs.io.max.bytes.per.second (a broker config, dynamic, unbounded by
 * default), and once it has caught up the future replica replaces the current one.
 * Samsa's deviation: the future replica is filled by copying the current replica's files (not by
 * fetching records), in chunks paced to the rate (read at every chunk, so a new value applies at
 * once), while the partition keeps serving from its current dir. The swap (finish()) runs with the
 * log closed: files the copy already has unchanged are kept, a segment that only grew gets its new
 * tail, anything else (an index, a cleaned or truncated segment, a producer snapshot) is copied
 * whole, and files gone from the source are dropped; that last step is not throttled.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './fs-util.js';

interface CopiedFile {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

const MAX_CHUNK = 256 * 1024;
const MIN_CHUNK = 1024;
/** A segment whose tail changed while it was copied is checked over this many bytes before appending to it. */
const TAIL_CHECK = 4096;

/** A move in progress: the partition, the dir it goes to, and its copy. */
export interface FutureReplica {
  readonly topic: string;
  readonly partition: number;
  readonly dest: string;
  readonly copy: FutureReplicaCopy;
}

export interface FutureReplicaCopyOptions {
  /** Bytes per second now (Number.MAX_SAFE_INTEGER or more: unbounded). */
  readonly rate: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Checked at every chunk: false (the broker stops, the partition went away) ends the copy. */
  readonly wanted: () => boolean;
}

export class FutureReplicaCopy {
  private readonly copied = new Map<string, CopiedFile>();
  private cancelled = false;
  /** Bytes copied by run() (the throttled part). */
  bytes = 0;

  constructor(
    readonly source: string,
    readonly future: string,
    private readonly opts: FutureReplicaCopyOptions,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }

  get isCancelled(): boolean {
    return this.cancelled || !this.opts.wanted();
  }

  /** Copies every file of the source into the future dir (created), paced to the rate. False if cancelled. */
  async run(): Promise<boolean> {
    await fs.promises.mkdir(this.future, { recursive: true });
    let windowStart = performance.now();
    let windowBytes = 0;
    let windowRate = this.opts.rate();
    for (const name of (await fs.promises.readdir(this.source)).sort()) {
      if (this.isCancelled) return false;
      const from = join(this.source, name);
      let st: fs.Stats;
      let src: fs.promises.FileHandle;
      try {
        src = await fs.promises.open(from, 'r');
        st = await src.stat();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile (retention)
        throw e;
      }
      if (!st.isFile()) {
        await src.close();
        continue;
      }
      const dst = await fs.promises.open(join(this.future, name), 'w');
      try {
        let pos = 0;
        while (pos < st.size) {
          if (this.isCancelled) return false;
          const rate = this.opts.rate();
          if (rate !== windowRate) {
            windowRate = rate;
            windowStart = performance.now();
            windowBytes = 0;
          }
          const bounded = rate < Number.MAX_SAFE_INTEGER;
          const chunk = bounded ? Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, Math.floor(rate / 10))) : MAX_CHUNK;
          const buf = Buffer.allocUnsafe(Math.min(chunk, st.size - pos));
          const { bytesRead } = await src.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) break; // truncated meanwhile: finish() copies it whole
          await dst.write(buf, 0, bytesRead, pos);
          pos += bytesRead;
          this.bytes += bytesRead;
          windowBytes += bytesRead;
          if (bounded) {
            const ahead = (windowBytes / rate) * 1000 - (performance.now() - windowStart);
            if (ahead > 0) await this.opts.sleep(ahead);
          }
        }
        await dst.sync();
        this.copied.set(name, { ino: st.ino, size: pos === st.size ? st.size : -1, mtimeMs: st.mtimeMs });
      } finally {
        await dst.close();
        await src.close();
      }
    }
    return !this.isCancelled;
  }

  /** With the log closed: brings the future dir level with the source (see the header); synchronous. */
  finish(): void {
    const names = new Set<string>();
    for (const name of fs.readdirSync(this.source)) {
      const from = join(this.source, name);
      const st = fs.statSync(from);
      if (!st.isFile()) continue;
      names.add(name);
      const to = join(this.future, name);
      const c = this.copied.get(name);
      if (c !== undefined && c.ino === st.ino && c.size === st.size && c.mtimeMs === st.mtimeMs) continue;
      if (c !== undefined && c.ino === st.ino && c.size >= 0 && st.size > c.size && name.endsWith('.log') && sameTail(from, to, c.size)) appendTail(from, to, c.size, st.size);
      else {
        fs.copyFileSync(from, to);
        syncFile(to);
      }
    }
    for (const name of fs.readdirSync(this.future)) if (!names.has(name)) fs.rmSync(join(this.future, name), { force: true, recursive: true });
    fsyncDir(this.future);
  }

  /** Removes the future dir (a cancelled or failed move). */
  discard(): void {
    fs.rmSync(this.future, { recursive: true, force: true });
  }
}

function syncFile(path: string): void {
  const fd = fs.openSync(path, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the last bytes the copy has of a segment are still those of the source (it only grew since). */
function sameTail(from: string, to: string, size: number): boolean {
  const n = Math.min(TAIL_CHECK, size);
  const a = Buffer.alloc(n);
  const b = Buffer.alloc(n);
  const fa = fs.openSync(from, 'r');
  const fb = fs.openSync(to, 'r');
  try {
    return fs.readSync(fa, a, 0, n, size - n) === n && fs.readSync(fb, b, 0, n, size - n) === n && a.equals(b);
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

function appendTail(from: string, to: string, start: number, end: number): void {
  const fa = fs.openSync(from, 'r');
  const fb = fs.openSync(to, 'r+');
  try {
    fs.ftruncateSync(fb, start);
    const buf = Buffer.allocUnsafe(Math.min(MAX_CHUNK * 4, end - start));
    for (let pos = start; pos < end; ) {
      const n = fs.readSync(fa, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n === 0) break;
      fs.writeSync(fb, buf, 0, n, pos);
      pos += n;
    }
    fs.fsyncSync(fb);
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}
