/** Test helpers: a minimal valid v2 record batch builder (CRC via crc32c) and temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../../src/protocol/records/crc32c.js';
import { type LogConfig, defaultLogConfig } from '../../src/storage/log-config.js';

function zigzagVarint(out: number[], v: number): void {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
}

export interface BatchSpec {
  baseOffset?: number;
  /** Number of records (default 1). */
  count?: number;
  /** Timestamp of the first record; record i gets timestamp + i (default 1_000_000). */
  timestamp?: number;
  /** Explicit per-record timestamps (overrides timestamp/count). */
  timestamps?: number[];
  /** Bytes of value per record (default 10). */
  valueSize?: number;
  epoch?: number;
}

export function makeBatch(spec: BatchSpec = {}): Buffer {
  const timestamps = spec.timestamps ?? Array.from({ length: spec.count ?? 1 }, (_, i) => (spec.timestamp ?? 1_000_000) + i);
  const count = timestamps.length;
  const baseTs = timestamps[0] ?? 0;
  const maxTs = Math.max(...timestamps);
  const valueSize = spec.valueSize ?? 10;
  const recordBytes: number[] = [];
  for (let i = 0; i < count; i++) {
    const body: number[] = [0];
    zigzagVarint(body, (timestamps[i] as number) - baseTs);
    zigzagVarint(body, i);
    zigzagVarint(body, -1);
    zigzagVarint(body, valueSize);
    for (let j = 0; j < valueSize; j++) body.push((i + j) & 0xff);
    zigzagVarint(body, 0);
    zigzagVarint(recordBytes, body.length);
    recordBytes.push(...body);
  }
  const buf = Buffer.alloc(61 + recordBytes.length);
  buf.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(spec.epoch ?? -1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(count - 1, 23);
  buf.writeBigInt64BE(BigInt(baseTs), 27);
  buf.writeBigInt64BE(BigInt(maxTs), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(count, 57);
  Buffer.from(recordBytes).copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

export interface ParsedBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  epoch: number;
  size: number;
  crcOk: boolean;
  attributes: number;
}

/** Splits a buffer of whole batches. */
export function parseBatches(buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = [];
  let p = 0;
  while (p < buf.length) {
    const size = buf.readInt32BE(p + 8) + 12;
    if (p + size > buf.length) throw new Error(`partial batch at ${p}`);
    const baseOffset = Number(buf.readBigInt64BE(p));
    out.push({
      baseOffset,
      lastOffset: baseOffset + buf.readInt32BE(p + 23),
      maxTimestamp: Number(buf.readBigInt64BE(p + 35)),
      epoch: buf.readInt32BE(p + 12),
      size,
      crcOk: crc32c(buf.subarray(p + 21, p + size)) === buf.readUInt32BE(p + 17),
      attributes: buf.readInt16BE(p + 21),
    });
    p += size;
  }
  return out;
}

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, fileDeleteDelayMs: 0, ...overrides };
}

export function tempDir(prefix = 'samsa-storage-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A maker of temporary dirs for one test file: every dir it made is removed after the file. */
export function tempDirs(prefix?: string): () => string {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));
  return () => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
}

/** A controllable clock. */
export function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}
