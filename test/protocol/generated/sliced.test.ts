/**
 * The generated sliced codecs (request decoders, response encoders) read and write exactly what
 * the synchronous ones do, at every version, even when they yield after every element.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaMessages } from '../../../src/protocol/generated/schemas.js';
import { slicedCodecOf } from '../../../src/protocol/generated/sliced-codecs.js';
import { decodeMetadataRequest, decodeMetadataRequestSliced, encodeMetadataRequest } from '../../../src/protocol/generated/messages/metadata.js';
import type { Sliced, Slicer } from '../../../src/protocol/primitives/sliced-codec.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { SampleBuilder, decoderOf, encoderOf, inRange, versionsOf } from './sample.js';

/** Yields after every element; counts the yields. */
class EveryTick implements Slicer {
  yields = 0;
  tick(): boolean {
    this.yields++;
    return true;
  }
}

function drain<T>(g: Sliced<T>): T {
  // Resumed at once after every yield.
  for (;;) {
    const s = g.next();
    if (s.done === true) return s.value;
  }
}

const VARIANTS = [
  { nulls: false, recordChunks: false },
  { nulls: true, recordChunks: true },
] as const;

test('sliced request decoders and response encoders match the synchronous codecs at every version', async () => {
  let cases = 0;
  let yields = 0;
  for (const m of schemaMessages.filter((x) => (x.kind === 'request' || x.kind === 'response') && x.apiKey >= 0)) {
    const codec = slicedCodecOf(m.apiKey);
    assert.ok(codec, `sliced codec of API ${m.apiKey}`);
    const enc = encoderOf(m.name);
    const dec = decoderOf(m.name);
    for (const v of versionsOf(m)) {
      const flexible = inRange(m.flexibleVersions, v);
      for (const [i, opts] of VARIANTS.entries()) {
        const [input] = new SampleBuilder(v, flexible, opts, 11 + v + i).struct(m.name);
        const w = new Writer(16);
        enc(w, input, v);
        const bytes = w.toBuffer();
        const label = `${m.name} v${v} variant ${i}`;
        const sl = new EveryTick();
        if (m.kind === 'request') {
          const r = new Reader(bytes);
          const decoded: unknown = drain(codec.decodeRequest(r, v, sl));
          assert.equal(r.remaining(), 0, `${label}: trailing bytes`);
          assert.deepStrictEqual(decoded, dec(new Reader(bytes), v), label);
        } else {
          const ws = new Writer(16);
          drain(codec.encodeResponse(ws, input, v, sl));
          assert.deepStrictEqual(ws.toBuffer(), bytes, label);
        }
        yields += sl.yields;
        cases++;
      }
    }
  }
  assert.ok(cases > 100 && yields > cases, `${cases} cases, ${yields} yields`);
});

test('consecutive identical elements decode to one shared object, equal to the synchronous decode', () => {
  const topics = ['', '', '', 'a', 'a', '', 'b'].map((name) => ({ name }));
  for (const v of [1, 8, 9, 12]) {
    const w = new Writer();
    encodeMetadataRequest(w, { topics, allowAutoTopicCreation: false }, v);
    const bytes = w.toBuffer();
    const r = new Reader(bytes);
    const sliced = drain(decodeMetadataRequestSliced(r, v, new EveryTick()));
    assert.equal(r.remaining(), 0);
    assert.deepStrictEqual(sliced, decodeMetadataRequest(new Reader(bytes), v));
    const t = sliced.topics ?? [];
    assert.equal(t[0], t[2]);
    assert.equal(t[3], t[4]);
    assert.notEqual(t[4], t[5]);
  }
});

test('a sliced decoder stops at a truncated frame as the synchronous one does', () => {
  const w = new Writer();
  encodeMetadataRequest(w, { topics: Array.from({ length: 100 }, () => ({ name: 'same' })), allowAutoTopicCreation: false }, 8);
  const bytes = w.toBuffer().subarray(0, 4 + 100 * 6 - 3);
  assert.throws(() => decodeMetadataRequest(new Reader(bytes), 8));
  assert.throws(() => drain(decodeMetadataRequestSliced(new Reader(bytes), 8, new EveryTick())));
});
