/**
 * The record-content scanner (record-scan.ts): every malformed field is INVALID_RECORD, whole
 * buffer and chunked (any split, down to one byte per chunk) agree, and whatever the scanner
 * accepts the full decoder (record.ts) reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { KafkaError } from '../../../src/common/kafka-error.js';
import { RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../../src/protocol/records/record.js';
import { RecordScanner, scanRecords } from '../../../src/protocol/records/record-scan.js';
import { assertKafkaError, prng } from './helpers.js';

/** Unsigned varint bytes of `raw` (no zig-zag). */
function uvarint(raw: number): number[] {
  const out: number[] = [];
  let v = raw;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Zig-zag varint bytes of a signed value. */
function zz(n: number): number[] {
  return uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
}

interface RawRecord {
  attributes?: number;
  ts?: number[];
  offset?: number[];
  key?: number[];
  value?: number[];
  headers?: number[];
  /** Bytes appended inside the record (after the header fields). */
  extra?: number[];
  /** Replaces the length varint. */
  length?: number[];
  /** Added to the computed length. */
  lengthDelta?: number;
}

/** One record from explicit field bytes; defaults make a valid record with offsetDelta `i`. */
function record(i: number, r: RawRecord = {}): Buffer {
  const body = [
    r.attributes ?? 0,
    ...(r.ts ?? zz(0)),
    ...(r.offset ?? zz(i)),
    ...(r.key ?? [...zz(1), 0x6b]),
    ...(r.value ?? [...zz(3), 0x61, 0x62, 0x63]),
    ...(r.headers ?? zz(0)),
    ...(r.extra ?? []),
  ];
  const length = r.length ?? zz(body.length + (r.lengthDelta ?? 0));
  return Buffer.from([...length, ...body]);
}

function section(...records: Buffer[]): Buffer {
  return Buffer.concat(records);
}

/** Scans `body` whole and in every chunking of the given sizes; all must agree. Returns the stats of the whole scan. */
function scanAll(body: Buffer, count: number, limit = Infinity): { nullKeys: number; min: number; max: number } {
  const s = scanRecords(body, 0, body.length, count);
  const whole = { nullKeys: s.nullKeys, min: s.minTimestampDelta, max: s.maxTimestampDelta };
  for (const chunk of [1, 2, 3, 5, 7, 64]) {
    const sc = new RecordScanner().reset(count, limit);
    for (let i = 0; i < body.length; i += chunk) sc.write(body, i, Math.min(body.length, i + chunk));
    sc.finish();
    assert.deepEqual({ nullKeys: sc.nullKeys, min: sc.minTimestampDelta, max: sc.maxTimestampDelta }, whole, `chunks of ${chunk}`);
  }
  return whole;
}

/** The error code of scanning `body` whole, and the same from every chunking. */
function scanError(body: Buffer, count: number, limit = Infinity): KafkaError {
  let first: KafkaError | undefined;
  const run = (label: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof KafkaError, `${label}: ${String(e)}`);
      if (first === undefined) first = e;
      else assert.equal(e.code, first.code, `${label}: ${e.message} vs ${first.message}`);
      return;
    }
    assert.fail(`${label}: accepted`);
  };
  if (limit === Infinity) run('whole', () => scanRecords(body, 0, body.length, count));
  for (const chunk of [1, 2, 3, 4, 7, 13, Math.max(1, body.length)]) {
    run(`chunks of ${chunk}`, () => {
      const sc = new RecordScanner().reset(count, limit);
      for (let i = 0; i < body.length; i += chunk) sc.write(body, i, Math.min(body.length, i + chunk));
      sc.finish();
    });
  }
  return first as KafkaError;
}

function expectInvalid(label: string, body: Buffer, count: number, message?: RegExp): void {
  const e = scanError(body, count);
  assert.equal(e.code, ErrorCode.INVALID_RECORD, `${label}: ${e.message}`);
  if (message !== undefined) assert.match(e.message, message, label);
}

test('valid records from the encoder: stats, whole and chunked', () => {
  const records: RecordInput[] = [
    { key: 'a', value: 'x', headers: [{ key: 'h', value: 'v' }, { key: '', value: null }], timestamp: 1000n },
    { key: null, value: null, timestamp: 995n },
    { value: 'y'.repeat(300), timestamp: 101_000n },
    { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 1000n + 2n ** 40n },
  ];
  const b = encodeRecordBatch({ records, baseTimestamp: 1000n });
  const s = scanAll(b.subarray(RECORD_BATCH_OVERHEAD), records.length);
  assert.deepEqual(s, { nullKeys: 2, min: -5, max: 2 ** 40 });
});

