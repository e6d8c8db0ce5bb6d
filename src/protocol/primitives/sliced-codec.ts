/**
 * Helpers of the resumable ("sliced") codecs the generator emits beside the synchronous ones:
 * `decode<Request>Sliced` and `encode<Response>Sliced` are generator functions that decode or
 * encode exactly the same bytes, but count array elements on a Slicer and `yield` when it says
 * the current slice of work is used up, so a driver can let the event loop run before resuming.
 * Kafka decodes a request on one of its many request-handler threads and needs no such thing;
 * Samsa serves every connection from one thread, so a 1,000,000-element request decoded in one
 * go would stall all other clients. Structs without arrays, and tagged fields, are decoded and
 * encoded synchronously (their cost is bounded by the frame's bytes per element).
 * Consecutive array elements with identical bytes decode to one shared object (rArrD): a frame of
 * 50 million copies of one small struct (e.g. empty topic names) then costs an array of
 * references, not 50 million objects. Decoded requests are read-only to handlers, so sharing is
 * invisible to them.
 */
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** Counts units of work; tick() is true when the caller should yield. */
export interface Slicer {
  tick(): boolean;
}

/** What a sliced codec step returns: resumed after each `yield`, finally returning T. */
export type Sliced<T> = Generator<void, T, void>;

function nullError(): TypeError {
  return new TypeError('null given for a non-nullable array in this version');
}

// ---------------------------------------------------------------- decode

/** Array whose elements decode synchronously (primitives, strings, structs without arrays). */
export function* rArrS<T>(r: Reader, f: boolean, sl: Slicer, el: (r: Reader) => T): Sliced<T[]> {
  const n = r.readArrayLength(f, false);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(el(r));
    if (sl.tick()) yield;
  }
  return out;
}

export function* rNArrS<T>(r: Reader, f: boolean, sl: Slicer, el: (r: Reader) => T): Sliced<T[] | null> {
  const n = r.readArrayLength(f, true);
  if (n < 0) return null;
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(el(r));
    if (sl.tick()) yield;
  }
  return out;
}

/** True if buf[a, a+len) equals buf[b, b+len) (b + len within `end`). */
function sameBytes(buf: Buffer, a: number, b: number, len: number, end: number): boolean {
  if (b + len > end) return false;
  if (len > 32) return buf.compare(buf, a, a + len, b, b + len) === 0;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Elements of an array of structs without arrays; an element with the bytes of the previous one is shared. */
function* sharedElements<T>(r: Reader, n: number, sl: Slicer, el: (r: Reader) => T): Sliced<T[]> {
  const out: T[] = [];
  const buf = r.buf;
  let prevStart = 0;
  let prevLen = -1;
  let prev: T | undefined;
  for (let i = 0; i < n; i++) {
    const start = r.offset;
    if (prevLen >= 0 && sameBytes(buf, prevStart, start, prevLen, r.end)) {
      r.skip(prevLen);
      out.push(prev as T);
    } else {
      prev = el(r);
      prevStart = start;
      prevLen = r.offset - start;
      out.push(prev);
    }
    if (sl.tick()) yield;
  }
  return out;
}

/** Array of structs without arrays (consecutive identical elements shared, see the header). */
export function* rArrD<T>(r: Reader, f: boolean, sl: Slicer, el: (r: Reader) => T): Sliced<T[]> {
  return yield* sharedElements(r, r.readArrayLength(f, false), sl, el);
}

export function* rNArrD<T>(r: Reader, f: boolean, sl: Slicer, el: (r: Reader) => T): Sliced<T[] | null> {
  const n = r.readArrayLength(f, true);
  if (n < 0) return null;
  return yield* sharedElements(r, n, sl, el);
}

/** Array of structs that contain arrays themselves (each element is decoded by a sliced decoder). */
export function* rArrG<T>(r: Reader, f: boolean, sl: Slicer, el: (r: Reader) => Sliced<T>): Sliced<T[]> {
  const n = r.readArrayLength(f, false);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(yield* el(r));
    if (sl.tick()) yield;
  }
  return out;
}

export function* rNArrG<T>(r: Reader, f: boolean, sl: Slicer, el: (r: Reader) => Sliced<T>): Sliced<T[] | null> {
  const n = r.readArrayLength(f, true);
  if (n < 0) return null;
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(yield* el(r));
    if (sl.tick()) yield;
  }
  return out;
}

/** Nullable struct (int8 marker, -1 = null) decoded by a sliced decoder. */
export function* rNStructG<T>(r: Reader, el: (r: Reader) => Sliced<T>): Sliced<T | null> {
  if (r.readInt8() < 0) return null;
  return yield* el(r);
}

// ---------------------------------------------------------------- encode

function writeLength(w: Writer, n: number, f: boolean): void {
  if (f) w.writeUnsignedVarint(n + 1);
  else w.writeInt32(n);
}

export function* wArrS<T>(w: Writer, a: readonly T[] | null, f: boolean, sl: Slicer, el: (w: Writer, e: T) => void): Sliced<void> {
  if (a === null) throw nullError();
  const n = a.length;
  writeLength(w, n, f);
  for (let i = 0; i < n; i++) {
    el(w, a[i] as T);
    if (sl.tick()) yield;
  }
}

export function* wNArrS<T>(w: Writer, a: readonly T[] | null, f: boolean, sl: Slicer, el: (w: Writer, e: T) => void): Sliced<void> {
  if (a === null) writeLength(w, -1, f);
  else yield* wArrS(w, a, f, sl, el);
}

export function* wArrG<T>(w: Writer, a: readonly T[] | null, f: boolean, sl: Slicer, el: (w: Writer, e: T) => Sliced<void>): Sliced<void> {
  if (a === null) throw nullError();
  const n = a.length;
  writeLength(w, n, f);
  for (let i = 0; i < n; i++) {
    yield* el(w, a[i] as T);
    if (sl.tick()) yield;
  }
}

export function* wNArrG<T>(w: Writer, a: readonly T[] | null, f: boolean, sl: Slicer, el: (w: Writer, e: T) => Sliced<void>): Sliced<void> {
  if (a === null) writeLength(w, -1, f);
  else yield* wArrG(w, a, f, sl, el);
}

export function* wNStructG<T>(w: Writer, s: T | null, el: (w: Writer, s: T) => Sliced<void>): Sliced<void> {
  if (s === null) {
    w.writeInt8(-1);
    return;
  }
  w.writeInt8(1);
  yield* el(w, s);
}
