import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { compressSync as rawSnappy } from 'snappy';
import { compressFrameSync } from 'lz4-napi';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { CompressionType } from '../../../src/protocol/records/batch-header.js';
import {
  XERIAL_BLOCK_SIZE,
  XERIAL_MAGIC,
  compress,
  compressionName,
  decompress,
  isXerialSnappy,
  rawSnappyCompress,
  snappyDecompress,
} from '../../../src/protocol/records/compression.js';
import { assertKafkaError, prng, randomBytes, textBytes } from './helpers.js';

const CODECS = [CompressionType.none, CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd];

test('round trip every codec over various sizes', () => {
  const rnd = prng(1);
  const inputs = [
    Buffer.alloc(0),
    Buffer.from('x'),
    textBytes(rnd, 1000),
    randomBytes(rnd, 200_000),
    Buffer.alloc(1024 * 1024, 7),
    textBytes(rnd, 3 * XERIAL_BLOCK_SIZE + 17),
  ];
  for (const codec of CODECS) {
    for (const input of inputs) {
      const c = compress(codec, input);
      const d = decompress(codec, c);
      assert.ok(d.equals(input), `${compressionName(codec)} len=${input.length}`);
    }
  }
});

test('snappy is written with xerial framing in 32 KiB blocks', () => {
  const input = textBytes(prng(2), 2 * XERIAL_BLOCK_SIZE + 5);
  const c = compress(CompressionType.snappy, input);
  assert.ok(isXerialSnappy(c));
  assert.ok(c.subarray(0, 8).equals(XERIAL_MAGIC));
  assert.equal(c.readInt32BE(8), 1);
  assert.equal(c.readInt32BE(12), 1);
  let pos = 16;
  let blocks = 0;
  while (pos < c.length) {
    const len = c.readInt32BE(pos);
    pos += 4 + len;
    blocks++;
  }
  assert.equal(pos, c.length);
  assert.equal(blocks, 3);
});

test('xerial snappy decode of a hand-built framed buffer', () => {
  const a = Buffer.from('hello, '.repeat(100));
  const b = Buffer.from('world!'.repeat(50));
  const ca = rawSnappy(a);
  const cb = rawSnappy(b);
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const lenA = Buffer.alloc(4);
  lenA.writeInt32BE(ca.length);
  const lenB = Buffer.alloc(4);
  lenB.writeInt32BE(cb.length);
  const framed = Buffer.concat([header, lenA, ca, lenB, cb]);
  assert.ok(decompress(CompressionType.snappy, framed).equals(Buffer.concat([a, b])));
  // Header only: empty payload.
  assert.equal(decompress(CompressionType.snappy, header).length, 0);
  // Truncated block.
  assertKafkaError(() => decompress(CompressionType.snappy, framed.subarray(0, framed.length - 3)), ErrorCode.CORRUPT_MESSAGE);
  // Truncated length word.
  assertKafkaError(() => decompress(CompressionType.snappy, Buffer.concat([header, Buffer.from([0, 0])])), ErrorCode.CORRUPT_MESSAGE);
  // Negative block length.
  assertKafkaError(() => decompress(CompressionType.snappy, Buffer.concat([header, Buffer.from([0xff, 0xff, 0xff, 0xff])])), ErrorCode.CORRUPT_MESSAGE);
});

test('raw (unframed) snappy is decoded too', () => {
  const input = textBytes(prng(3), 5000);
  assert.ok(decompress(CompressionType.snappy, rawSnappyCompress(input)).equals(input));
  assert.ok(snappyDecompress(rawSnappy(input)).equals(input));
});

test('lz4 and zstd accept concatenated frames', () => {
  const a = Buffer.from('first frame '.repeat(20));
  const b = Buffer.from('second frame '.repeat(30));
  assert.ok(decompress(CompressionType.lz4, Buffer.concat([compressFrameSync(a), compressFrameSync(b)])).equals(Buffer.concat([a, b])));
  const za = compress(CompressionType.zstd, a);
  const zb = compress(CompressionType.zstd, b);
  assert.ok(decompress(CompressionType.zstd, Buffer.concat([za, zb])).equals(Buffer.concat([a, b])));
  assert.ok(decompress(CompressionType.gzip, Buffer.concat([gzipSync(a), gzipSync(b)])).equals(Buffer.concat([a, b])));
});

test('decompressed size is capped (zip bombs)', () => {
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const cap = 1024 * 1024;
  for (const codec of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
    const c = compress(codec, zeros);
    assertKafkaError(() => decompress(codec, c, cap), ErrorCode.CORRUPT_MESSAGE, /limit/);
    assert.equal(decompress(codec, c, zeros.length).length, zeros.length, compressionName(codec));
  }
  assertKafkaError(() => decompress(CompressionType.none, zeros, cap), ErrorCode.CORRUPT_MESSAGE, /limit/);
  // A raw snappy block whose preamble claims ~4 GiB is rejected before anything is allocated.
  const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assertKafkaError(() => decompress(CompressionType.snappy, liar), ErrorCode.CORRUPT_MESSAGE, /limit/);
});

test('garbage input is CORRUPT_MESSAGE, unknown codecs UNSUPPORTED_COMPRESSION_TYPE', () => {
  const junk = Buffer.from('this is not compressed data at all');
  for (const codec of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
    assertKafkaError(() => decompress(codec, junk), ErrorCode.CORRUPT_MESSAGE);
    const good = compress(codec, textBytes(prng(4), 10_000));
    assertKafkaError(() => decompress(codec, good.subarray(0, good.length - 5)), ErrorCode.CORRUPT_MESSAGE);
  }
  for (const codec of [5, 6, 7, -1]) {
    assertKafkaError(() => decompress(codec, junk), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    assertKafkaError(() => compress(codec, junk), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
});
