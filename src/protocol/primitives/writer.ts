/**
 * Growable big-endian writer for the Kafka wire protocol.
 *
 * Small writes go into a scratch buffer; large buffers handed to writeRawBuffer() are kept by
 * reference in a chunk list (no copy). toChunks() returns the list (suitable for socket.writev /
 * cork+write); toBuffer() concatenates it (or returns the single chunk as is).
 */

import { writeBigInt64At } from './bigint64.js';

/** Buffers at most this long passed to writeRawBuffer() are copied instead of referenced. */
const COPY_THRESHOLD = 128;
const MAX_CHUNK = 64 * 1024;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start of the part of `buf` not yet pushed to `chunks`. */
  private start = 0;
  private readonly chunks: Buffer[] = [];
  /** Total bytes already in `chunks`. */
  private flushed = 0;

  constructor(initialCapacity = 512) {
    this.buf = Buffer.allocUnsafe(initialCapacity > 0 ? initialCapacity : 64);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.start;
  }

  private grow(n: number): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
    }
    const size = Math.max(n, Math.min(this.buf.length * 2, MAX_CHUNK));
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    this.start = 0;
  }

  writeInt8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v & 0xff;
  }

  writeUInt8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v & 0xff;
  }

  writeBoolean(v: boolean): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  writeInt16(v: number): void {
    if (this.pos + 2 > this.buf.length) this.grow(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  writeUInt16(v: number): void {
    this.writeInt16(v);
  }

  writeInt32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  writeUInt32(v: number): void {
    this.writeInt32(v);
  }

  writeInt64(v: bigint): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    writeBigInt64At(this.buf, v, this.pos);
    this.pos += 8;
  }

  writeFloat64(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Unsigned 32-bit varint; `v` must be an integer in [0, 2^32). */
  writeUnsignedVarint(v: number): void {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const b = this.buf;
    let p = this.pos;
    let n = v >>> 0;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    this.pos = p;
  }

  /** Zigzag signed 32-bit varint. */
  writeVarint(v: number): void {
    this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag signed 64-bit varint. */
  writeVarlong(v: bigint | number): void {
    if (typeof v === 'number') {
      if (v >= -0x80000000 && v <= 0x7fffffff && Number.isInteger(v)) {
        this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
        return;
      }
      v = BigInt(v);
    } else if (v >= -0x80000000n && v <= 0x7fffffffn) {
      const n = Number(v);
      this.writeUnsignedVarint(((n << 1) ^ (n >> 31)) >>> 0);
      return;
    }
    if (this.pos + 10 > this.buf.length) this.grow(10);
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const b = this.buf;
    let p = this.pos;
    while (z >= 0x80n) {
      b[p++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    b[p++] = Number(z);
    this.pos = p;
  }

  /** Kafka UUID string (22-char URL-safe base64) as 16 raw bytes. */
  writeUuid(uuid: string): void {
    if (this.pos + 16 > this.buf.length) this.grow(16);
    if (uuid.length !== 22 || this.buf.write(uuid, this.pos, 16, 'base64url') !== 16) {
      throw new TypeError(`invalid Kafka UUID: ${JSON.stringify(uuid)}`);
    }
    this.pos += 16;
  }

  private utf8Body(s: string, byteLen: number): void {
    if (this.pos + byteLen > this.buf.length) this.grow(byteLen);
    if (byteLen === s.length && byteLen < 32) {
      // short ASCII fast path
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < byteLen; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.write(s, this.pos, byteLen, 'utf8');
    }
  }

  writeString(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new RangeError(`string too long for int16 length: ${len} bytes`);
    this.writeInt16(len);
    this.utf8Body(s, len);
  }

  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1);
    else this.writeString(s);
  }

  writeCompactString(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.writeUnsignedVarint(len + 1);
    this.utf8Body(s, len);
  }

  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(s);
  }

  /** Appends raw bytes: copied if small, otherwise referenced (the caller must not mutate it later). */
  writeRawBuffer(buf: Uint8Array): void {
    const n = buf.length;
    if (n <= COPY_THRESHOLD) {
      if (this.pos + n > this.buf.length) this.grow(n);
      this.buf.set(buf, this.pos);
      this.pos += n;
      return;
    }
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
      this.start = this.pos;
    }
    this.chunks.push(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    this.flushed += n;
  }

  writeBytes(b: Uint8Array): void {
    this.writeInt32(b.length);
    this.writeRawBuffer(b);
  }

  writeNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeInt32(-1);
    else this.writeBytes(b);
  }

  writeCompactBytes(b: Uint8Array): void {
    this.writeUnsignedVarint(b.length + 1);
    this.writeRawBuffer(b);
  }

  writeCompactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(b);
  }

  /** Array length prefix: int32 (classic) or unsigned varint N+1 (compact); -1 means null. */
  writeArrayLength(n: number, compact: boolean): void {
    if (compact) this.writeUnsignedVarint(n + 1);
    else this.writeInt32(n);
  }

  /** Writes an empty tagged-field section. */
  writeEmptyTaggedFields(): void {
    this.writeUInt8(0);
  }

  /** Appends everything written to `other` (its large chunks by reference). */
  writeWriter(other: Writer): void {
    for (const c of other.toChunks()) this.writeRawBuffer(c);
  }

  /** The written bytes as a list of buffers (the writer's internal list: later writes append to it). */
  toChunks(): Buffer[] {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
      this.start = this.pos;
    }
    return this.chunks;
  }

  /** The written bytes as one buffer (no copy when they are already contiguous). */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    if (chunks.length === 1) return chunks[0] as Buffer;
    if (chunks.length === 0) return Buffer.alloc(0);
    const out = Buffer.concat(chunks, this.flushed);
    chunks.length = 0;
    chunks.push(out);
    return out;
  }
}
