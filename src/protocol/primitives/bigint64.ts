/**
 * Big-endian int64 ⇄ bigint without intermediate BigInts.
 *
 * Node's Buffer#readBigInt64BE / #writeBigInt64BE build the value from (or split it into) 32-bit
 * halves with BigInt arithmetic: three to four BigInt objects per call. The protocol codecs call
 * them for every offset, timestamp and producer id of every request and response (tens of
 * thousands of requests a second at small batches), and those short-lived objects were ~10 % of a
 * broker's JavaScript allocation under a 50,000 records/s produce+consume load. Here the eight
 * bytes go through a one-element BigInt64Array in host byte order: storing a bigint into it
 * allocates nothing, loading one allocates only the result. A value outside the int64 range
 * throws a RangeError, as Node's Buffer method does (BigInt64Array alone would wrap it).
 */
import { endianness } from 'node:os';

const cell = new BigInt64Array(1);
const bytes = new Uint8Array(cell.buffer);
const LITTLE = endianness() === 'LE';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The int64 at `pos` (8 bytes, big-endian); the caller has checked the bounds. */
export function readBigInt64At(buf: Uint8Array, pos: number): bigint {
  if (LITTLE) {
    bytes[0] = buf[pos + 7] as number;
    bytes[1] = buf[pos + 6] as number;
    bytes[2] = buf[pos + 5] as number;
    bytes[3] = buf[pos + 4] as number;
    bytes[4] = buf[pos + 3] as number;
    bytes[5] = buf[pos + 2] as number;
    bytes[6] = buf[pos + 1] as number;
    bytes[7] = buf[pos] as number;
  } else {
    for (let i = 0; i < 8; i++) bytes[i] = buf[pos + i] as number;
  }
  return cell[0] as bigint;
}

/** Writes `v` at `pos` (8 bytes, big-endian); the caller has checked the bounds. */
export function writeBigInt64At(buf: Uint8Array, v: bigint, pos: number): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`int64 value out of range: ${v}`);
  cell[0] = v;
  if (LITTLE) {
    buf[pos] = bytes[7] as number;
    buf[pos + 1] = bytes[6] as number;
    buf[pos + 2] = bytes[5] as number;
    buf[pos + 3] = bytes[4] as number;
    buf[pos + 4] = bytes[3] as number;
    buf[pos + 5] = bytes[2] as number;
    buf[pos + 6] = bytes[1] as number;
    buf[pos + 7] = bytes[0] as number;
  } else {
    for (let i = 0; i < 8; i++) buf[pos + i] = bytes[i] as number;
  }
}
