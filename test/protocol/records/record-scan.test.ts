/**
 * The record-content scanner (record-scan.ts): every malformed field is INVALID_RECORD, whole
 * buffer and chunked (any split, down to one byte per chunk) agree, and whatever the scanner
 * accepts the full decoder (record.ts) reads. Every whole-buffer case runs through both
 * implementations, the JavaScript one and the addon's (record-scan-native.ts): the addon's own
 * verdict (before any fallback to JavaScript) must match, and so must its statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { KafkaError } from '../../../src/common/kafka-error.js';
import { RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../../src/protocol/records/record.js';
import { NATIVE_MIN_RECORDS, RecordScanner, scanRecords, scanRecordsNative, scanRecordsPortable, type RecordScanStats, type ScanChecks } from '../../../src/protocol/records/record-scan.js';
import { nativeRecordScan, NativeScanStatus, recordScanImplementation } from '../../../src/protocol/records/record-scan-native.js';
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

type WholeScan = (buf: Buffer, start: number, end: number, count: number, checks?: ScanChecks) => RecordScanStats;

/** The whole-buffer scanners: scanRecords as Produce calls it, and each implementation forced. */
const WHOLE: [string, WholeScan][] = [
  ['scanRecords', scanRecords],
  ['js', scanRecordsPortable],
  ['native', scanRecordsNative],
];

const nativeOut = new Float64Array(4);

/**
 * The addon's own verdict on buf[start, end) (no fallback): must be `ok` with the JavaScript
 * statistics when `expected` is given, else `fault`. Nothing to check without the addon.
 */
function checkNative(buf: Buffer, start: number, end: number, count: number, expected: { nullKeys: number; min: number; max: number } | null, label = ''): void {
  if (nativeRecordScan === null) return;
  const status = nativeRecordScan(buf, start, end, count, nativeOut);
  if (expected === null) {
    assert.equal(status, NativeScanStatus.fault, `${label}: the addon accepts what the JavaScript scanner rejects: ${buf.subarray(start, end).toString('hex')}`);
  } else {
    assert.equal(status, NativeScanStatus.ok, `${label}: the addon rejects what the JavaScript scanner accepts: ${buf.subarray(start, end).toString('hex')}`);
    assert.deepEqual({ index: nativeOut[0], nullKeys: nativeOut[1], min: nativeOut[2], max: nativeOut[3] }, { index: count, ...expected }, label);
  }
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
  const s = scanRecordsPortable(body, 0, body.length, count);
  const whole = { nullKeys: s.nullKeys, min: s.minTimestampDelta, max: s.maxTimestampDelta };
  for (const [name, scan] of WHOLE) {
    const t = scan(body, 0, body.length, count);
    assert.deepEqual({ index: t.index, nullKeys: t.nullKeys, min: t.minTimestampDelta, max: t.maxTimestampDelta }, { index: count, ...whole }, name);
  }
  checkNative(body, 0, body.length, count, whole);
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
  if (limit === Infinity) {
    for (const [name, scan] of WHOLE) run(`whole, ${name}`, () => scan(body, 0, body.length, count));
    checkNative(body, 0, body.length, count, null);
  }
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

/**
 * expectInvalid on `body`, and on `body` followed by four valid records: a fault in a record that
 * is not the last one goes through the addon's fast path (which needs bytes after the record).
 */
function expectInvalidMidway(label: string, body: Buffer, count: number, message?: RegExp): void {
  expectInvalid(label, body, count, message);
  const tail = Array.from({ length: 4 }, (_, i) => record(count + i));
  expectInvalid(`${label}, followed by records`, Buffer.concat([body, ...tail]), count + 4);
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
  expectInvalidMidway('negative length', section(record(0, { length: zz(-1) })), 1);
  expectInvalid('negative length -2^31', section(record(0, { length: [0xff, 0xff, 0xff, 0xff, 0x0f] })), 1);
  expectInvalidMidway('length past the end', section(record(0, { lengthDelta: 1 })), 1);
  expectInvalid('length far past the end', section(record(0, { length: zz(1_000_000) })), 1);
  expectInvalid('length varint cut off', Buffer.from([0x80]), 1, /premature EOF/);
  expectInvalid('length varint cut off after a record', Buffer.concat([record(0), Buffer.from([0x81])]), 2, /premature EOF/);
  expectInvalid('six-byte length varint', Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), record(0).subarray(1)]), 1, /longer than 5 bytes/);
  expectInvalid('length varint over 32 bits', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), record(0).subarray(1)]), 1, /overflows 32 bits/);
  expectInvalidMidway('zero length', Buffer.from([0]), 1);
});

