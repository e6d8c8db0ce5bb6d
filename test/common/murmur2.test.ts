import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { murmur2, partitionForKey, toPositive } from '../../src/common/murmur2.js';

// Known answers of the Java client's Utils.murmur2 (from its unit tests).
const VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

test('murmur2 known answers', () => {
  for (const [key, expected] of VECTORS) assert.equal(murmur2(Buffer.from(key)), expected, key);
});

test('toPositive and partitionForKey', () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(5), 5);
  assert.equal(partitionForKey(Buffer.from('foobar'), 10), toPositive(-790332482) % 10);
  assert.throws(() => partitionForKey(Buffer.from('a'), 0), RangeError);
  const empty = murmur2(Buffer.alloc(0));
  assert.equal(typeof empty, 'number');
  assert.ok(Number.isInteger(empty) && empty >= -2147483648 && empty <= 2147483647);
});

test('agrees with kafkajs (a Java-compatible implementation) on random keys of every tail length', () => {
  const require = createRequire(import.meta.url);
  const kjs = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 16;
  };
  for (let i = 0; i < 2000; i++) {
    const key = Buffer.alloc(rnd() % 67);
    for (let j = 0; j < key.length; j++) key[j] = rnd() & 0xff;
    assert.equal(murmur2(key), kjs(key) | 0, key.toString('hex'));
  }
});
