import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cImplementation, portableCrc32c } from '../../../src/protocol/records/crc32c.js';

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
