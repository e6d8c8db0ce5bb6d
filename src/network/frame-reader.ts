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
 *
 * A large frame is admitted by `reserve(size)` (the broker's request memory pool) before any of
 * its bytes are read; a refusal stops parsing until retry(). A frame over GROW_ABOVE bytes does not
 * get its declared size at once: its buffer starts at GROW_ABOVE and doubles as the bytes arrive,
 * so a size prefix followed by nothing costs no memory.
 */
import { Socket } from 'node:net';
import { BufferPool, POOL_MAX_BYTES } from '../common/buffer-pool.js';
import { FrameTooLargeError } from './frame-splitter.js';

const STAGING_BYTES = 64 * 1024;
/** A staging buffer with less room than this left is replaced rather than read into. */
const MIN_STAGING_ROOM = 4 * 1024;
/** Frames larger than this get a buffer that grows as their bytes arrive. */
const GROW_ABOVE = 4 * 1024 * 1024;

export interface FrameReaderEvents {
  /** A complete frame (payload without the size prefix). */
  onFrame(frame: Buffer): void;
  /** The stream is corrupt (bad size prefix): the socket should be closed. */
  onError(err: Error): void;
  /**
   * Admits a frame too large for the staging buffer, before its bytes are read. False stops
   * parsing (the caller pauses the socket) until retry(). Absent: every frame is admitted.
   */
  reserve?(size: number): boolean;
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
  /** Declared size of `frame` (its buffer may still be smaller: see GROW_ABOVE). */
  private frameSize = 0;
  /** Parsing stopped at a frame reserve() refused. */
  private blocked = false;
  private failed = false;

  constructor(
    private maxFrameBytes: number,
    private readonly events: FrameReaderEvents,
    /** Where large frames' buffers come from and go back to (the broker's; default a pool of its own). */
    private readonly pool: BufferPool = new BufferPool(POOL_MAX_BYTES),
  ) {}

  /**
   * Gives a frame's buffer back for reuse. Only for a frame nothing refers to any more (its
   * handler returned and kept no view of it); frames that are views of a staging buffer, or were
   * given back already, are left alone.
   */
  release(frame: Buffer): void {
    this.pool.give(frame);
  }

  /** Changes the largest frame accepted from the next size prefix on (SASL: small until authenticated). */
  setMaxFrameBytes(n: number): void {
    this.maxFrameBytes = n;
  }

  /** A frame is being read into a buffer of its own (admitted, not yet complete). */
  get frameInProgress(): boolean {
    return this.frame !== null;
  }

  /** Some bytes of a frame (its size prefix or part of it, or part of its payload) are read, not all. */
  get partialFrame(): boolean {
    return this.frame !== null || this.filled > this.start;
  }

  /** Parsing waits for reserve() to admit a frame. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Parses again after reserve() refused a frame (call when the pool has memory again). */
  retry(): void {
    if (!this.blocked || this.failed) return;
    this.blocked = false;
    this.parseStaging();
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
      if (this.frameFilled < this.frameSize) {
        // Full but the frame is not: grow (doubling, so each byte is copied about once).
        const next = Buffer.allocUnsafeSlow(Math.min(this.frame.length * 2, this.frameSize));
        this.frame.copy(next, 0, 0, this.frameFilled);
        this.frame = next;
        return;
      }
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
        // Large: a buffer of its own, with what has arrived so far, once the pool admits it.
        if (this.events.reserve !== undefined && !this.events.reserve(size)) {
          this.blocked = true;
          return;
        }
        const frame = size > GROW_ABOVE ? Buffer.allocUnsafeSlow(Math.max(GROW_ABOVE, this.filled - pos - 4)) : this.pool.take(size);
        this.frameSize = size;
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
