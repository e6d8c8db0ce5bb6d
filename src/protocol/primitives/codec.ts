/**
 * Small helpers used by the generated message codecs (src/protocol/generated). `f` is true when the
 * field uses the compact (flexible-version) encoding.
 */
import { ProtocolDecodeError } from './reader.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Shared zero-length buffer used as the default for bytes fields. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

// ---------------------------------------------------------------- decode

export function rStr(r: Reader, f: boolean): string {
  return f ? r.readCompactString() : r.readString();
}

export function rNStr(r: Reader, f: boolean): string | null {
  return f ? r.readCompactNullableString() : r.readNullableString();
}

export function rBytes(r: Reader, f: boolean): Buffer {
  return f ? r.readCompactBytes() : r.readBytes();
}

export function rNBytes(r: Reader, f: boolean): Buffer | null {
  return f ? r.readCompactNullableBytes() : r.readNullableBytes();
}

export function rArr<T>(r: Reader, f: boolean, el: (r: Reader) => T): T[] {
  const n = r.readArrayLength(f, false);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(el(r));
  return out;
}

export function rNArr<T>(r: Reader, f: boolean, el: (r: Reader) => T): T[] | null {
  const n = r.readArrayLength(f, true);
  if (n < 0) return null;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(el(r));
  return out;
}

/** Nullable struct: int8 marker (-1 = null, otherwise present) followed by the struct. */
export function rNStruct<T>(r: Reader, el: (r: Reader) => T): T | null {
  const marker = r.readInt8();
  if (marker < 0) return null;
  return el(r);
}

// Element readers for arrays of primitives.
export const rdInt8 = (r: Reader): number => r.readInt8();
export const rdInt16 = (r: Reader): number => r.readInt16();
export const rdUInt16 = (r: Reader): number => r.readUInt16();
export const rdInt32 = (r: Reader): number => r.readInt32();
export const rdUInt32 = (r: Reader): number => r.readUInt32();
export const rdInt64 = (r: Reader): bigint => r.readInt64();
export const rdFloat64 = (r: Reader): number => r.readFloat64();
export const rdBool = (r: Reader): boolean => r.readBoolean();
export const rdUuid = (r: Reader): string => r.readUuid();
export const rdStr = (r: Reader): string => r.readString();
export const rdCStr = (r: Reader): string => r.readCompactString();

// ---------------------------------------------------------------- encode

function nullError(what: string): TypeError {
  return new TypeError(`null given for a non-nullable ${what} in this version`);
}

export function wStr(w: Writer, s: string | null, f: boolean): void {
  if (s === null) throw nullError('string');
  if (f) w.writeCompactString(s);
  else w.writeString(s);
}

export function wNStr(w: Writer, s: string | null, f: boolean): void {
  if (f) w.writeCompactNullableString(s);
  else w.writeNullableString(s);
}

export function wBytes(w: Writer, b: Uint8Array | null, f: boolean): void {
  if (b === null) throw nullError('bytes field');
  if (f) w.writeCompactBytes(b);
  else w.writeBytes(b);
}

export function wNBytes(w: Writer, b: Uint8Array | null, f: boolean): void {
  if (f) w.writeCompactNullableBytes(b);
  else w.writeNullableBytes(b);
}

/**
 * Records: a (nullable) bytes field whose content may be given as several buffers, written by
 * reference after a length prefix equal to their total size.
 */
export function wRecords(w: Writer, rec: Uint8Array | readonly Uint8Array[] | null, f: boolean): void {
  if (rec === null) {
    if (f) w.writeUnsignedVarint(0);
    else w.writeInt32(-1);
    return;
  }
  if (!Array.isArray(rec)) {
    const b = rec as Uint8Array;
    if (f) w.writeUnsignedVarint(b.length + 1);
    else w.writeInt32(b.length);
    w.writeRawBuffer(b);
    return;
  }
  const list = rec as readonly Uint8Array[];
  let total = 0;
  for (const b of list) total += b.length;
  if (f) w.writeUnsignedVarint(total + 1);
  else w.writeInt32(total);
  for (const b of list) w.writeRawBuffer(b);
}

export function wArr<T>(w: Writer, a: readonly T[] | null, f: boolean, el: (w: Writer, e: T) => void): void {
  if (a === null) throw nullError('array');
  const n = a.length;
  if (f) w.writeUnsignedVarint(n + 1);
  else w.writeInt32(n);
  for (let i = 0; i < n; i++) el(w, a[i] as T);
}

export function wNArr<T>(w: Writer, a: readonly T[] | null, f: boolean, el: (w: Writer, e: T) => void): void {
  if (a === null) {
    if (f) w.writeUnsignedVarint(0);
    else w.writeInt32(-1);
    return;
  }
  wArr(w, a, f, el);
}

export function wNStruct<T>(w: Writer, s: T | null, el: (w: Writer, s: T) => void): void {
  if (s === null) {
    w.writeInt8(-1);
    return;
  }
  w.writeInt8(1);
  el(w, s);
}

/** Writes one tagged field: tag, size, then the bytes produced by `body`. */
export function wTagged(w: Writer, tag: number, body: (w: Writer) => void): void {
  const sub = new Writer(64);
  body(sub);
  w.writeUnsignedVarint(tag);
  w.writeUnsignedVarint(sub.length);
  w.writeWriter(sub);
}

// Element writers for arrays of primitives.
export const wdInt8 = (w: Writer, e: number): void => w.writeInt8(e);
export const wdInt16 = (w: Writer, e: number): void => w.writeInt16(e);
export const wdUInt16 = (w: Writer, e: number): void => w.writeUInt16(e);
export const wdInt32 = (w: Writer, e: number): void => w.writeInt32(e);
export const wdUInt32 = (w: Writer, e: number): void => w.writeUInt32(e);
export const wdInt64 = (w: Writer, e: bigint): void => w.writeInt64(e);
export const wdFloat64 = (w: Writer, e: number): void => w.writeFloat64(e);
export const wdBool = (w: Writer, e: boolean): void => w.writeBoolean(e);
export const wdUuid = (w: Writer, e: string): void => w.writeUuid(e);
export const wdStr = (w: Writer, e: string): void => w.writeString(e);
export const wdCStr = (w: Writer, e: string): void => w.writeCompactString(e);

export { ProtocolDecodeError };