test('fields inside the record: timestampDelta, offsetDelta, key, value, headers', () => {
  const eleven = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
  expectInvalidMidway('timestampDelta varlong over 10 bytes', section(record(0, { ts: eleven })), 1, /longer than 10 bytes/);
  expectInvalidMidway('offsetDelta varint over 5 bytes', section(record(0, { offset: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00] })), 1);
  expectInvalidMidway('offsetDelta varint over 32 bits', section(record(0, { offset: [0xff, 0xff, 0xff, 0xff, 0x7f] })), 1);
  expectInvalidMidway('offsetDelta 1 for the first record', section(record(0, { offset: zz(1) })), 1, /offsetDelta/);
  expectInvalidMidway('offsetDeltas out of order', section(record(1), record(0)), 2, /offsetDelta/);
  expectInvalidMidway('offsetDelta repeated', section(record(0), record(0)), 2, /offsetDelta/);
  expectInvalidMidway('negative offsetDelta', section(record(0, { offset: zz(-1) })), 1, /offsetDelta/);
  expectInvalidMidway('offsetDelta skipping one', section(record(0), record(2)), 2, /offsetDelta/);
  expectInvalidMidway('key length -2', section(record(0, { key: zz(-2) })), 1, /key length -2/);
  expectInvalidMidway('key length past the record', section(record(0, { key: [...zz(50), 0x6b] })), 1);
  expectInvalidMidway('key length varint over 5 bytes', section(record(0, { key: [0x80, 0x80, 0x80, 0x80, 0x80, 0x00] })), 1);
  expectInvalidMidway('value length -5', section(record(0, { value: zz(-5) })), 1, /value length -5/);
  expectInvalidMidway('value length past the record', section(record(0, { value: [...zz(4), 0x61, 0x62, 0x63] })), 1);
  expectInvalidMidway('negative header count', section(record(0, { headers: zz(-1) })), 1, /number of record headers -1/);
  expectInvalidMidway('header count larger than the record', section(record(0, { headers: zz(100) })), 1, /number of record headers/);
  expectInvalidMidway('header count with a header missing', section(record(0, { headers: [...zz(2), ...zz(1), 0x68, ...zz(0)] })), 1);
  expectInvalidMidway('null header key', section(record(0, { headers: [...zz(1), ...zz(-1), ...zz(1), 0x76] })), 1, /negative header key size/);
  expectInvalidMidway('header key length past the record', section(record(0, { headers: [...zz(1), ...zz(9), 0x68] })), 1);
  expectInvalidMidway('header value length -2', section(record(0, { headers: [...zz(1), ...zz(1), 0x68, ...zz(-2)] })), 1, /header value length -2/);
  expectInvalidMidway('header value length past the record', section(record(0, { headers: [...zz(1), ...zz(1), 0x68, ...zz(9), 0x76] })), 1);
  expectInvalidMidway('header value length missing', section(record(0, { headers: [...zz(1), ...zz(1), 0x68] })), 1);
});

