import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readBigInt64At, writeBigInt64At } from '../../../src/protocol/primitives/bigint64.js';

const EDGES = [0n, 1n, -1n, 255n, 256n, -256n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 0x0102030405060708n, -0x0102030405060708n];

test('int64 fast paths agree with Buffer#readBigInt64BE / #writeBigInt64BE, at any offset', () => {
  for (const v of EDGES) {
    for (const pos of [0, 3]) {
      const ours = Buffer.alloc(12, 0xaa);
      const node = Buffer.alloc(12, 0xaa);
      writeBigInt64At(ours, v, pos);
      node.writeBigInt64BE(v, pos);
      assert.deepEqual(ours, node, `write ${v} at ${pos}`);
      assert.equal(readBigInt64At(node, pos), v, `read ${v} at ${pos}`);
    }
  }
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 1000; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    const v = BigInt.asIntN(64, x);
    const b = Buffer.alloc(8);
    writeBigInt64At(b, v, 0);
    assert.equal(b.readBigInt64BE(0), v);
    assert.equal(readBigInt64At(b, 0), v);
  }
});

test('a value outside the int64 range is refused, as Buffer#writeBigInt64BE refuses it', () => {
  assert.throws(() => writeBigInt64At(Buffer.alloc(8), 2n ** 63n, 0), RangeError);
  assert.throws(() => writeBigInt64At(Buffer.alloc(8), -(2n ** 63n) - 1n, 0), RangeError);
});
