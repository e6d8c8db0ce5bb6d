import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError } from '../../../src/common/errors.js';
import { KafkaError } from '../../../src/common/kafka-error.js';
import { readControlRecordTypeAt } from '../../../src/protocol/records/control-record.js';
import { decompress } from '../../../src/protocol/records/compression.js';
import { decodeRecordBatches, encodeRecordBatch, iterateBatches, rewriteBatchCrc } from '../../../src/protocol/records/record.js';
import { validateRecordBatches } from '../../../src/protocol/records/validate.js';
import { prng, randomBytes, textBytes } from './helpers.js';

function expectOnlyKnownErrors(label: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError || e instanceof CorruptRecordError) return;
    assert.fail(`${label}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)}`);
  }
}

function exercise(label: string, buf: Buffer): void {
  expectOnlyKnownErrors(`${label} validate`, () => validateRecordBatches(buf, { maxBatchBytes: 1 << 20 }));
  expectOnlyKnownErrors(`${label} decode`, () => decodeRecordBatches(buf, { maxDecompressedBytes: 1 << 22 }));
  expectOnlyKnownErrors(`${label} decode-nocrc`, () => decodeRecordBatches(buf, { verifyCrc: false, maxDecompressedBytes: 1 << 22 }));
  expectOnlyKnownErrors(`${label} iterate`, () => iterateBatches(buf, () => undefined));
  if (buf.length >= 61) expectOnlyKnownErrors(`${label} control`, () => readControlRecordTypeAt(buf));
}

function randomBatch(rnd: () => number): Buffer {
  const n = 1 + Math.floor(rnd() * 6);
  const records = Array.from({ length: n }, () => ({
    key: rnd() < 0.2 ? null : textBytes(rnd, Math.floor(rnd() * 20)),
    value: rnd() < 0.1 ? null : textBytes(rnd, Math.floor(rnd() * 200)),
    headers: rnd() < 0.3 ? [{ key: 'h', value: randomBytes(rnd, Math.floor(rnd() * 5)) }] : [],
  }));
  return encodeRecordBatch({ records, compression: Math.floor(rnd() * 5), producerId: 1n, producerEpoch: 0, baseSequence: 0 });
}

function mutate(rnd: () => number, src: Buffer): Buffer {
  const b = Buffer.from(src);
  const kind = Math.floor(rnd() * 6);
  if (kind === 0) {
    // flip a few random bytes
    for (let i = 0, k = 1 + Math.floor(rnd() * 4); i < k && b.length > 0; i++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
  } else if (kind === 1) {
    return b.subarray(0, Math.floor(rnd() * b.length));
  } else if (kind === 2) {
    // random bytes in the records section, CRC recomputed so parsers see them
    if (b.length > 61) for (let i = 0; i < 3; i++) b[61 + Math.floor(rnd() * (b.length - 61))] = Math.floor(rnd() * 256);
    if (b.length >= 61) rewriteBatchCrc(b);
  } else if (kind === 3) {
    // random batchLength
    if (b.length >= 12) b.writeInt32BE(Math.floor(rnd() * 2 ** 32) - 2 ** 31, 8);
  } else if (kind === 4) {
    // random header field (count, lastOffsetDelta, attributes), CRC fixed
    if (b.length >= 61) {
      const off = [21, 23, 57][Math.floor(rnd() * 3)] ?? 57;
      if (off === 21) b.writeInt16BE(Math.floor(rnd() * 65536) - 32768, off);
      else b.writeInt32BE(Math.floor(rnd() * 2 ** 32) - 2 ** 31, off);
      rewriteBatchCrc(b);
    }
  } else {
    return Buffer.concat([b, randomBytes(rnd, Math.floor(rnd() * 80))]);
  }
  return b;
}

test('random buffers never throw anything but KafkaError / CorruptRecordError', () => {
  const rnd = prng(20240601);
  for (let i = 0; i < 3000; i++) exercise(`random#${i}`, randomBytes(rnd, Math.floor(rnd() * 200)));
  // Random bytes behind a plausible header.
  for (let i = 0; i < 2000; i++) {
    const body = randomBytes(rnd, Math.floor(rnd() * 150));
    const b = Buffer.concat([Buffer.alloc(61), body]);
    b.writeInt32BE(b.length - 12, 8);
    b[16] = 2;
    b.writeInt16BE(Math.floor(rnd() * 8), 21);
    b.writeInt32BE(Math.floor(rnd() * 10), 57);
    rewriteBatchCrc(b);
    exercise(`header+random#${i}`, b);
  }
});

test('mutated valid batches never throw anything but KafkaError / CorruptRecordError', () => {
  const rnd = prng(777);
  const seeds = Array.from({ length: 40 }, () => randomBatch(rnd));
  for (let i = 0; i < 4000; i++) {
    const base = seeds[Math.floor(rnd() * seeds.length)] ?? Buffer.alloc(0);
    let m = mutate(rnd, base);
    if (rnd() < 0.3) m = mutate(rnd, m);
    exercise(`mutated#${i}`, m);
  }
});

test('codecs on garbage never throw anything but KafkaError', () => {
  const rnd = prng(99);
  const samples = [0, 1, 2, 3, 4].map((c) => encodeRecordBatch({ records: [{ value: textBytes(rnd, 3000) }], compression: c }).subarray(61));
  for (let i = 0; i < 3000; i++) {
    const codec = 1 + Math.floor(rnd() * 4);
    const src = samples[codec] ?? Buffer.alloc(0);
    const b = rnd() < 0.5 ? randomBytes(rnd, Math.floor(rnd() * 100)) : mutate(rnd, src);
    try {
      decompress(codec, b, 1 << 20);
    } catch (e) {
      if (!(e instanceof KafkaError)) assert.fail(`codec ${codec}: ${String(e)}`);
    }
  }
});
