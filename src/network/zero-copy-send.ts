/**
 * Zero-copy sends of Fetch answers (docs/zero-copy.md). Kafka writes a Fetch answer's record bytes
 * from the segment file to the socket with sendfile(2) (FileRecords.writeTo → transferTo), except
 * on TLS. Samsa does the same for answers whose records are placeholders (src/common/file-region.ts)
 * through the native addon native/crc32c/zero-copy.c:
 * - only on a plaintext TCP socket, and only when nothing else is queued on it (Node's write queue
 *   empty, so the bytes the addon writes straight to the descriptor cannot overtake earlier ones);
 *   the connection (connection.ts) writes no other answer until this one is sent;
 * - the addon writes without blocking and stops when the socket's send buffer is full. The next
 *   piece (the rest of a header chunk, or at most PIECE_BYTES of a region, read into the
 *   placeholder) is then written through Node's stream, which waits for the socket to be writable
 *   with libuv's own watcher; once Node has written it, the rest is sent from the file again. So a
 *   slow reader costs a copy of a piece per wait, never a second watcher on the descriptor;
 * - a region that cannot be read any more (the log truncated or closed since the read, the file
 *   gone) or a send error fails the answer: the connection is closed (a client cannot resync in
 *   the middle of a frame), as Kafka does when a FileRecords shrinks during a send.
 * Deviation: where the addon is not built (or not Linux), or the connection is TLS, placeholders
 * are filled with a read (materialize()) and written as before; nothing else changes.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { readSync } from 'node:fs';
import { fileRegionOf, forgetFileRegion, type FileRegion } from '../common/file-region.js';
import { socketAddon, socketFd } from './socket-addon.js';

type SendFunction = (socketFd: number, parts: Buffer[], fds: number[], positions: number[], skip: number) => number;

/** Bytes of a region written through Node's stream (copied) each time the socket's buffer is full. */
export const PIECE_BYTES = 64 * 1024;

const nativeSend = typeof socketAddon?.send === 'function' ? (socketAddon.send as SendFunction) : null;

/** Whether zero-copy sends are possible in this process (the addon is built and loaded). */
export const zeroCopyAvailable: boolean = nativeSend !== null;

/** The descriptor zero-copy sends may use for `socket`: -1 for TLS, a non-TCP handle, or no addon. */
export function zeroCopyFd(socket: Socket): number {
  if (nativeSend === null || socket instanceof TLSSocket) return -1;
  return socketFd(socket);
}

/** Reads `buf[from, to)` of a placeholder from its region; throws when the bytes cannot be had. */
function fill(buf: Buffer, from: number, to: number): void {
  const region = fileRegionOf(buf);
  if (region === undefined) return;
  const fd = region.fd();
  let done = from;
  while (done < to) {
    const n = readSync(fd, buf, done, to - done, region.position + done);
    if (n === 0) throw new Error(`short read of a file region (${done} of ${to} bytes)`);
    done += n;
  }
}

/** Fills every placeholder of `chunks` (they become ordinary buffers); throws when one cannot be read. */
export function materialize(chunks: readonly Buffer[]): void {
  for (const c of chunks) {
    if (fileRegionOf(c) === undefined) continue;
    fill(c, 0, c.length);
    forgetFileRegion(c);
  }
}

/**
 * Counters of zero-copy sends (bytes sent by the kernel from files, and copied when the socket was
 * full). A broker owns one, shared by its listeners' connections (never process-wide: several
 * brokers may run in one process).
 */
export interface ZeroCopyStats {
  answers: number;
  fileBytes: number;
  copiedBytes: number;
  waits: number;
}

export function newZeroCopyStats(): ZeroCopyStats {
  return { answers: 0, fileBytes: 0, copiedBytes: 0, waits: 0 };
}

/**
 * One answer being sent: `parts` (size prefix first), some of them placeholders. start() sends
 * what the socket takes now and continues on its own; `onDone` is called once, when every byte
 * is written (null) or the send failed (the caller closes the connection).
 */
export class ZeroCopySend {
  private sent = 0;
  private done = false;
  private readonly total: number;
  /** Each part's file region (undefined: a buffer sent as it is), looked up once. */
  private readonly regions: (FileRegion | undefined)[];

  constructor(
    private readonly socket: Socket,
    private readonly fd: number,
    private readonly parts: Buffer[],
    private readonly onDone: (err: Error | null) => void,
    private readonly stats: ZeroCopyStats,
  ) {
    let total = 0;
    for (const p of parts) total += p.length;
    this.total = total;
    this.regions = parts.map(fileRegionOf);
    stats.answers++;
  }

  start(): void {
    this.pump();
  }

  private pump(): void {
    if (this.done) return;
    const send = nativeSend as SendFunction;
    const fds: number[] = [];
    const positions: number[] = [];
    let n: number;
    try {
      for (const region of this.regions) {
        fds.push(region === undefined ? -1 : region.fd());
        positions.push(region === undefined ? 0 : region.position);
      }
      // Asking for a region's descriptor may open its segment and make the fd cache close
      // another's, whose number a later open may then reuse: asked again, every descriptor must
      // be the same (nothing opened this time, so nothing closed), or the send fails rather than
      // send another file's bytes.
      this.regions.forEach((region, i) => {
        if (region !== undefined && region.fd() !== fds[i]) throw new Error('a segment descriptor changed while the answer was being sent');
      });
      const before = this.sent;
      n = send(this.fd, this.parts, fds, positions, this.sent);
      if (n < 0) throw new Error(`zero-copy send failed (errno ${-n})`);
      this.sent += n;
      this.countFileBytes(before, this.sent);
    } catch (e) {
      return this.finish(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.sent >= this.total) return this.finish(null);
    // The socket's send buffer is full: the next piece goes through Node's stream, which waits
    // until the socket is writable; once it is written the rest goes from the file again.
    let piece: Buffer;
    try {
      piece = this.nextPiece();
    } catch (e) {
      return this.finish(e instanceof Error ? e : new Error(String(e)));
    }
    this.stats.waits++;
    this.socket.write(piece, (err) => {
      if (err) return this.finish(err);
      this.sent += piece.length;
      if (this.sent >= this.total) this.finish(null);
      else this.pump();
    });
  }

  /** The rest of the current buffer part, or up to PIECE_BYTES of the current region (read now). */
  private nextPiece(): Buffer {
    let skip = this.sent;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i] as Buffer;
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      if (this.regions[i] === undefined) return p.subarray(skip);
      const end = Math.min(p.length, skip + PIECE_BYTES);
      fill(p, skip, end);
      this.stats.copiedBytes += end - skip;
      return p.subarray(skip, end);
    }
    throw new Error('nothing left to send');
  }

  /** Adds the region bytes among [from, to) of the answer to the stats. */
  private countFileBytes(from: number, to: number): void {
    let at = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const end = at + (this.parts[i] as Buffer).length;
      if (end > from && at < to && this.regions[i] !== undefined) this.stats.fileBytes += Math.min(end, to) - Math.max(at, from);
      at = end;
      if (at >= to) break;
    }
  }

  private finish(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    for (const p of this.parts) forgetFileRegion(p);
    this.onDone(err);
  }
}