test('hand-built records: the defaults are valid, including many and long fields', () => {
  assert.deepEqual(scanAll(section(record(0), record(1), record(2)), 3), { nullKeys: 0, min: 0, max: 0 });
  // Null key and value, headers with null values, 5-byte varints, non-minimal encodings.
  const big = Buffer.alloc(20_000, 0x61);
  const r0 = record(0, { key: zz(-1), value: [...zz(big.length), ...big], headers: [...zz(2), ...zz(1), 0x68, ...zz(-1), ...zz(0), ...zz(0)], ts: zz(-123456789) });
  const r1 = record(1, { offset: [0x82, 0x80, 0x80, 0x80, 0x00], ts: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f] });
  const s = scanAll(section(r0, r1), 2);
  assert.equal(s.nullKeys, 1);
  assert.equal(s.min, -123456789);
  // Records with offsetDelta past 127 and 16383 (multi-byte encodings of the index).
  const many = Array.from({ length: 17_000 }, (_, i) => record(i));
  scanAll(Buffer.concat(many), many.length);
});

test('record length: negative, past the end, truncated, over-long and overflowing varints', () => {
  expectInvalid('negative length', section(record(0, { length: zz(-1) })), 1);
  expectInvalid('negative length -2^31', section(record(0, { length: [0xff, 0xff, 0xff, 0xff, 0x0f] })), 1);
  expectInvalid('length past the end', section(record(0, { lengthDelta: 1 })), 1);
  expectInvalid('length far past the end', section(record(0, { length: zz(1_000_000) })), 1);
  expectInvalid('length varint cut off', Buffer.from([0x80]), 1, /premature EOF/);
  expectInvalid('length varint cut off after a record', Buffer.concat([record(0), Buffer.from([0x81])]), 2, /premature EOF/);
  expectInvalid('six-byte length varint', Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), record(0).subarray(1)]), 1, /longer than 5 bytes/);
  expectInvalid('length varint over 32 bits', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), record(0).subarray(1)]), 1, /overflows 32 bits/);
  expectInvalid('zero length', Buffer.from([0]), 1);
});

test('fields inside the record: timestampDelta, offsetDelta, key, value, headers', () => {
  const eleven = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
  expectInvalid('timestampDelta varlong over 10 bytes', section(record(0, { ts: eleven })), 1, /longer than 10 bytes/);
  expectInvalid('offsetDelta varint over 5 bytes', section(record(0, { offset: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00] })), 1);
  expectInvalid('offsetDelta varint over 32 bits', section(record(0, { offset: [0xff, 0xff, 0xff, 0xff, 0x7f] })), 1);
  expectInvalid('offsetDelta 1 for the first record', section(record(0, { offset: zz(1) })), 1, /offsetDelta/);
  expectInvalid('offsetDeltas out of order', section(record(1), record(0)), 2, /offsetDelta/);
  expectInvalid('offsetDelta repeated', section(record(0), record(0)), 2, /offsetDelta/);
  expectInvalid('negative offsetDelta', section(record(0, { offset: zz(-1) })), 1, /offsetDelta/);
  expectInvalid('offsetDelta skipping one', section(record(0), record(2)), 2, /offsetDelta/);
  expectInvalid('key length -2', section(record(0, { key: zz(-2) })), 1, /key length -2/);
  expectInvalid('key length past the record', section(record(0, { key: [...zz(50), 0x6b] })), 1);
  expectInvalid('key length varint over 5 bytes', section(record(0, { key: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00] })), 1);
  expectInvalid('value length -5', section(record(0, { value: zz(-5) })), 1, /value length -5/);
  expectInvalid('value length past the record', section(record(0, { value: [...zz(4), 0x61, 0x62, 0x63] })), 1);
  expectInvalid('negative header count', section(record(0, { headers: zz(-1) })), 1, /number of record headers -1/);
  expectInvalid('header count larger than the record', section(record(0, { headers: zz(100) })), 1, /number of record headers/);
  expectInvalid('header count with a header missing', section(record(0, { headers: [...zz(2), ...zz(1), 0x68, ...zz(0)] })), 1);
  expectInvalid('null header key', section(record(0, { headers: [...zz(1), ...zz(-1), ...zz(1), 0x76] })), 1, /negative header key size/);
  expectInvalid('header key length past the record', section(record(0, { headers: [...zz(1), ...zz(9), 0x68] })), 1);
  expectInvalid('header value length -2', section(record(0, { headers: [...zz(1), ...zz(1), 0x68, ...zz(-2)] })), 1, /header value length -2/);
  expectInvalid('header value length past the record', section(record(0, { headers: [...zz(1), ...zz(1), 0x68, ...zz(9), 0x76] })), 1);
  expectInvalid('header value length missing', section(record(0, { headers: [...zz(1), ...zz(1), 0x68] })), 1);
});

