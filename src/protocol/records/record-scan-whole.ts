/**
 * The fast path of the record scan (record-scan.ts): the records that lie whole in one buffer,
 * read by walking the varints directly over the bytes, with no record objects, no closures and no
 * allocation per record. Used by {@link scanRecords} for a whole records section and by
 * {@link RecordScanner} for the whole records inside a chunk. Also the bounds-checked multi-byte
 * varint readers and the error constructors that the resumable scanner (record-scanner.ts) shares.
 *
 * Kafka's rule and Samsa's deviations (error mapping, the stricter checks of offsetDelta and of
 * negative lengths) are those of the module comment of record-scan.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { RecordScanner } from './record-scanner.js';

/** 128^i for the varint decoders (exact in a double up to i = 7). */
export const POW7 = [1, 2 ** 7, 2 ** 14, 2 ** 21, 2 ** 28, 2 ** 35, 2 ** 42, 2 ** 49, 2 ** 56, 2 ** 63];

export function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message);
}

export function tooLarge(end: number, limit: number): KafkaError {
  return new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record batch decompresses to more than ${limit} bytes (a record ends at byte ${end})`);
}

export function overrun(field: string): KafkaError {
  return invalid(`Found invalid record structure: ${field} runs past the end of the record`);
}

// Out-parameter of the multi-byte varint readers: the position after the varint.
let vpos = 0;

/** Zig-zag varint whose first byte at `q` has its continuation bit set; within [q, lim). */
function varintMore(buf: Buffer, q: number, lim: number, field: string): number {
  let raw = 0;
  for (let i = 0; i < 5; i++) {
    if (q >= lim) throw overrun(field);
    const b = buf[q++] as number;
    raw += (b & 0x7f) * (POW7[i] as number);
    if (b < 0x80) {
      if (raw > 0xffffffff) throw invalid(`Found invalid record structure: ${field} varint overflows 32 bits`);
      vpos = q;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  throw invalid(`Found invalid record structure: ${field} varint is longer than 5 bytes`);
}

/** Zig-zag varlong as a double (exact up to 2^53) within [q, lim). */
function varlongMore(buf: Buffer, q: number, lim: number, field: string): number {
  let raw = 0;
  for (let i = 0; i < 10; i++) {
    if (q >= lim) throw overrun(field);
    const b = buf[q++] as number;
    raw += (b & 0x7f) * (POW7[i] as number);
    if (b < 0x80) {
      vpos = q;
      const half = Math.floor(raw / 2);
      return raw % 2 === 0 ? half : -half - 1;
    }
  }
  throw invalid(`Found invalid record structure: ${field} varlong is longer than 10 bytes`);
}

/**
 * The record length varint at `p` (first byte has the continuation bit) within [p, end). Sets
 * vpos to the position after it, or to -1 when the chunk ends inside it and `final` is false.
 */
function lengthVarint(buf: Buffer, p: number, end: number, final: boolean): number {
  let raw = 0;
  for (let i = 0; i < 5; i++) {
    if (p >= end) {
      if (final) throw invalid('Incorrect declared batch size, premature EOF reached (inside a record length)');
      vpos = -1;
      return 0;
    }
    const b = buf[p++] as number;
    raw += (b & 0x7f) * (POW7[i] as number);
    if (b < 0x80) {
      if (raw > 0xffffffff) throw invalid('Found invalid record structure: record length varint overflows 32 bits');
      vpos = p;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  throw invalid('Found invalid record structure: record length varint is longer than 5 bytes');
}

/**
 * Scans the whole records that lie in buf[p, end), from the scanner's state (which must be at a
 * record boundary), and stores the state back. Returns the position of the first record that does
 * not lie entirely in the chunk (== end when all did). With `final`, that is an error instead.
 * `base` is the stream position of buf[0] (for the size limit).
 *
 * Bounds: the record's end is checked against the chunk before its fields are read; the fields
 * themselves are not checked one by one. A field that runs past the record reads on into the next
 * one (or past the buffer, which yields undefined and lands in the bounds-checked multi-byte
 * readers); positions only grow, so the record then fails the final `q === recEnd` check, and
 * every skip is checked against what is left of the record first.
 */
export function scanWhole(s: RecordScanner, buf: Buffer, p: number, end: number, base: number, final: boolean): number {
  const count = s.count;
  let index = s.index;
  let nullKeys = s.nullKeys;
  let minTs = s.minTimestampDelta;
  let maxTs = s.maxTimestampDelta;
  const tsLow = s.tsLow;
  const tsHigh = s.tsHigh;
  while (p < end) {
    if (index >= count) throw invalid(`Incorrect declared batch size, records still remaining in file (${end - p} bytes after ${count} records)`);
    let b = buf[p] as number;
    let b2: number;
    let len: number;
    let q: number;
    if (b < 0x80) {
      len = (b >>> 1) ^ -(b & 1);
      q = p + 1;
    } else if (p + 1 < end && (b2 = buf[p + 1] as number) < 0x80) {
      b = (b & 0x7f) | (b2 << 7);
      len = (b >>> 1) ^ -(b & 1);
      q = p + 2;
    } else {
      len = lengthVarint(buf, p, end, final);
      if (vpos < 0) break;
      q = vpos;
    }
    if (len < 0) throw invalid(`Invalid record size ${len}`);
    const recEnd = q + len;
    if (recEnd > end) {
      if (base + recEnd > s.limit) throw tooLarge(base + recEnd, s.limit);
      if (final) throw invalid(`Invalid record size: expected ${len} bytes in record payload, but instead the buffer has only ${end - q} remaining bytes`);
      break;
    }
    const bodyStart = q;
    q++; // attributes (unused in v2)

    // timestampDelta: varlong
    b = buf[q] as number;
    let ts: number;
    if (b < 0x80) {
      ts = (b >>> 1) ^ -(b & 1);
      q++;
    } else if (q + 1 < recEnd && (b2 = buf[q + 1] as number) < 0x80) {
      b = (b & 0x7f) | (b2 << 7);
      ts = (b >>> 1) ^ -(b & 1);
      q += 2;
    } else {
      ts = varlongMore(buf, q, recEnd, 'timestampDelta');
      q = vpos;
    }
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    if (ts < tsLow || ts > tsHigh) (s.tsFaults ??= []).push(index, ts);

    // offsetDelta: must be the record's index. Compare with its usual 1- or 2-byte encoding first.
    b = buf[q] as number;
    let v = index << 1; // zig-zag of index (>= 0; below 2^30: records take >= 7 bytes)
    if (b === v && v < 0x80) {
      q++;
    } else if (v < 0x4000 && b === ((v & 0x7f) | 0x80) && q + 1 < recEnd && buf[q + 1] === v >>> 7) {
      q += 2;
    } else {
      if (b < 0x80) {
        v = (b >>> 1) ^ -(b & 1);
        q++;
      } else {
        v = varintMore(buf, q, recEnd, 'offsetDelta');
        q = vpos;
      }
      if (v !== index) throw invalid(`record ${index} has offsetDelta ${v}; offset deltas must be 0..recordsCount-1 in order`);
    }

    // key
    b = buf[q] as number;
    if (b < 0x80) {
      v = (b >>> 1) ^ -(b & 1);
      q++;
    } else if (q + 1 < recEnd && (b2 = buf[q + 1] as number) < 0x80) {
      b = (b & 0x7f) | (b2 << 7);
      v = (b >>> 1) ^ -(b & 1);
      q += 2;
    } else {
      v = varintMore(buf, q, recEnd, 'key length');
      q = vpos;
    }
    if (v < 0) {
      if (v !== -1) throw invalid(`Found invalid record structure: key length ${v}`);
      nullKeys++;
      s.keyless?.push(index);
    } else {
      if (v > recEnd - q) throw overrun('key');
      q += v;
    }

    // value
    b = buf[q] as number;
    if (b < 0x80) {
      v = (b >>> 1) ^ -(b & 1);
      q++;
    } else if (q + 1 < recEnd && (b2 = buf[q + 1] as number) < 0x80) {
      b = (b & 0x7f) | (b2 << 7);
      v = (b >>> 1) ^ -(b & 1);
      q += 2;
    } else {
      v = varintMore(buf, q, recEnd, 'value length');
      q = vpos;
    }
    if (v < 0) {
      if (v !== -1) throw invalid(`Found invalid record structure: value length ${v}`);
    } else {
      if (v > recEnd - q) throw overrun('value');
      q += v;
    }

    // headers
    b = buf[q] as number;
    let headers: number;
    if (b < 0x80) {
      headers = (b >>> 1) ^ -(b & 1);
      q++;
    } else if (q + 1 < recEnd && (b2 = buf[q + 1] as number) < 0x80) {
      b = (b & 0x7f) | (b2 << 7);
      headers = (b >>> 1) ^ -(b & 1);
      q += 2;
    } else {
      headers = varintMore(buf, q, recEnd, 'header count');
      q = vpos;
    }
    if (headers < 0) throw invalid(`Found invalid number of record headers ${headers}`);
    if (headers > recEnd - q) throw invalid(`Found invalid number of record headers. ${headers} is larger than the remaining size of the record`);
    for (let h = 0; h < headers; h++) {
      b = buf[q] as number;
      if (b < 0x80) {
        v = (b >>> 1) ^ -(b & 1);
        q++;
      } else if (q + 1 < recEnd && (b2 = buf[q + 1] as number) < 0x80) {
        b = (b & 0x7f) | (b2 << 7);
        v = (b >>> 1) ^ -(b & 1);
        q += 2;
      } else {
        v = varintMore(buf, q, recEnd, 'header key length');
        q = vpos;
      }
      if (v < 0) throw invalid(`Invalid negative header key size ${v}`);
      if (v > recEnd - q) throw overrun('header key');
      q += v;
      b = buf[q] as number;
      if (b < 0x80) {
        v = (b >>> 1) ^ -(b & 1);
        q++;
      } else if (q + 1 < recEnd && (b2 = buf[q + 1] as number) < 0x80) {
        b = (b & 0x7f) | (b2 << 7);
        v = (b >>> 1) ^ -(b & 1);
        q += 2;
      } else {
        v = varintMore(buf, q, recEnd, 'header value length');
        q = vpos;
      }
      if (v < 0) {
        if (v !== -1) throw invalid(`Found invalid record structure: header value length ${v}`);
      } else {
        if (v > recEnd - q) throw overrun('header value');
        q += v;
      }
    }
    if (q !== recEnd) throw invalid(`Invalid record size: expected to read ${len} bytes in record payload, but instead read ${q - bodyStart}`);
    index++;
    p = recEnd;
  }
  s.index = index;
  s.nullKeys = nullKeys;
  s.minTimestampDelta = minTs;
  s.maxTimestampDelta = maxTs;
  return p;
}
