/**
 * Record batches for the null broker (null-broker.ts): the synthetic batches its Fetch answers
 * with (built once per value size and record count, valid CRC, base offset patched per answer),
 * and the value size of the first record a producer sent (what Fetch replays).
 */
import { ATTRIBUTES_OFFSET, COMPRESSION_CODEC_MASK, RECORD_BATCH_OVERHEAD } from '../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../src/protocol/records/record.js';

export class BatchTemplates {
  private readonly templates = new Map<string, Buffer>();

  /** A batch of `n` records with `valueSize`-byte values (valid CRC; baseOffset patched per use). */
  get(valueSize: number, n: number): Buffer {
    const key = `${valueSize}:${n}`;
    let b = this.templates.get(key);
    if (!b) {
      const value = Buffer.alloc(valueSize, 0x61);
      const ts = BigInt(Date.now());
      b = encodeRecordBatch({ baseOffset: 0n, baseTimestamp: ts, records: Array.from({ length: n }, () => ({ value, timestamp: ts })) });
      if (this.templates.size > 64) this.templates.clear();
      this.templates.set(key, b);
    }
    return b;
  }
}

/** Value length of the first record of an uncompressed batch at `pos`, or -1. */
export function firstValueSize(buf: Buffer, pos: number): number {
  if ((buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK) !== 0) return -1;
  let p = pos + RECORD_BATCH_OVERHEAD;
  const varint = (): number => {
    let shift = 0;
    let result = 0;
    for (;;) {
      if (p >= buf.length) return NaN;
      const byte = buf[p++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  varint(); // record length
  p += 1; // attributes
  varint(); // timestamp delta
  varint(); // offset delta
  const keyLen = varint();
  if (keyLen > 0) p += keyLen;
  const valueLen = varint();
  return Number.isFinite(valueLen) ? valueLen : -1;
}

