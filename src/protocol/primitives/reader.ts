/**
 * Bounds-checked big-endian reader for the Kafka wire protocol.
 *
 * Every read checks the remaining bytes first and throws ProtocolDecodeError (never RangeError).
 * Byte fields are returned as `subarray`s of the input buffer (no copies). No allocation is ever
 * sized from an untrusted length before that length has been checked against the remaining bytes.
 */
import { readBigInt64At } from './bigint64.js';
import { ZERO_UUID, uuidFromBytes } from './uuid.js';

export { ZERO_UUID, randomUuid } from './uuid.js';

/** Thrown for any malformed, truncated or otherwise undecodable protocol input. */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolDecodeError';
  }
}

const EMPTY = Buffer.alloc(0);

export class Reader {
  offset: number;
  readonly end: number;
  readonly buf: Buffer;

  constructor(buf: Buffer, offset = 0, end: number = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new ProtocolDecodeError(`invalid reader bounds [${offset}, ${end}) for buffer of ${buf.length}`);
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `n` more bytes are available. */
  ensure(n: number): void {
    if (n > this.end - this.offset) {
      throw new ProtocolDecodeError(`need ${n} bytes at offset ${this.offset}, only ${this.end - this.offset} remain`);
    }
  }

  /** Advances past `n` bytes. */
  skip(n: number): void {
    if (n < 0) throw new ProtocolDecodeError(`negative skip ${n}`);
    this.ensure(n);
    this.offset += n;
  }

  readInt8(): number {
    if (this.offset + 1 > this.end) this.ensure(1);
    return this.buf.readInt8(this.offset++);
  }

  readUInt8(): number {
    if (this.offset + 1 > this.end) this.ensure(1);
    return this.buf[this.offset++] as number;
  }

  readBoolean(): boolean {
    if (this.offset + 1 > this.end) this.ensure(1);
    return this.buf[this.offset++] !== 0;
  }

  readInt16(): number {
    if (this.offset + 2 > this.end) this.ensure(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  readUInt16(): number {
    if (this.offset + 2 > this.end) this.ensure(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  readInt32(): number {
    if (this.offset + 4 > this.end) this.ensure(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  readUInt32(): number {
    if (this.offset + 4 > this.end) this.ensure(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  readInt64(): bigint {
    if (this.offset + 8 > this.end) this.ensure(8);
    const v = readBigInt64At(this.buf, this.offset);
    this.offset += 8;
    return v;
  }

  readFloat64(): number {
    if (this.offset + 8 > this.end) this.ensure(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned 32-bit varint (at most 5 bytes). Returns a number in [0, 2^32). */
  readUnsignedVarint(): number {
    const buf = this.buf;
    let off = this.offset;
    const end = this.end;
    if (off < end) {
      const b = buf[off] as number;
      if (b < 0x80) {
        this.offset = off + 1;
        return b;
      }
    }
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (off >= end) throw new ProtocolDecodeError(`truncated varint at offset ${this.offset}`);
      const b = buf[off++] as number;
      if (i === 4) {
        if (b > 0x0f) throw new ProtocolDecodeError(`varint too long at offset ${this.offset}`);
        result += b * 2 ** 28;
        this.offset = off;
        return result;
      }
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) {
        this.offset = off;
        return result;
      }
    }
    /* c8 ignore next */
    throw new ProtocolDecodeError('unreachable');
  }

  /** Zigzag-encoded signed 32-bit varint. */
  readVarint(): number {
    const u = this.readUnsignedVarint();
    // zigzag decode on the 32-bit unsigned value
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint (at most 10 bytes). */
  readVarlong(): bigint {
    const buf = this.buf;
    let off = this.offset;
    const end = this.end;
    // Fast path: values that fit in 28 bits of raw payload (4 bytes).
    let small = 0;
    let shift = 0;
    for (let i = 0; i < 4; i++) {
      if (off >= end) throw new ProtocolDecodeError(`truncated varlong at offset ${this.offset}`);
      const b = buf[off++] as number;
      small |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) {
        this.offset = off;
        return BigInt((small >>> 1) ^ -(small & 1));
      }
    }
    let raw = BigInt(small >>> 0);
    let bshift = 28n;
    for (let i = 4; i < 10; i++) {
      if (off >= end) throw new ProtocolDecodeError(`truncated varlong at offset ${this.offset}`);
      const b = buf[off++] as number;
      if (i === 9 && b > 0x01) throw new ProtocolDecodeError(`varlong too long at offset ${this.offset}`);
      raw |= BigInt(b & 0x7f) << bshift;
      bshift += 7n;
      if (b < 0x80) {
        this.offset = off;
        return (raw >> 1n) ^ -(raw & 1n);
      }
    }
    throw new ProtocolDecodeError(`varlong too long at offset ${this.offset}`);
  }

  /** 16 raw bytes rendered in Kafka's textual UUID form (URL-safe base64, no padding). */
  readUuid(): string {
    if (this.offset + 16 > this.end) this.ensure(16);
    const s = uuidFromBytes(this.buf, this.offset);
    this.offset += 16;
    return s;
  }

  private utf8(len: number): string {
    if (len > this.end - this.offset) this.ensure(len);
    const start = this.offset;
    this.offset = start + len;
    return len === 0 ? '' : this.buf.toString('utf8', start, start + len);
  }

  private slice(len: number): Buffer {
    if (len > this.end - this.offset) this.ensure(len);
    const start = this.offset;
    this.offset = start + len;
    return len === 0 ? EMPTY : this.buf.subarray(start, start + len);
  }

  readString(): string {
    const len = this.readInt16();
    if (len < 0) throw new ProtocolDecodeError(`non-nullable string has length ${len}`);
    return this.utf8(len);
  }

  readNullableString(): string | null {
    const len = this.readInt16();
    if (len === -1) return null;
    if (len < 0) throw new ProtocolDecodeError(`invalid string length ${len}`);
    return this.utf8(len);
  }

  readCompactString(): string {
    const n = this.readUnsignedVarint();
    if (n === 0) throw new ProtocolDecodeError('non-nullable compact string is null');
    return this.utf8(n - 1);
  }

  readCompactNullableString(): string | null {
    const n = this.readUnsignedVarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  readBytes(): Buffer {
    const len = this.readInt32();
    if (len < 0) throw new ProtocolDecodeError(`non-nullable bytes has length ${len}`);
    return this.slice(len);
  }

  readNullableBytes(): Buffer | null {
    const len = this.readInt32();
    if (len === -1) return null;
    if (len < 0) throw new ProtocolDecodeError(`invalid bytes length ${len}`);
    return this.slice(len);
  }

  readCompactBytes(): Buffer {
    const n = this.readUnsignedVarint();
    if (n === 0) throw new ProtocolDecodeError('non-nullable compact bytes is null');
    return this.slice(n - 1);
  }

  readCompactNullableBytes(): Buffer | null {
    const n = this.readUnsignedVarint();
    if (n === 0) return null;
    return this.slice(n - 1);
  }

  /** Reads `len` raw bytes as a subarray. */
  readRaw(len: number): Buffer {
    if (len < 0) throw new ProtocolDecodeError(`negative length ${len}`);
    return this.slice(len);
  }

  /**
   * Array length prefix: int32 (classic) or unsigned varint N+1 (compact). Returns -1 for null.
   * Throws if the count exceeds the remaining bytes (every element takes at least one byte).
   */
  readArrayLength(compact: boolean, nullable: boolean): number {
    let n: number;
    if (compact) {
      n = this.readUnsignedVarint() - 1;
    } else {
      n = this.readInt32();
      if (n < -1) throw new ProtocolDecodeError(`invalid array length ${n}`);
    }
    if (n === -1) {
      if (!nullable) throw new ProtocolDecodeError('non-nullable array is null');
      return -1;
    }
    if (n > this.end - this.offset) {
      throw new ProtocolDecodeError(`array length ${n} exceeds remaining ${this.end - this.offset} bytes`);
    }
    return n;
  }

  /**
   * If the next byte is an empty tagged-field section (count 0), consumes it and returns true;
   * otherwise consumes nothing and returns false (then call readTaggedFields).
   */
  skipEmptyTaggedFields(): boolean {
    if (this.offset < this.end && this.buf[this.offset] === 0) {
      this.offset++;
      return true;
    }
    return false;
  }

  /**
   * Reads a tagged-field section. For each field `onField(tag, sub)` is called with a Reader bounded
   * to that field's bytes; the main reader then advances past the field whatever `onField` read.
   * Without `onField` (or for tags it ignores) the fields are skipped.
   */
  readTaggedFields(onField?: (tag: number, r: Reader) => void): void {
    const count = this.readUnsignedVarint();
    if (count > this.end - this.offset) {
      throw new ProtocolDecodeError(`tagged field count ${count} exceeds remaining bytes`);
    }
    for (let i = 0; i < count; i++) {
      const tag = this.readUnsignedVarint();
      const size = this.readUnsignedVarint();
      if (size > this.end - this.offset) {
        throw new ProtocolDecodeError(`tagged field ${tag} size ${size} exceeds remaining bytes`);
      }
      const start = this.offset;
      if (onField !== undefined) onField(tag, new Reader(this.buf, start, start + size));
      this.offset = start + size;
    }
  }
}

/** Decodes a zero UUID check helper (exported for convenience). */
export function isZeroUuid(u: string): boolean {
  return u === ZERO_UUID;
}
