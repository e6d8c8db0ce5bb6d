import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaMessages } from '../../../src/protocol/generated/schemas.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { SampleBuilder, decoderOf, encoderOf, inRange, versionsOf } from './sample.js';

const VARIANTS = [
  { nulls: false, recordChunks: false },
  { nulls: true, recordChunks: true },
] as const;

for (const kind of ['request', 'response', 'data', 'header', 'internal'] as const) {
  test(`round-trip every ${kind} message at every version`, () => {
    let cases = 0;
    for (const m of schemaMessages.filter((x) => x.kind === kind)) {
      const enc = encoderOf(m.name);
      const dec = decoderOf(m.name);
      for (const v of versionsOf(m)) {
        const flexible = inRange(m.flexibleVersions, v);
        for (const [i, opts] of VARIANTS.entries()) {
          const [input, expected] = new SampleBuilder(v, flexible, opts, 11 + v + i).struct(m.name);
          const w = new Writer(16);
          enc(w, input, v);
          const bytes = w.toBuffer();
          assert.equal(bytes.length, w.length);
          const r = new Reader(bytes);
          const decoded = dec(r, v);
          const label = `${m.name} v${v} variant ${i}`;
          assert.equal(r.remaining(), 0, `${label}: trailing bytes`);
          assert.deepStrictEqual(decoded, expected, label);
          // Re-encoding the decoded form gives the same bytes.
          const w2 = new Writer();
          enc(w2, decoded, v);
          assert.deepStrictEqual(w2.toBuffer(), bytes, `${label}: re-encode`);
          cases++;
        }
      }
    }
    assert.ok(cases > 0);
  });
}

test('empty Init objects encode to defaults for every message and version', () => {
  for (const m of schemaMessages) {
    const enc = encoderOf(m.name);
    const dec = decoderOf(m.name);
    for (const v of versionsOf(m)) {
      const w = new Writer();
      enc(w, {}, v);
      const bytes = w.toBuffer();
      const r = new Reader(bytes);
      const decoded = dec(r, v);
      assert.equal(r.remaining(), 0, `${m.name} v${v}`);
      // the decoded defaults re-encode to the same bytes (default tagged fields are omitted)
      const w2 = new Writer();
      enc(w2, decoded, v);
      assert.deepStrictEqual(w2.toBuffer(), bytes, `${m.name} v${v}`);
    }
  }
});
