/**
 * Test-side reader of magic 0/1 message sets (what Fetch v0-v3 carries), written from the format
 * description, independent of the broker's code: checks each message's CRC-32 and opens
 * compressed wrappers (gzip, snappy, lz4 frames with the spec's descriptor checksum: the
 * decompressor verifies it, also on magic 0 where Kafka writes the pre-0.10 one).
 */
import { crc32 } from 'node:zlib';
import { decompress } from '../../src/protocol/records/compression.js';

export interface LegacyMessage {
  offset: bigint;
  magic: number;
  attributes: number;
  codec: number;
  /** Present on magic 1 only. */
  timestamp: bigint | null;
  key: Buffer | null;
  value: Buffer | null;
  /** Messages inside a compressed wrapper (offsets as written: relative on magic 1). */
  inner: LegacyMessage[] | null;
}

/** Whole messages of `buf` (a trailing partial message is ignored, as clients do). Throws on a bad CRC or magic. */
export function readLegacyMessages(buf: Buffer): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let p = 0;
  while (buf.length - p >= 12) {
    const offset = buf.readBigInt64BE(p);
    const size = buf.readInt32BE(p + 8);
    if (buf.length - p - 12 < size) break;
    const body = buf.subarray(p + 12, p + 12 + size);
    const crc = body.readUInt32BE(0);
    if (crc32(body.subarray(4)) !== crc) throw new Error(`message at ${offset}: CRC mismatch`);
    const magic = body.readInt8(4);
    if (magic !== 0 && magic !== 1) throw new Error(`message at ${offset}: magic ${magic}`);
    const attributes = body.readInt8(5);
    let q = 6;
    let timestamp: bigint | null = null;
    if (magic === 1) {
      timestamp = body.readBigInt64BE(q);
      q += 8;
    }
    const bytes = (): Buffer | null => {
      const len = body.readInt32BE(q);
      q += 4;
      if (len < 0) return null;
      const b = Buffer.from(body.subarray(q, q + len));
      q += len;
      return b;
    };
    const key = bytes();
    const value = bytes();
    if (q !== body.length) throw new Error(`message at ${offset}: ${body.length - q} trailing bytes`);
    const codec = attributes & 0x07;
    let inner: LegacyMessage[] | null = null;
    if (codec !== 0) {
      inner = readLegacyMessages(decompress(codec, value ?? Buffer.alloc(0)));
    }
    out.push({ offset, magic, attributes, codec, timestamp, key, value, inner });
    p += 12 + size;
  }
  return out;
}

/** Flattens wrappers into the records a client delivers: absolute offsets, as old clients compute them. */
export function legacyRecords(messages: LegacyMessage[]): { offset: bigint; timestamp: bigint | null; key: string | null; value: string | null; attributes: number; magic: number }[] {
  const out: { offset: bigint; timestamp: bigint | null; key: string | null; value: string | null; attributes: number; magic: number }[] = [];
  for (const m of messages) {
    if (m.inner === null) {
      out.push({ offset: m.offset, timestamp: m.timestamp, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, attributes: m.attributes, magic: m.magic });
      continue;
    }
    const last = m.inner[m.inner.length - 1];
    // Magic 1: inner offsets are relative; the wrapper holds the absolute offset of the last one.
    const base = m.magic === 1 && last !== undefined ? m.offset - last.offset : 0n;
    for (const i of m.inner) out.push({ offset: base + i.offset, timestamp: i.timestamp, key: i.key?.toString() ?? null, value: i.value?.toString() ?? null, attributes: i.attributes, magic: i.magic });
  }
  return out;
}
