/**
 * CRC32C (Castagnoli), the checksum of every record batch. Two native implementations:
 * - native/crc32c, built by `npm install` (scripts/build-native.mjs): three interleaved hardware
 *   CRC streams joined with a zero-block shift table, ~24 GB/s on 1 MB and ~8 GB/s on 1 KiB here;
 * - @node-rs/crc32: one hardware stream, ~5 GB/s on 1 MB and ~3 GB/s on 1 KiB.
 * The first is used when it was built, reports hardware support and gives the same answers as
 * the second on a few inputs at load time; otherwise the second. At 1 KiB records the checksum
 * was about a quarter of the broker's CPU on the produce path with the second.
 */
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { createRequire } from 'node:module';

type Crc32cFunction = (data: Uint8Array, initial: number) => number;

interface NativeCrc32c {
  crc32c: Crc32cFunction;
  hardware: boolean;
}

/** Where the addon is built, relative to this file's compiled location (dist/src/protocol/records). */
const ADDON = '../../../../native/crc32c/build/Release/samsa_crc32c.node';

function agrees(f: Crc32cFunction): boolean {
  const data = Buffer.alloc(30_011);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 7)) & 0xff;
  for (const [from, to, initial] of [[0, 9, 0], [1, 1025, 0], [3, 30_011, 0], [5, 24_583, 0x9e3779b9], [0, 0, 7]] as const) {
    const view = data.subarray(from, to);
    if (f(view, initial) >>> 0 !== nodeRsCrc32c(view, initial) >>> 0) return false;
  }
  return true;
}

function loadNative(): NativeCrc32c | null {
  try {
    const m = createRequire(import.meta.url)(ADDON) as NativeCrc32c;
    if (typeof m.crc32c !== 'function' || m.hardware !== true || !agrees(m.crc32c)) return null;
    return m;
  } catch {
    return null;
  }
}

const native = loadNative();
const impl: Crc32cFunction = native !== null ? native.crc32c : nodeRsCrc32c;

/** CRC32C of `data`, continuing from `initial` (default 0). */
export function crc32c(data: Uint8Array, initial = 0): number {
  return impl(data, initial) >>> 0;
}

/** Which implementation crc32c() uses: 'native' (native/crc32c) or '@node-rs/crc32'. */
export const crc32cImplementation: string = native !== null ? 'native' : '@node-rs/crc32';

/** The @node-rs/crc32 result, for tests that compare the two. */
export function portableCrc32c(data: Uint8Array, initial = 0): number {
  return nodeRsCrc32c(data, initial) >>> 0;
}
