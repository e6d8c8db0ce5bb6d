// Random and mutated input fed to the decoders must only ever produce ProtocolDecodeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaMessages } from '../../../src/protocol/generated/schemas.js';
import type { SchemaMessage } from '../../../src/protocol/generated/schemas.js';
import { Reader, ProtocolDecodeError } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { readRequestHeader } from '../../../src/protocol/header.js';
import { SampleBuilder, decoderOf, encoderOf, inRange, versionsOf } from './sample.js';
import type { Decoder } from './sample.js';
import { mulberry32 as rng } from '../../helpers/mulberry32.js';


interface Combo {
  name: string;
  version: number;
  decode: Decoder;
  samples: Buffer[];
}

function combos(filter: (m: SchemaMessage) => boolean): Combo[] {
  const out: Combo[] = [];
  for (const m of schemaMessages.filter(filter)) {
    const enc = encoderOf(m.name);
    for (const v of versionsOf(m)) {
      const samples: Buffer[] = [];
      for (const nulls of [false, true]) {
        const [input] = new SampleBuilder(v, inRange(m.flexibleVersions, v), { nulls, recordChunks: false }, 5 + v).struct(m.name);
        const w = new Writer();
        enc(w, input, v);
        samples.push(w.toBuffer());
      }
      out.push({ name: m.name, version: v, decode: decoderOf(m.name), samples });
    }
  }
  return out;
}

function randomBuffer(rand: () => number, maxLen: number): Buffer {
  const len = Math.floor(rand() * maxLen);
  const b = Buffer.allocUnsafe(len);
  // bias towards "interesting" bytes: 0x00, 0xff, 0x7f, 0x80 and small values
  for (let i = 0; i < len; i++) {
    const x = rand();
    b[i] = x < 0.2 ? 0 : x < 0.35 ? 0xff : x < 0.4 ? 0x7f : x < 0.45 ? 0x80 : x < 0.6 ? Math.floor(rand() * 8) : Math.floor(rand() * 256);
  }
  return b;
}

function mutate(rand: () => number, src: Buffer): Buffer {
  const b = Buffer.from(src);
  const op = Math.floor(rand() * 6);
  const at = Math.floor(rand() * Math.max(1, b.length));
  switch (op) {
    case 0: {
      // flip a few bytes
      const n = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < n && b.length > 0; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      return b;
    }
    case 1:
      // truncate
      return b.subarray(0, at);
    case 2: {
      // huge length-looking window
      const fill = [0x7f, 0xff, 0xff, 0xff];
      for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = fill[i] as number;
      return b;
    }
    case 3: {
      // varint-ish run of continuation bytes
      for (let i = 0; i < 6 && at + i < b.length; i++) b[at + i] = 0x80 | Math.floor(rand() * 128);
      return b;
    }
    case 4:
      // insert random bytes
      return Buffer.concat([b.subarray(0, at), randomBuffer(rand, 8), b.subarray(at)]);
    default:
      // delete a range
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rand() * 8))]);
  }
}

function decodeSafely(c: Combo, buf: Buffer, stats: { ok: number; err: number; maxMs: number }): void {
  const t0 = performance.now();
  try {
    c.decode(new Reader(buf), c.version);
    stats.ok++;
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) {
      assert.fail(`${c.name} v${c.version} threw ${(e as Error)?.name}: ${(e as Error)?.message} for input ${buf.toString('hex').slice(0, 400)}`);
    }
    stats.err++;
  }
  const dt = performance.now() - t0;
  if (dt > stats.maxMs) stats.maxMs = dt;
}

test('fuzz: 40k mutated + 200 random buffers x every request decoder/version only throw ProtocolDecodeError', () => {
  const reqs = combos((m) => m.kind === 'request');
  const rand = rng(0xc0ffee);
  const stats = { ok: 0, err: 0, maxMs: 0 };
  const heapBefore = process.memoryUsage().heapUsed;
  // mutated valid encodings, each fed to the decoder it was encoded for
  for (let i = 0; i < 40_000; i++) {
    const c = reqs[i % reqs.length] as Combo;
    const src = c.samples[Math.floor(rand() * c.samples.length)] as Buffer;
    let b = mutate(rand, src);
    if (rand() < 0.3) b = mutate(rand, b);
    decodeSafely(c, b, stats);
  }
  // random buffers, each fed to every request decoder at every version
  for (let i = 0; i < 200; i++) {
    const b = randomBuffer(rand, 96);
    for (const c of reqs) decodeSafely(c, b, stats);
  }
  assert.ok(stats.err > 0 && stats.ok > 0, JSON.stringify(stats));
  assert.ok(stats.maxMs < 250, `slowest decode took ${stats.maxMs} ms`);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 512 * 1024 * 1024, 'heap growth');
});

test('fuzz: mutated response, data, internal and header encodings', () => {
  const others = combos((m) => m.kind !== 'request');
  const rand = rng(42);
  const stats = { ok: 0, err: 0, maxMs: 0 };
  for (let i = 0; i < 20_000; i++) {
    const c = others[i % others.length] as Combo;
    const src = c.samples[Math.floor(rand() * c.samples.length)] as Buffer;
    decodeSafely(c, rand() < 0.1 ? randomBuffer(rand, 64) : mutate(rand, src), stats);
  }
  assert.ok(stats.err > 0 && stats.ok > 0, JSON.stringify(stats));
});

test('fuzz: request header reader', () => {
  const rand = rng(7);
  for (let i = 0; i < 5_000; i++) {
    const b = randomBuffer(rand, 24);
    try {
      readRequestHeader(new Reader(b));
    } catch (e) {
      assert.ok(e instanceof ProtocolDecodeError, String(e));
    }
  }
});

test('huge claimed lengths fail fast without allocating', () => {
  const reqs = combos((m) => m.kind === 'request');
  const bombs = [
    Buffer.from('7fffffff', 'hex'),
    Buffer.from('ffffffff0f', 'hex'),
    Buffer.from('0000' + '7fffffff'.repeat(8), 'hex'),
    Buffer.from('ffff' + 'fe'.repeat(40), 'hex'),
    Buffer.alloc(64, 0xff),
    Buffer.alloc(64, 0x7f),
  ];
  const stats = { ok: 0, err: 0, maxMs: 0 };
  for (const b of bombs) for (const c of reqs) decodeSafely(c, b, stats);
  assert.ok(stats.maxMs < 100);
});
