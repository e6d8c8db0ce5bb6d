import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSplitter, FrameTooLargeError } from '../../src/network/frame-splitter.js';

function frame(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

test('frames split across and within chunks come out whole and in order', () => {
  const payloads = Array.from({ length: 200 }, (_, i) => Buffer.alloc(i * 7 % 300, i));
  const stream = Buffer.concat(payloads.map(frame));
  for (const chunkSize of [1, 3, 4, 5, 17, 1000, stream.length]) {
    const s = new FrameSplitter(1 << 20);
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += chunkSize) s.push(stream.subarray(i, i + chunkSize), (f) => got.push(Buffer.from(f)));
    assert.equal(got.length, payloads.length, `chunk size ${chunkSize}`);
    got.forEach((g, i) => assert.deepEqual(g, payloads[i]));
    assert.equal(s.buffered, 0);
  }
});

test('oversized and negative sizes are rejected before buffering', () => {
  const s = new FrameSplitter(100);
  const big = Buffer.alloc(4);
  big.writeInt32BE(101, 0);
  assert.throws(() => s.push(big, () => undefined), FrameTooLargeError);
  const neg = Buffer.alloc(4);
  neg.writeInt32BE(-5, 0);
  assert.throws(() => new FrameSplitter(100).push(neg, () => undefined), FrameTooLargeError);
});

test('random chunking fuzz', () => {
  for (let round = 0; round < 50; round++) {
    const payloads = Array.from({ length: 30 }, () => Buffer.alloc(Math.floor(Math.random() * 500), Math.floor(Math.random() * 256)));
    const stream = Buffer.concat(payloads.map(frame));
    const s = new FrameSplitter(1 << 20);
    const got: Buffer[] = [];
    let i = 0;
    while (i < stream.length) {
      const n = 1 + Math.floor(Math.random() * 64);
      s.push(stream.subarray(i, i + n), (f) => got.push(Buffer.from(f)));
      i += n;
    }
    assert.deepEqual(got, payloads);
  }
});
