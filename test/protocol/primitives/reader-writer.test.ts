import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, ProtocolDecodeError, ZERO_UUID, randomUuid } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { uuidFromHex, uuidToHex, uuidToBytes } from '../../../src/protocol/primitives/uuid.js';

const hex = (w: Writer): string => w.toBuffer().toString('hex');
const reader = (h: string): Reader => new Reader(Buffer.from(h, 'hex'));
const isDecodeError = (e: unknown): boolean => e instanceof ProtocolDecodeError;

test('fixed-width integers round-trip at their limits', () => {
  const w = new Writer(4);
  w.writeInt8(-128);
  w.writeInt8(127);
  w.writeInt16(-32768);
  w.writeInt16(32767);
  w.writeUInt16(65535);
  w.writeInt32(-2147483648);
  w.writeInt32(2147483647);
  w.writeUInt32(4294967295);
  w.writeInt64(-(2n ** 63n));
  w.writeInt64(2n ** 63n - 1n);
  w.writeFloat64(-1.5);
  w.writeBoolean(true);
  w.writeBoolean(false);
  const b = w.toBuffer();
  assert.equal(b.length, 1 + 1 + 2 + 2 + 2 + 4 + 4 + 4 + 8 + 8 + 8 + 2);
  const r = new Reader(b);
  assert.equal(r.readInt8(), -128);
  assert.equal(r.readInt8(), 127);
  assert.equal(r.readInt16(), -32768);
  assert.equal(r.readInt16(), 32767);
  assert.equal(r.readUInt16(), 65535);
  assert.equal(r.readInt32(), -2147483648);
  assert.equal(r.readInt32(), 2147483647);
  assert.equal(r.readUInt32(), 4294967295);
  assert.equal(r.readInt64(), -(2n ** 63n));
  assert.equal(r.readInt64(), 2n ** 63n - 1n);
  assert.equal(r.readFloat64(), -1.5);
  assert.equal(r.readBoolean(), true);
  assert.equal(r.readBoolean(), false);
  assert.equal(r.remaining(), 0);
  assert.throws(() => r.readInt8(), isDecodeError);
});

test('big-endian layout', () => {
  const w = new Writer();
  w.writeInt16(0x0102);
  w.writeInt32(0x03040506);
  w.writeInt64(0x0708090a0b0c0d0en);
  assert.equal(hex(w), '01020304050607' + '08090a0b0c0d0e');
});

test('unsigned varint known encodings and limits', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2147483647, 'ffffffff07'],
    [4294967295, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    const w = new Writer();
    w.writeUnsignedVarint(v);
    assert.equal(hex(w), h, `write ${v}`);
    const r = reader(h);
    assert.equal(r.readUnsignedVarint(), v, `read ${h}`);
    assert.equal(r.remaining(), 0);
  }
  assert.throws(() => reader('ffffffff10').readUnsignedVarint(), isDecodeError); // > 32 bits
  assert.throws(() => reader('ffffffffff01').readUnsignedVarint(), isDecodeError); // 6 bytes
  assert.throws(() => reader('ff').readUnsignedVarint(), isDecodeError); // truncated
  assert.throws(() => reader('').readUnsignedVarint(), isDecodeError);
});

test('zigzag varint known encodings and int32 limits', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    const w = new Writer();
    w.writeVarint(v);
    assert.equal(hex(w), h, `write ${v}`);
    assert.equal(reader(h).readVarint(), v, `read ${h}`);
  }
});

test('zigzag varlong known encodings and int64 limits', () => {
  const cases: [bigint, string][] = [
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [150n, 'ac02'],
    [2147483647n, 'feffffff0f'],
    [-2147483648n, 'ffffffff0f'],
    [2147483648n, '8080808010'],
    [-2147483649n, '8180808010'],
    [2n ** 35n, '808080808002'],
    [2n ** 63n - 1n, 'feffffffffffffffff01'],
    [-(2n ** 63n), 'ffffffffffffffffff01'],
  ];
  for (const [v, h] of cases) {
    const w = new Writer();
    w.writeVarlong(v);
    const got = hex(w);
    assert.equal(got, h, `write ${v}`);
    const r = reader(got);
    assert.equal(r.readVarlong(), v, `read ${got}`);
    assert.equal(r.remaining(), 0);
  }
  // number inputs are accepted too
  const w = new Writer();
  w.writeVarlong(-1);
  w.writeVarlong(2 ** 40);
  const r = new Reader(w.toBuffer());
  assert.equal(r.readVarlong(), -1n);
  assert.equal(r.readVarlong(), 2n ** 40n);
  // too long / truncated
  assert.throws(() => reader('ffffffffffffffffff02').readVarlong(), isDecodeError);
  assert.throws(() => reader('ffffffffffffffffffff01').readVarlong(), isDecodeError);
  assert.throws(() => reader('ffff').readVarlong(), isDecodeError);
  assert.throws(() => reader('ffffffffff').readVarlong(), isDecodeError);
});

