import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cImplementation, crc32cNativeVariant, portableCrc32c } from '../../../src/protocol/records/crc32c.js';

/** Bit-at-a-time CRC32C, the definition itself: independent of both native implementations. */
function bitwiseCrc32c(data: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function sample(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

test('the native addon built by npm install is in use (this machine has a compiler and SSE4.2)', () => {
  assert.equal(crc32cImplementation, 'native', 'native/crc32c was not built or refused: run `node scripts/build-native.mjs` to see why');
});

test('crc32c matches the bit-at-a-time definition at every length and alignment the block paths meet', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283, 'the standard check value');
  const data = sample(3 * 8192 * 2 + 3 * 256 + 100, 42);
  // Lengths around the 3 x 256 and 3 x 8192 block boundaries, at every alignment of 0..7.
  const lengths = [0, 1, 7, 8, 9, 767, 768, 769, 800, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 + 3 * 256 + 13, data.length - 8];
  for (const len of lengths) {
    for (let off = 0; off < 8; off++) {
      const view = data.subarray(off, off + len);
      for (const initial of [0, 0xdeadbeef]) assert.equal(crc32c(view, initial), bitwiseCrc32c(view, initial), `length ${len} offset ${off} initial ${initial}`);
    }
  }
  // Continuing a checksum over two pieces gives the checksum of the whole.
  assert.equal(crc32c(data.subarray(20_000), crc32c(data.subarray(0, 20_000))), crc32c(data));
});

test('crc32c equals @node-rs/crc32 on random sizes up to 2 MB', () => {
  let seed = 1;
  for (let i = 0; i < 200; i++) {
    const n = i < 190 ? (seed * 7919) % 70_000 : 2_000_000 - i;
    seed++;
    const data = sample(n + 8, seed);
    const view = data.subarray(seed % 8, (seed % 8) + n);
    assert.equal(crc32c(view, seed), portableCrc32c(view, seed), `size ${n}`);
  }
});

/** The CPU flags of /proc/cpuinfo (empty elsewhere). */
function cpuFlags(): Set<string> {
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    return new Set(line.trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

test('the native addon folds large buffers with VPCLMULQDQ on a CPU that has AVX-512 and VPCLMULQDQ', (t) => {
  const flags = cpuFlags();
  if (!['avx512f', 'avx512vl', 'vpclmulqdq', 'pclmulqdq', 'sse4_2'].every((f) => flags.has(f))) return t.skip('this CPU has no AVX-512 VPCLMULQDQ');
  assert.equal(crc32cNativeVariant, 'vpclmulqdq');
});

test('crc32c matches the definition around the 256-byte folding paths: every lane, tail length and alignment', () => {
  const data = sample(70_000, 7);
  // 256 bytes start the fold; then 256-byte steps, 16-byte chunks and a tail of 0-15 bytes.
  const lengths = [255, 256, 257, 271, 272, 273, 287, 288, 511, 512, 513, 527, 528, 767, 1024, 1039, 4096 + 255, 65_536 + 17];
  for (const len of lengths) {
    for (let off = 0; off < 64; off += len > 5000 ? 21 : 1) {
      const view = data.subarray(off, off + len);
      for (const initial of [0, 0x12345678]) assert.equal(crc32c(view, initial), bitwiseCrc32c(view, initial), `length ${len} offset ${off} initial ${initial}`);
    }
  }
  // Every tail length 0..15 after 256 + 16k bytes, and every position of a single flipped bit in a 1 KiB buffer changes the checksum.
  for (let len = 256; len < 256 + 64; len++) assert.equal(crc32c(data.subarray(3, 3 + len)), bitwiseCrc32c(data.subarray(3, 3 + len)), `length ${len}`);
  const kib = Buffer.from(data.subarray(0, 1024));
  const whole = crc32c(kib);
  for (let bit = 0; bit < kib.length * 8; bit += 13) {
    kib[bit >> 3] = (kib[bit >> 3] as number) ^ (1 << (bit & 7));
    assert.equal(crc32c(kib), bitwiseCrc32c(kib), `bit ${bit}`);
    assert.notEqual(crc32c(kib), whole);
    kib[bit >> 3] = (kib[bit >> 3] as number) ^ (1 << (bit & 7));
  }
});
