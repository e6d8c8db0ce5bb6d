/**
 * Feeds a FrameReader from a stream that reads into buffers of its own (a TLSSocket's decrypted
 * 'data' chunks) by copying each chunk into the reader's target. Bytes the reader cannot take
 * yet (it waits for request memory: isBlocked) are kept until feed() is called again; a feed
 * started from inside a frame's dispatch (a synchronous answer resumes the connection) returns
 * at once and the outer one goes on, so no byte is fed twice.
 */
import type { FrameReader } from './frame-reader.js';

export class CopiedInput {
  private pending: Buffer | null = null;
  private feeding = false;

  constructor(private readonly reader: FrameReader) {}

  /** Bytes kept for later (the caller keeps the socket paused while there are some). */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  push(chunk: Buffer): void {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.feed();
  }

  feed(): void {
    if (this.feeding) return;
    this.feeding = true;
    try {
      while (this.pending !== null && !this.reader.isBlocked) {
        const buf = this.pending;
        const target = this.reader.target();
        const n = Math.min(target.length, buf.length);
        if (n === 0) break;
        buf.copy(target, 0, 0, n);
        this.pending = n < buf.length ? buf.subarray(n) : null;
        this.reader.received(n);
      }
    } finally {
      this.feeding = false;
    }
  }

  clear(): void {
    this.pending = null;
  }
}
