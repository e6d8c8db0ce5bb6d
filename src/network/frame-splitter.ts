/**
 * Splits a TCP byte stream into Kafka frames (int32 size prefix + payload). Frames are returned as
 * views of the received chunks where possible; a frame spanning chunks is joined once.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly max: number) {
    super(size < 0 ? `Invalid negative frame size ${size}` : `Frame of ${size} bytes exceeds socket.request.max.bytes (${max})`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, or -1 when the size prefix is not yet known. */
  private need = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes buffered and not yet returned as frames. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds a chunk; calls `onFrame` for each complete frame in order. Throws FrameTooLargeError. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (this.pendingBytes === 0) {
      // Fast path: parse frames straight out of this chunk.
      let pos = 0;
      while (chunk.length - pos >= 4) {
        const size = chunk.readInt32BE(pos);
        this.check(size);
        if (chunk.length - pos - 4 < size) break;
        onFrame(chunk.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
      }
      if (pos < chunk.length) this.keep(pos === 0 ? chunk : chunk.subarray(pos));
      return;
    }
    this.keep(chunk);
    for (;;) {
      if (this.need < 0) {
        if (this.pendingBytes < 4) return;
        const head = this.peek(4);
        this.need = head.readInt32BE(0);
        this.check(this.need);
      }
      if (this.pendingBytes < 4 + this.need) return;
      const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
      const size = this.need;
      this.pending = [];
      this.pendingBytes = 0;
      this.need = -1;
      onFrame(all.subarray(4, 4 + size));
      if (all.length > 4 + size) {
        // Continue on the remainder with the fast path.
        this.push(all.subarray(4 + size), onFrame);
      }
      return;
    }
  }

  private check(size: number): void {
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
  }

  private keep(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  private peek(n: number): Buffer {
    const first = this.pending[0] as Buffer;
    if (first.length >= n) return first;
    return Buffer.concat(this.pending, this.pendingBytes).subarray(0, n);
  }
}
