/**
 * Zig-zag varint / varlong codecs used inside v2 records (protobuf-style, little-endian base 128).
 * Readers work on a bounded cursor and throw CorruptRecordError on overrun or over-long encodings.
 */
import { CorruptRecordError } from '../../common/errors.js';

export class RecordReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    /** If set, errors report this position instead of the cursor (e.g. for decompressed data). */
    private readonly errorPosition?: number,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): CorruptRecordError {
    return new CorruptRecordError(message, { position: this.errorPosition ?? this.pos });
  }

  readInt8(): number {
    if (this.pos >= this.end) throw this.fail('unexpected end of record data');
    return this.buf.readInt8(this.pos++);
  }

  readInt16(): number {
    if (this.end - this.pos < 2) throw this.fail('unexpected end of record data');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readInt32(): number {
    if (this.end - this.pos < 4) throw this.fail('unexpected end of record data');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Zig-zag encoded signed 32-bit varint (at most 5 bytes). */
  readVarint(): number {
    let raw = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw this.fail('unexpected end of record data in varint');
      const b = this.buf[this.pos++] ?? 0;
      raw += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (raw > 0xffffffff) throw this.fail('varint overflows 32 bits');
        const u = raw >>> 0;
        return (u >>> 1) ^ -(u & 1);
      }
    }
    throw this.fail('varint is longer than 5 bytes');
  }

  /** Zig-zag encoded signed 64-bit varlong (at most 10 bytes). */
  readVarlong(): bigint {
    // Fast path: up to 7 bytes (49 bits) fit exactly in a double.
    let raw = 0;
    let i = 0;
    for (; i < 7; i++) {
      if (this.pos >= this.end) throw this.fail('unexpected end of record data in varlong');
      const b = this.buf[this.pos++] ?? 0;
      raw += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        const half = Math.floor(raw / 2);
        return BigInt(raw % 2 === 0 ? half : -half - 1);
      }
    }
    let big = BigInt(raw);
    for (; i < 10; i++) {
      if (this.pos >= this.end) throw this.fail('unexpected end of record data in varlong');
      const b = this.buf[this.pos++] ?? 0;
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        big = BigInt.asUintN(64, big);
        return (big >> 1n) ^ -(big & 1n);
      }
    }
    throw this.fail('varlong is longer than 10 bytes');
  }

  /** `len` bytes as a view (no copy). */
  readSlice(len: number): Buffer {
    if (len < 0 || this.end - this.pos < len) throw this.fail(`length ${len} runs past the end of the record data`);
    const s = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

export function sizeOfVarlong(value: bigint): number {
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Writes a zig-zag varint at `pos`; returns the new position. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes a zig-zag varlong at `pos`; returns the new position. */
export function writeVarlong(buf: Buffer, pos: number, value: bigint): number {
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}