test('varlong round-trips across magnitudes', () => {
  for (let e = 0n; e < 63n; e++) {
    for (const v of [2n ** e, -(2n ** e), 2n ** e - 1n, -(2n ** e) + 1n]) {
      const w = new Writer();
      w.writeVarlong(v);
      assert.equal(new Reader(w.toBuffer()).readVarlong(), v);
    }
  }
  for (let e = 0; e < 31; e++) {
    for (const v of [2 ** e, -(2 ** e), 2 ** e - 1]) {
      const w = new Writer();
      w.writeVarint(v);
      assert.equal(new Reader(w.toBuffer()).readVarint(), v);
    }
  }
});

test('strings: classic, compact, nullable', () => {
  const w = new Writer();
  w.writeString('abc');
  w.writeNullableString(null);
  w.writeNullableString('');
  w.writeCompactString('héllo');
  w.writeCompactNullableString(null);
  w.writeCompactNullableString('');
  assert.equal(hex(w), '0003616263' + 'ffff' + '0000' + '0768c3a96c6c6f' + '00' + '01');
  const r = new Reader(w.toBuffer());
  assert.equal(r.readString(), 'abc');
  assert.equal(r.readNullableString(), null);
  assert.equal(r.readNullableString(), '');
  assert.equal(r.readCompactString(), 'héllo');
  assert.equal(r.readCompactNullableString(), null);
  assert.equal(r.readCompactNullableString(), '');
  assert.equal(r.remaining(), 0);
  // a long string takes the non-ASCII-fast path and spans a chunk boundary
  const long = 'x'.repeat(5000) + 'ü';
  const w2 = new Writer(8);
  w2.writeInt8(1);
  w2.writeCompactString(long);
  const r2 = new Reader(w2.toBuffer(), 1);
  assert.equal(r2.readCompactString(), long);
});

test('string decode errors', () => {
  assert.throws(() => reader('ffff').readString(), isDecodeError); // null for non-nullable
  assert.throws(() => reader('fffe').readNullableString(), isDecodeError); // -2
  assert.throws(() => reader('000561').readString(), isDecodeError); // too long
  assert.throws(() => reader('00').readCompactString(), isDecodeError); // null for non-nullable
  assert.throws(() => reader('0561').readCompactNullableString(), isDecodeError);
  assert.throws(() => reader('ffffffff0f').readCompactNullableString(), isDecodeError);
  assert.throws(() => new Writer().writeString('x'.repeat(40000)), RangeError);
});

test('bytes: classic, compact, nullable; reads are zero-copy subarrays', () => {
  const w = new Writer();
  w.writeBytes(Buffer.from([1, 2]));
  w.writeNullableBytes(null);
  w.writeCompactBytes(Buffer.from([3]));
  w.writeCompactNullableBytes(null);
  w.writeCompactNullableBytes(Buffer.alloc(0));
  const b = w.toBuffer();
  assert.equal(b.toString('hex'), '000000020102' + 'ffffffff' + '0203' + '00' + '01');
  const r = new Reader(b);
  const first = r.readBytes();
  assert.deepEqual([...first], [1, 2]);
  assert.equal(first.buffer, b.buffer, 'subarray of the input');
  first[0] = 9;
  assert.equal(b[4], 9);
  assert.equal(r.readNullableBytes(), null);
  assert.deepEqual([...r.readCompactBytes()], [3]);
  assert.equal(r.readCompactNullableBytes(), null);
  assert.equal(r.readCompactNullableBytes()?.length, 0);
  assert.throws(() => reader('ffffffff').readBytes(), isDecodeError);
  assert.throws(() => reader('fffffffe').readNullableBytes(), isDecodeError);
  assert.throws(() => reader('7fffffff00').readBytes(), isDecodeError);
  assert.throws(() => reader('00').readCompactBytes(), isDecodeError);
  assert.throws(() => reader('ffffffff0f').readCompactBytes(), isDecodeError);
});

test('array lengths are checked against the remaining bytes', () => {
  assert.equal(reader('00000002aabb').readArrayLength(false, false), 2);
  assert.equal(reader('ffffffff').readArrayLength(false, true), -1);
  assert.throws(() => reader('ffffffff').readArrayLength(false, false), isDecodeError);
  assert.throws(() => reader('fffffffe').readArrayLength(false, true), isDecodeError);
  assert.throws(() => reader('00000003aabb').readArrayLength(false, false), isDecodeError);
  assert.throws(() => reader('7fffffff').readArrayLength(false, false), isDecodeError);
  assert.equal(reader('03aabb').readArrayLength(true, false), 2);
  assert.equal(reader('00').readArrayLength(true, true), -1);
  assert.throws(() => reader('00').readArrayLength(true, false), isDecodeError);
  assert.throws(() => reader('ffffffff0f').readArrayLength(true, false), isDecodeError);
});

