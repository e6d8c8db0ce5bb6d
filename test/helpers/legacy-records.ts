/**
 * Test-only encoder of old-format (magic 0/1) message sets, as pre-0.11 producers write them:
 * uncompressed sets, or one compressed wrapper whose inner offsets are relative (magic 1, wrapper
 * offset = last inner offset unless given) or 0..n-1 (magic 0).
 */
import { crc32 } from 'node:zlib';
import { compress } from '../../src/protocol/records/compression.js';
import { breakLz4HeaderChecksum } from '../../src/protocol/records/legacy-lz4.js';

export interface LegacyInput {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  timestamp?: bigint;
  offset?: bigint;
  /** Extra attribute bits (e.g. 0x08 LogAppendTime, or a codec on an inner message). */
  attributes?: number;
  /** Write a wrong CRC. */
  badCrc?: boolean;
  /** Override the message's magic (inner magic mismatches). */
  magic?: number;
}

function bytes(v: string | Buffer | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** One entry: offset, size, crc, magic, attributes, [timestamp], key, value. */
export function legacyMessage(magic: number, m: LegacyInput, offset: bigint): Buffer {
  const key = bytes(m.key);
  const value = bytes(m.value);
  const mg = m.magic ?? magic;
  const size = 4 + 1 + 1 + (mg === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
  const out = Buffer.alloc(12 + size);
  out.writeBigInt64BE(m.offset ?? offset, 0);
  out.writeInt32BE(size, 8);
  let p = 16;
  out.writeInt8(mg, p++);
  out.writeUInt8(m.attributes ?? 0, p++);
  if (mg === 1) {
    out.writeBigInt64BE(m.timestamp ?? -1n, p);
    p += 8;
  }
  out.writeInt32BE(key === null ? -1 : key.length, p);
  p += 4;
  if (key !== null) p += key.copy(out, p);
  out.writeInt32BE(value === null ? -1 : value.length, p);
  p += 4;
  if (value !== null) value.copy(out, p);
  const crc = crc32(out.subarray(16));
  out.writeUInt32BE(m.badCrc === true ? (crc ^ 1) >>> 0 : crc, 12);
  return out;
}

export function legacySet(magic: number, messages: LegacyInput[], firstOffset = 0n): Buffer {
  return Buffer.concat(messages.map((m, i) => legacyMessage(magic, m, firstOffset + BigInt(i))));
}

export interface WrapperOptions {
  codec: number;
  /** Offset field of the wrapper (default: magic 1 the last inner offset, magic 0 0). */
  wrapperOffset?: bigint;
  /** Wrapper timestamp (magic 1; default the largest inner timestamp) and LogAppendTime flag. */
  timestamp?: bigint;
  logAppendTime?: boolean;
  /** lz4 only: write Kafka's pre-0.10 header checksum (KAFKA-3160). */
  brokenLz4Checksum?: boolean;
  badCrc?: boolean;
}

/** One compressed wrapper holding `messages` (inner offsets 0..n-1 unless given). */
export function legacyWrapper(magic: number, messages: LegacyInput[], o: WrapperOptions): Buffer {
  const innerSet = legacySet(magic, messages);
  let value = compress(o.codec, innerSet);
  if (o.brokenLz4Checksum === true) value = breakLz4HeaderChecksum(value);
  const maxTs = messages.reduce((m, r) => (r.timestamp !== undefined && r.timestamp > m ? r.timestamp : m), -1n);
  const lastInner = messages.reduce((m, r, i) => r.offset ?? BigInt(i), 0n);
  return legacyMessage(
    magic,
    { key: null, value, timestamp: o.timestamp ?? maxTs, attributes: o.codec | (o.logAppendTime === true ? 0x08 : 0), ...(o.badCrc === true ? { badCrc: true } : {}) },
    o.wrapperOffset ?? (magic === 1 ? lastInner : 0n),
  );
}