test('declared record length must equal what the fields take', () => {
  expectInvalidMidway('a spare byte inside the record', section(record(0, { extra: [0] })), 1, /expected to read/);
  expectInvalidMidway('fields longer than the declared length', section(record(0, { lengthDelta: -1 }), Buffer.from([0])), 1);
  expectInvalidMidway('fields longer than the declared length (no next record)', section(record(0, { lengthDelta: -2 })), 1);
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
    let stats: { nullKeys: number; min: number; max: number } | null = null;
    try {
      const s = scanRecordsPortable(m, 0, m.length, count);
      stats = { nullKeys: s.nullKeys, min: s.minTimestampDelta, max: s.maxTimestampDelta };
    } catch (e) {
      assert.ok(e instanceof KafkaError, String(e));
      wholeErr = e.code;
    }
    checkNative(m, 0, m.length, count, stats, `mutation ${n}`);
    for (const [name, scan] of WHOLE) {
      let err: number | null = null;
      try {
        scan(m, 0, m.length, count);
      } catch (e) {
        assert.ok(e instanceof KafkaError, String(e));
        err = e.code;
      }
      assert.equal(err, wholeErr, `mutation ${n}, ${name}: ${m.toString('hex')}`);
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

test('the native record scan built by npm install is in use, and scanRecords takes it from NATIVE_MIN_RECORDS records', () => {
  assert.equal(recordScanImplementation, 'native', 'native/crc32c (samsa_record_scan) was not built or refused: run `node scripts/build-native.mjs` to see why');
  assert.ok(NATIVE_MIN_RECORDS <= 64, `${NATIVE_MIN_RECORDS}`);
  const b = encodeRecordBatch({ baseTimestamp: 0n, records: Array.from({ length: 100 }, (_, i) => ({ key: i % 2 === 0 ? null : 'k', value: 'v', timestamp: BigInt(i - 50) })) });
  checkNative(b, RECORD_BATCH_OVERHEAD, b.length, 100, { nullKeys: 50, min: -50, max: 49 });
});

test('policy checks: keyless indexes and out-of-range timestamps are the same through both implementations', () => {
  for (const n of [3, NATIVE_MIN_RECORDS, 40]) {
    const b = encodeRecordBatch({ baseTimestamp: 1000n, records: Array.from({ length: n }, (_, i) => ({ key: i % 7 === 3 ? null : 'k', value: 'v', timestamp: 1000n + BigInt(i * 10 - 100) })) });
    const cases: ScanChecks[] = [
      { keyless: true, low: -Infinity, high: Infinity },
      { keyless: false, low: -Infinity, high: Infinity },
      { keyless: false, low: -55, high: 150 },
      { keyless: true, low: -100, high: 10_000 },
      { keyless: false, low: 0, high: 0 },
    ];
    for (const checks of cases) {
      const summary = (s: RecordScanStats): unknown => ({ index: s.index, nullKeys: s.nullKeys, min: s.minTimestampDelta, max: s.maxTimestampDelta, keyless: s.keyless === null ? null : [...s.keyless], tsFaults: s.tsFaults === null ? null : [...s.tsFaults] });
      const expected = summary(scanRecordsPortable(b, RECORD_BATCH_OVERHEAD, b.length, n, checks));
      for (const [name, scan] of WHOLE) assert.deepEqual(summary(scan(b, RECORD_BATCH_OVERHEAD, b.length, n, checks)), expected, `${n} records, ${name}, ${JSON.stringify(checks)}`);
    }
  }
});

test('timestampDelta varlongs of every length, up to 10 bytes and past 2^53: both implementations report the same minimum and maximum', () => {
  const rnd = prng(2024);
  for (let n = 0; n < 400; n++) {
    const recs = Array.from({ length: 1 + Math.floor(rnd() * 20) }, (_, i) => {
      const bytes = 1 + Math.floor(rnd() * 10);
      const ts = Array.from({ length: bytes }, (_, j) => (j < bytes - 1 ? 0x80 : 0) | Math.floor(rnd() * 128));
      return record(i, { ts });
    });
    const body = section(...recs);
    const s = scanRecordsPortable(body, 0, body.length, recs.length);
    checkNative(body, 0, body.length, recs.length, { nullKeys: 0, min: s.minTimestampDelta, max: s.maxTimestampDelta }, `case ${n}`);
  }
});

test('a records section inside a larger buffer: bytes outside [start, end) never make a difference', () => {
  const three = section(record(0), record(1, { key: zz(-1) }), record(2));
  const buf = Buffer.concat([Buffer.from('before'), three, three]);
  const start = 6;
  for (const [name, scan] of WHOLE) {
    assert.equal(scan(buf, start, start + three.length, 3).nullKeys, 1, name);
    // Cut before the last byte of record 2: its bytes continue in the buffer, but not in the section.
    assertKafkaError(() => scan(buf, start, start + three.length - 1, 3), ErrorCode.INVALID_RECORD);
    // The declared count reaches into the bytes after the section.
    assertKafkaError(() => scan(buf, start, start + three.length, 6), ErrorCode.INVALID_RECORD);
  }
  checkNative(buf, start, start + three.length - 1, 3, null);
  checkNative(buf, start, start + three.length, 6, null);
  // Fields of the last record that would run on past the section into valid-looking bytes.
  const short = section(record(0), record(1, { lengthDelta: -2 }));
  const padded = Buffer.concat([short, Buffer.from([0, 0, 0, 0])]);
  checkNative(padded, 0, short.length, 2, null);
});

test('the addon refuses arguments out of range instead of trusting them', { skip: nativeRecordScan === null }, () => {
  const f = nativeRecordScan as NonNullable<typeof nativeRecordScan>;
  const body = section(record(0), record(1));
  const out = new Float64Array(4);
  const bad: [string, () => number][] = [
    ['end past the buffer', () => f(body, 0, body.length + 1, 2, out)],
    ['start after end', () => f(body, 5, 4, 2, out)],
    ['negative start', () => f(body, -1, body.length, 2, out)],
    ['fractional end', () => f(body, 0, 3.5, 2, out)],
    ['NaN count', () => f(body, 0, body.length, NaN, out)],
    ['negative count', () => f(body, 0, body.length, -1, out)],
    ['count over int32', () => f(body, 0, body.length, 2 ** 31, out)],
    ['short out array', () => f(body, 0, body.length, 2, new Float64Array(3))],
    ['out not a Float64Array', () => f(body, 0, body.length, 2, new Float32Array(4) as unknown as Float64Array)],
    ['buf not a Uint8Array', () => f(new Uint16Array(8) as unknown as Uint8Array, 0, 4, 2, out)],
    ['missing arguments', () => (f as unknown as (...a: unknown[]) => number)(body, 0)],
    ['strings', () => (f as unknown as (...a: unknown[]) => number)(body, '0', String(body.length), '2', out)],
  ];
  for (const [label, call] of bad) assert.equal(call(), NativeScanStatus.badArgs, label);
  assert.equal(f(body, 0, body.length, 2, out), NativeScanStatus.ok);
  assert.equal(f(Buffer.alloc(0), 0, 0, 0, out), NativeScanStatus.ok, 'no records, count 0');
  // Bad arguments go to the JavaScript scanner, which rejects or reads them as before.
  assertKafkaError(() => scanRecordsNative(body, 0, body.length, -1), ErrorCode.INVALID_RECORD);
});

test('mutations of a batch of 40 records (scanRecords takes the addon): every implementation agrees', () => {
  const rnd = prng(4242);
  const base = encodeRecordBatch({
    baseTimestamp: 77n,
    records: Array.from({ length: 40 }, (_, i) => ({ key: i % 3 === 0 ? null : `k${i}`, value: 'x'.repeat(i % 9), timestamp: 77n + BigInt(i * 1000), headers: i % 4 === 1 ? [{ key: 'h', value: i % 8 === 1 ? null : 'v' }] : [] })),
  });
  const body = base.subarray(RECORD_BATCH_OVERHEAD);
  for (let n = 0; n < 1500; n++) {
    const m = Buffer.from(body);
    for (let e = 0; e < 1 + Math.floor(rnd() * 2); e++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    let stats: { nullKeys: number; min: number; max: number } | null = null;
    let code: number | null = null;
    try {
      const s = scanRecordsPortable(m, 0, m.length, 40);
      stats = { nullKeys: s.nullKeys, min: s.minTimestampDelta, max: s.maxTimestampDelta };
    } catch (e) {
      assert.ok(e instanceof KafkaError, String(e));
      code = e.code;
    }
    checkNative(m, 0, m.length, 40, stats, `mutation ${n}`);
    let got: number | null = null;
    try {
      scanRecords(m, 0, m.length, 40);
    } catch (e) {
      assert.ok(e instanceof KafkaError, String(e));
      got = e.code;
    }
    assert.equal(got, code, `mutation ${n}`);
  }
});