test('tagged fields: known ones are handed a bounded reader, unknown ones skipped', () => {
  const w = new Writer();
  w.writeUnsignedVarint(3);
  w.writeUnsignedVarint(0);
  w.writeUnsignedVarint(4);
  w.writeInt32(42);
  w.writeUnsignedVarint(5);
  w.writeUnsignedVarint(2);
  w.writeInt16(7);
  w.writeUnsignedVarint(9);
  w.writeUnsignedVarint(0);
  w.writeInt8(99); // trailing data after the section
  const seen: [number, number][] = [];
  const r = new Reader(w.toBuffer());
  r.readTaggedFields((tag, sub) => {
    if (tag === 0) {
      seen.push([tag, sub.readInt32()]);
      assert.throws(() => sub.readInt8(), isDecodeError);
    }
  });
  assert.deepEqual(seen, [[0, 42]]);
  assert.equal(r.readInt8(), 99);
  const r2 = new Reader(w.toBuffer());
  r2.readTaggedFields();
  assert.equal(r2.readInt8(), 99);
  assert.throws(() => reader('010005aa').readTaggedFields(), isDecodeError); // size beyond end
  assert.throws(() => reader('05').readTaggedFields(), isDecodeError); // count beyond end
});

test('reader bounds: constructor window and end', () => {
  const b = Buffer.from('0001020304', 'hex');
  const r = new Reader(b, 1, 3);
  assert.equal(r.remaining(), 2);
  assert.equal(r.readInt16(), 0x0102);
  assert.throws(() => r.readInt8(), isDecodeError);
  assert.throws(() => new Reader(b, 0, 6), isDecodeError);
  assert.throws(() => new Reader(b, 4, 3), isDecodeError);
  const r2 = new Reader(b, 3);
  assert.throws(() => r2.readInt32(), (e: unknown) => e instanceof ProtocolDecodeError && e instanceof Error);
  assert.equal(r2.offset, 3, 'failed read does not advance');
});

test('UUIDs: textual form, zero, random, hex conversion', () => {
  assert.equal(ZERO_UUID, 'AAAAAAAAAAAAAAAAAAAAAA');
  const w = new Writer();
  w.writeUuid(ZERO_UUID);
  const u = uuidFromHex('f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
  w.writeUuid(u);
  assert.equal(hex(w), '00'.repeat(16) + 'f81d4fae7dec11d0a76500a0c91e6bf6');
  const r = new Reader(w.toBuffer());
  assert.equal(r.readUuid(), ZERO_UUID);
  assert.equal(r.readUuid(), u);
  assert.equal(u, '-B1Prn3sEdCnZQCgyR5r9g');
  assert.equal(uuidToHex(u), 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const x = randomUuid();
    assert.match(x, /^[A-Za-z0-9_][A-Za-z0-9_-]{20}[AQgw]$/);
    assert.notEqual(x, ZERO_UUID);
    assert.equal(uuidToBytes(x).length, 16);
    seen.add(x);
  }
  assert.equal(seen.size, 200);
  assert.throws(() => new Writer().writeUuid('short'), TypeError);
  assert.throws(() => new Writer().writeUuid('!!!!!!!!!!!!!!!!!!!!!!'), TypeError);
  assert.throws(() => uuidToBytes('AAAAAAAAAAAAAAAAAAAAAB'), TypeError);
});

test('writer: raw buffers by reference, chunking, length', () => {
  const big = Buffer.alloc(10_000, 7);
  const w = new Writer(16);
  w.writeInt32(1);
  w.writeRawBuffer(big);
  w.writeInt16(2);
  w.writeRawBuffer(Buffer.from([5, 6])); // small: copied
  assert.equal(w.length, 4 + 10_000 + 2 + 2);
  const chunks = w.toChunks();
  assert.ok(chunks.includes(big), 'large buffer kept by reference');
  assert.equal(chunks.reduce((n, c) => n + c.length, 0), w.length);
  // writes after toChunks keep earlier chunks intact
  w.writeInt8(3);
  const all = w.toBuffer();
  assert.equal(all.length, 4 + 10_000 + 2 + 2 + 1);
  assert.equal(all.readInt32BE(0), 1);
  assert.equal(all[4 + 9_999], 7);
  assert.equal(all.readInt16BE(10_004), 2);
  assert.deepEqual([...all.subarray(10_006)], [5, 6, 3]);
  // many small writes grow across chunks
  const w2 = new Writer(1);
  for (let i = 0; i < 100_000; i++) w2.writeInt32(i);
  const b2 = w2.toBuffer();
  assert.equal(b2.length, 400_000);
  for (let i = 0; i < 100_000; i += 997) assert.equal(b2.readInt32BE(i * 4), i);
  // empty writer
  assert.equal(new Writer().toBuffer().length, 0);
  // appending another writer
  const w3 = new Writer();
  w3.writeInt8(1);
  w3.writeWriter(w);
  assert.equal(w3.length, 1 + all.length);
  assert.deepEqual(w3.toBuffer().subarray(1), all);
});
