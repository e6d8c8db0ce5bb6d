/**
 * Reads Kafka frames (int32 size prefix + payload) from a socket straight into their final
 * buffers, using the socket's user-buffer read mode (`onread`): the kernel copies each byte once,
 * into the buffer the request handler will see, and no frame is assembled from chunks.
 *
 * Small frames are read into a staging buffer and handed out as views of it (a staging buffer is
 * never written again below the bytes already handed out; a new one is taken when it is full). A
 * frame that does not fit in what is left of the staging buffer gets a buffer of its own, sized
 * from its prefix, and the following reads go into it, never past its end. So a 1 MB produce
 * request costs a few large reads, not sixteen 64 KB chunks and a concat. Those buffers come from a
 * BufferPool; release() gives one back once the request handler is done with it.
 */
import { Socket } from 'node:net';
import { requestFramePool, type BufferPool } from '../common/buffer-pool.js';
import { FrameTooLargeError } from './frame-splitter.js';

const STAGING_BYTES = 64 * 1024;
/** A staging buffer with less room than this left is replaced rather than read into. */
const MIN_STAGING_ROOM = 4 * 1024;

export interface FrameReaderEvents {
  /** A complete frame (payload without the size prefix). */
  onFrame(frame: Buffer): void;
  /** The stream is corrupt (bad size prefix): the socket should be closed. */
  onError(err: Error): void;
}

/**
 * Parses frames out of the bytes a socket reads. `target()` is where the next read goes;
 * `received(n)` reports that `n` bytes landed there. Kept separate from the socket so it can be
 * tested with any byte sequence.
 */
export class FrameReader {
  private staging: Buffer = Buffer.allocUnsafeSlow(STAGING_BYTES);
  /** Start of the bytes of `staging` not yet handed out as frames. */
  private start = 0;
  /** End of the bytes read into `staging`. */
  private filled = 0;
  /** A frame too large for the staging buffer, being read into its own buffer. */
  private frame: Buffer | null = null;
  private frameFilled = 0;
  private failed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly events: FrameReaderEvents,
    private readonly pool: BufferPool = requestFramePool,
  ) {}

  /**
   * Gives a frame's buffer back for reuse. Only for a frame nothing refers to any more (its
   * handler returned and kept no view of it); frames that are views of a staging buffer, or were
   * given back already, are left alone.
   */
  release(frame: Buffer): void {
    this.pool.give(frame);
  }

  /** The buffer the next read should fill (never empty). */
  target(): Buffer {
    if (this.frame !== null) return this.frame.subarray(this.frameFilled);
    return this.staging.subarray(this.filled);
  }

  /** `n` bytes were read into the buffer last returned by target(). */
  received(n: number): void {
    if (this.failed) return;
    if (this.frame !== null) {
      this.frameFilled += n;
      if (this.frameFilled < this.frame.length) return;
      const frame = this.frame;
      this.frame = null;
      this.frameFilled = 0;
      this.events.onFrame(frame);
      return;
    }
    this.filled += n;
    this.parseStaging();
  }

  private parseStaging(): void {
    for (;;) {
      const buf = this.staging;
      const pos = this.start;
      if (this.filled - pos < 4) break;
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) {
        this.failed = true;
        this.events.onError(new FrameTooLargeError(size, this.maxFrameBytes));
        return;
      }
      const end = pos + 4 + size;
      if (end > this.filled) {
        if (end <= buf.length) break;
        if (4 + size <= STAGING_BYTES / 2) {
          // Small: carry it over to a new staging buffer and keep reading there.
          this.freshStaging(pos, this.filled);
          break;
        }
        // Large: a buffer of its own, with what has arrived so far.
        const frame = this.pool.take(size);
        buf.copy(frame, 0, pos + 4, this.filled);
        this.frame = frame;
        this.frameFilled = this.filled - pos - 4;
        // Those bytes now live in the frame; the staging buffer goes on from where it started.
        this.filled = pos;
        if (buf.length - pos < MIN_STAGING_ROOM) this.freshStaging(0, 0);
        return;
      }
      this.start = end;
      this.events.onFrame(buf.subarray(end - size, end));
      if (this.failed) return;
    }
    if (this.staging.length - this.filled < MIN_STAGING_ROOM) this.freshStaging(this.start, this.filled);
  }

  /** Replaces the staging buffer, carrying over the unparsed bytes [from, to) of the old one. */
  private freshStaging(from: number, to: number): void {
    const next = Buffer.allocUnsafeSlow(STAGING_BYTES);
    if (to > from) this.staging.copy(next, 0, from, to);
    this.staging = next;
    this.start = 0;
    this.filled = to - from;
  }
}

/**
 * Moves an accepted socket's handle into a new Socket that reads through a FrameReader, and
 * returns that socket (the old object is discarded). Node's net.Server cannot accept sockets in
 * user-buffer mode, hence the hand-over; everything else (writes, events, pause/resume) is a
 * normal Socket.
 */
export function adoptFrameSocket(accepted: Socket, reader: FrameReader): Socket {
  const internal = accepted as unknown as { _handle: unknown };
  const handle = internal._handle;
  if (handle === null || handle === undefined) {
    // Already gone: the caller sees a destroyed socket.
    accepted.destroy();
    return accepted;
  }
  internal._handle = null;
  accepted.destroy();
  const socket = new Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: () => reader.target(),
      callback: (n: number) => {
        reader.received(n);
        return true;
      },
    },
  } as ConstructorParameters<typeof Socket>[0] & { handle: unknown });
  return socket;
}
