/**
 * CRC32C (Castagnoli), the checksum of every record batch. Two native implementations:
 * - native/crc32c, built by `npm install` (scripts/build-native.mjs): on CPUs with AVX-512 and
 *   VPCLMULQDQ, carry-less multiplication folding of buffers of 256 bytes or more (~80 GB/s on
 *   1 MB here); otherwise three interleaved hardware CRC streams joined with a zero-block shift
 *   table, ~24 GB/s on 1 MB and ~8 GB/s on 1 KiB here;
 * - @node-rs/crc32: one hardware stream, ~5 GB/s on 1 MB and ~3 GB/s on 1 KiB.
 * The first is used when it was built, reports hardware support and gives the expected answers
 * on a few check inputs at load; otherwise the second, which is then loaded (10 ms of start-up
 * that the first spares). At 1 KiB records the checksum was about a quarter of the broker's CPU
 * on the produce path with the second.
 */
import { createRequire } from 'node:module';

type Crc32cFunction = (data: Uint8Array, initial: number) => number;

interface NativeCrc32c {
  crc32c: Crc32cFunction;
  hardware: boolean;
  /** The addon's path for large buffers: 'vpclmulqdq' (AVX-512 folding) or 'sse4.2' (crc32 instruction). */
  variant?: string;
}

const require = createRequire(import.meta.url);

/** Where the addon is built, relative to this file's compiled location (dist/src/protocol/records). */
const ADDON = '../../../../native/crc32c/build/Release/samsa_crc32c.node';

/**
 * Check inputs: the standard check string, and views of a fixed pattern that go through the
 * addon's long-block, short-block and tail paths (expected values from @node-rs/crc32; the unit
 * test checks both against the bit-at-a-time definition).
 */
function passesChecks(f: Crc32cFunction): boolean {
  if (f(Buffer.from('123456789'), 0) >>> 0 !== 0xe3069283) return false;
  const data = Buffer.alloc(30_011);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 7)) & 0xff;
  const checks: Array<[number, number, number, number]> = [
    [0, 30_011, 0, 0xae883155],
    [5, 24_583, 0x9e3779b9, 0xb61d58fd],
    [1, 1025, 0, 0x02a0b04f],
    [3, 800, 0, 0x3aed0f1c],
  ];
  return checks.every(([from, to, initial, expected]) => f(data.subarray(from, to), initial) >>> 0 === expected);
}

function loadNative(): NativeCrc32c | null {
  try {
    const m = require(ADDON) as NativeCrc32c;
    if (typeof m.crc32c !== 'function' || m.hardware !== true || !passesChecks(m.crc32c)) return null;
    return m;
  } catch {
    return null;
  }
}

let portable: Crc32cFunction | null = null;

function loadPortable(): Crc32cFunction {
  portable ??= (require('@node-rs/crc32') as { crc32c: Crc32cFunction }).crc32c;
  return portable;
}

const native = loadNative();
const impl: Crc32cFunction = native?.crc32c ?? loadPortable();

/** CRC32C of `data`, continuing from `initial` (default 0). */
export function crc32c(data: Uint8Array, initial = 0): number {
  return impl(data, initial) >>> 0;
}

/** Which implementation crc32c() uses: 'native' (native/crc32c) or '@node-rs/crc32'. */
export const crc32cImplementation: string = native !== null ? 'native' : '@node-rs/crc32';

/** The native addon's path for buffers of 256 bytes or more ('vpclmulqdq' or 'sse4.2'); null without the addon. */
export const crc32cNativeVariant: string | null = native === null ? null : (native.variant ?? 'sse4.2');

/** The @node-rs/crc32 result (loaded on first use), for tests that compare the two. */
export function portableCrc32c(data: Uint8Array, initial = 0): number {
  return loadPortable()(data, initial) >>> 0;
}