test('declared record length must equal what the fields take', () => {
  expectInvalid('a spare byte inside the record', section(record(0, { extra: [0] })), 1, /expected to read/);
  expectInvalid('fields longer than the declared length', section(record(0, { lengthDelta: -1 }), Buffer.from([0])), 1);
  expectInvalid('fields longer than the declared length (no next record)', section(record(0, { lengthDelta: -2 })), 1);
});

test('recordsCount must match the records, both ways; no trailing bytes', () => {
  const three = section(record(0), record(1), record(2));
  expectInvalid('count larger than the records', three, 4, /premature EOF/);
  expectInvalid('count smaller than the records', three, 2, /records still remaining/);
  expectInvalid('count 1 on an empty section', Buffer.alloc(0), 1, /premature EOF/);
  expectInvalid('trailing zero byte', Buffer.concat([three, Buffer.from([0])]), 3, /records still remaining/);
  expectInvalid('trailing garbage', Buffer.concat([three, Buffer.from('garbage')]), 3);
  expectInvalid('a record cut in the middle', three.subarray(0, three.length - 2), 3);
  // 2^31-1 claimed, one present.
  expectInvalid('count 2^31-1 with one record', record(0), 0x7fffffff, /premature EOF/);
});

test('random bytes are rejected; a record longer than the limit is MESSAGE_TOO_LARGE before it arrives', () => {
  const rnd = prng(7);
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(Array.from({ length: 16 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
    const e = scanError(junk, 1 + Math.floor(rnd() * 3));
    assert.equal(e.code, ErrorCode.INVALID_RECORD, e.message);
  }
  // A record announcing 100 MB, fed to a scanner limited to 1 MiB: rejected on its length varint.
  const sc = new RecordScanner().reset(1, 1024 * 1024);
  assertKafkaError(() => sc.write(Buffer.from(zz(100_000_000)), 0, 4), ErrorCode.MESSAGE_TOO_LARGE);
  // The same within one chunk (fast path).
  const sc2 = new RecordScanner().reset(1, 1024 * 1024);
  assertKafkaError(() => sc2.write(Buffer.concat([Buffer.from(zz(100_000_000)), Buffer.alloc(100)]), 0, 104), ErrorCode.MESSAGE_TOO_LARGE);
  // Bytes beyond the limit in total.
  const sc3 = new RecordScanner().reset(1000, 100);
  const recs = Buffer.concat(Array.from({ length: 20 }, (_, i) => record(i)));
  assertKafkaError(() => sc3.write(recs, 0, recs.length), ErrorCode.MESSAGE_TOO_LARGE);
});

test('mutations of valid sections: whole and chunked agree, and what is accepted decodes', () => {
  const rnd = prng(99);
  const base = encodeRecordBatch({
    baseTimestamp: 5000n,
    records: Array.from({ length: 12 }, (_, i) => ({
      key: i % 4 === 0 ? null : `key-${i}`,
      value: i % 5 === 0 ? null : 'v'.repeat(i * 13),
      timestamp: 5000n + BigInt(i * 17),
      headers: i % 3 === 0 ? [{ key: `h${i}`, value: i % 2 === 0 ? null : 'hv' }] : [],
    })),
  });
  const body = base.subarray(RECORD_BATCH_OVERHEAD);
  let accepted = 0;
  for (let n = 0; n < 3000; n++) {
    const m = Buffer.from(body);
    const edits = 1 + Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    const count = rnd() < 0.9 ? 12 : Math.floor(rnd() * 14);
    let wholeErr: number | null = null;
    try {
      scanRecords(m, 0, m.length, count);
    } catch (e) {
      assert.ok(e instanceof KafkaError, String(e));
      wholeErr = e.code;
    }
    for (const chunk of [1, 3, 16]) {
      let err: number | null = null;
      try {
        const sc = new RecordScanner().reset(count, Infinity);
        for (let i = 0; i < m.length; i += chunk) sc.write(m, i, Math.min(m.length, i + chunk));
        sc.finish();
      } catch (e) {
        assert.ok(e instanceof KafkaError, String(e));
        err = e.code;
      }
      assert.equal(err, wholeErr, `mutation ${n}, chunks of ${chunk}: ${m.toString('hex')}`);
    }
    if (wholeErr === null) {
      accepted++;
      const batch = Buffer.concat([base.subarray(0, RECORD_BATCH_OVERHEAD), m]);
      batch.writeInt32BE(count, 57);
      const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
      assert.equal(decoded.records.length, count);
      decoded.records.forEach((r, i) => assert.equal(r.offset, BigInt(i)));
    } else {
      assert.equal(wholeErr, ErrorCode.INVALID_RECORD);
    }
  }
  assert.ok(accepted > 100, `some mutations (e.g. inside values) stay valid: ${accepted}`);
});
