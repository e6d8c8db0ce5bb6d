/**
 * Record-content validation of a v2 batch's records section, as Kafka's LogValidator does it by
 * iterating the batch (DefaultRecord.readFrom, or readPartiallyFrom over the decompressed stream
 * for compressed batches). The scan walks the varints directly over the bytes: no record objects,
 * no closures and no allocation per record. It also collects what the topic policy needs (whether
 * a record has a null key, the smallest and largest timestampDelta) and, when asked (`check`), the
 * indexes of the keyless records and of those whose timestampDelta is out of bounds, for the
 * per-record errors of Produce v8+ (record-errors.ts); so nothing else has to walk the records again.
 *
 * Two entry points share one implementation:
 * - {@link scanRecords}: a whole records section in one buffer (uncompressed batches); batches of
 *   more than a few records go to the same scan in C (record-scan-native.ts) when the addon is
 *   built, which settles valid batches and hands anything else back to this scanner;
 * - {@link RecordScanner}: a resumable scanner fed chunk by chunk (the output of a streaming
 *   decompressor); a record may straddle any number of chunks, including a chunk boundary inside a
 *   varint. Whole records inside a chunk take the same fast path as {@link scanRecords}; only a
 *   record that crosses a chunk boundary goes through the byte-wise state machine.
 *
 * Error mapping. Kafka raises InvalidRecordException (INVALID_RECORD) for every structural fault
 * found while reading records; only the batch CRC (validate.ts) and undecodable compressed data
 * (compression.ts) are CORRUPT_MESSAGE:
 *
 * | condition                                                                 | error             |
 * |---------------------------------------------------------------------------|-------------------|
 * | varint over 5 bytes or over 32 bits, varlong over 10 bytes                | INVALID_RECORD    |
 * | record length < 0, or past the end of the records section                 | INVALID_RECORD    |
 * | record ending past the decompressed-size limit (compressed batches)       | MESSAGE_TOO_LARGE |
 * | a field (timestampDelta, offsetDelta, lengths, bytes) running past the record | INVALID_RECORD |
 * | offsetDelta != the record's index in the batch (0..n-1)                   | INVALID_RECORD    |
 * | key or value length < -1, or longer than what is left of the record       | INVALID_RECORD    |
 * | header count < 0, or more headers than bytes left in the record           | INVALID_RECORD    |
 * | header key length < 0 (a null header key) or past the record              | INVALID_RECORD    |
 * | header value length < -1 or past the record                               | INVALID_RECORD    |
 * | the fields do not add up to the record's declared length                  | INVALID_RECORD    |
 * | fewer records than recordsCount (premature end)                           | INVALID_RECORD    |
 * | bytes left after recordsCount records                                     | INVALID_RECORD    |
 *
 * Deviations, all stricter than Kafka: Kafka reads a negative key/value/header-value length other
 * than -1 as null and we reject it; Kafka does not check offsetDelta in uncompressed batches and
 * rebuilds compressed batches whose offsetDeltas are not 0..n-1, while we store batches as sent and
 * so reject them (a consumer would otherwise see records at the wrong offsets). The record
 * attributes byte is unused in v2 and not checked (neither does Kafka).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { nativeRecordScan, NativeScanStatus } from './record-scan-native.js';

/** 128^i for the varint decoders (exact in a double up to i = 7). */
const POW7 = [1, 2 ** 7, 2 ** 14, 2 ** 21, 2 ** 28, 2 ** 35, 2 ** 42, 2 ** 49, 2 ** 56, 2 ** 63];

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message);
}

function tooLarge(end: number, limit: number): KafkaError {
  return new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record batch decompresses to more than ${limit} bytes (a record ends at byte ${end})`);
}

function overrun(field: string): KafkaError {
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

// Slow-path states: which field of the current record comes next.
const S_LEN = 0;
const S_ATTR = 1;
const S_TS = 2;
const S_OFF = 3;
const S_KLEN = 4;
const S_KEY = 5;
const S_VLEN = 6;
const S_VAL = 7;
const S_HCNT = 8;
const S_HKLEN = 9;
const S_HKEY = 10;
const S_HVLEN = 11;
const S_HVAL = 12;

/** What a scan found, besides "valid": read the fields right after the scan. */
export interface RecordScanStats {
  /** Records scanned (== recordsCount after a successful scan). */
  readonly index: number;
  /** Records with a null key (key length -1). */
  readonly nullKeys: number;
  /** Smallest / largest timestampDelta (a double; +/-Infinity before the first record). */
  readonly minTimestampDelta: number;
  readonly maxTimestampDelta: number;
  /** Indexes of the keyless records, when collected (see {@link RecordScanner.collectKeyless}); else null. */
  readonly keyless: readonly number[] | null;
  /** [index, timestampDelta] pairs of the records outside [tsLow, tsHigh]; null when none. */
  readonly tsFaults: readonly number[] | null;
}

/**
 * Resumable record scanner. `reset(count, limit)`, then `write(chunk, start, end)` for every piece
 * of the records section in order, then `finish()`. Every method throws KafkaError (see the module
 * comment). A chunk is not referenced after `write` returns, so a decompressor may reuse its
 * output buffer.
 */
export class RecordScanner implements RecordScanStats {
  count = 0;
  index = 0;
  nullKeys = 0;
  minTimestampDelta = Infinity;
  maxTimestampDelta = -Infinity;
  /** Keyless record indexes are collected here when non-null (compacted topics: record errors). */
  keyless: number[] | null = null;
  /** timestampDelta bounds: a record outside them is noted in tsFaults (per-record timestamp errors). */
  tsLow = -Infinity;
  tsHigh = Infinity;
  tsFaults: number[] | null = null;
  /** Largest allowed size of the records section; a record ending beyond it is MESSAGE_TOO_LARGE. */
  limit = Infinity;
  /** Bytes written so far. */
  total = 0;
  /** Stream position of index 0 of the chunk being written (total before it minus its start). */
  private chunkBase = 0;
  // Slow-path state of the record straddling chunks.
  private state = S_LEN;
  private vRaw = 0;
  private vBytes = 0;
  private recordLength = 0;
  private recLeft = 0;
  private skip = 0;
  private headersLeft = 0;

  /**
   * Per-record checks of the policy, after reset(): collect keyless indexes (`collectKeyless`) and
   * the records whose timestampDelta lies outside [low, high].
   */
  check(collectKeyless: boolean, low = -Infinity, high = Infinity): this {
    this.keyless = collectKeyless ? [] : null;
    this.tsLow = low;
    this.tsHigh = high;
    return this;
  }

  reset(count: number, limit = Infinity): this {
    this.count = count;
    this.index = 0;
    this.nullKeys = 0;
    this.minTimestampDelta = Infinity;
    this.maxTimestampDelta = -Infinity;
    this.keyless = null;
    this.tsLow = -Infinity;
    this.tsHigh = Infinity;
    this.tsFaults = null;
    this.limit = limit;
    this.total = 0;
    this.state = S_LEN;
    this.vRaw = 0;
    this.vBytes = 0;
    this.recLeft = 0;
    this.skip = 0;
    this.headersLeft = 0;
    return this;
  }

  write(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.chunkBase = this.total - start;
    this.total += end - start;
    if (this.total > this.limit) throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record batch decompresses to more than ${this.limit} bytes`);
    let p = start;
    while (p < end) {
      if (this.state === S_LEN && this.vBytes === 0) {
        p = scanWhole(this, buf, p, end, this.chunkBase, false);
        if (p >= end) break;
      }
      p = this.step(buf, p, end);
    }
  }

  /** After the last chunk: every record complete and exactly `count` of them. */
  finish(): void {
    if (this.state !== S_LEN || this.vBytes !== 0) {
      throw invalid(`Incorrect declared batch size, premature EOF reached (inside record ${this.index})`);
    }
    if (this.index !== this.count) {
      throw invalid(`Incorrect declared batch size, premature EOF reached: ${this.index} of ${this.count} records present`);
    }
  }

  /** Byte-wise state machine for one record crossing a chunk boundary; returns once the record is complete or the chunk is used up. */
  private step(buf: Buffer, p: number, end: number): number {
    while (p < end) {
      const state = this.state;
      if (state === S_KEY || state === S_VAL || state === S_HKEY || state === S_HVAL) {
        const n = Math.min(this.skip, end - p);
        p += n;
        this.skip -= n;
        this.recLeft -= n;
        if (this.skip > 0) return p;
        if (state === S_KEY) this.state = S_VLEN;
        else if (state === S_VAL) this.state = S_HCNT;
        else if (state === S_HKEY) this.state = S_HVLEN;
        else if (this.nextHeader()) return p;
        continue;
      }
      if (state === S_LEN) {
        if (this.index >= this.count) throw invalid('Incorrect declared batch size, records still remaining in file');
      } else {
        if (this.recLeft <= 0) throw overrun(FIELD_NAMES[state] as string);
        this.recLeft--;
      }
      const b = buf[p++] as number;
      if (state === S_ATTR) {
        this.state = S_TS;
        continue;
      }
      // A varint or varlong byte.
      const i = this.vBytes;
      this.vRaw += (b & 0x7f) * (POW7[i] as number);
      this.vBytes = i + 1;
      if (b >= 0x80) {
        if (state === S_TS ? i + 1 >= 10 : i + 1 >= 5) {
          throw invalid(`Found invalid record structure: ${FIELD_NAMES[state] as string} ${state === S_TS ? 'varlong is longer than 10 bytes' : 'varint is longer than 5 bytes'}`);
        }
        continue;
      }
      const raw = this.vRaw;
      this.vRaw = 0;
      this.vBytes = 0;
      if (state === S_TS) {
        const half = Math.floor(raw / 2);
        const ts = raw % 2 === 0 ? half : -half - 1;
        if (ts < this.minTimestampDelta) this.minTimestampDelta = ts;
        if (ts > this.maxTimestampDelta) this.maxTimestampDelta = ts;
        if (ts < this.tsLow || ts > this.tsHigh) (this.tsFaults ??= []).push(this.index, ts);
        this.state = S_OFF;
        continue;
      }
      if (raw > 0xffffffff) throw invalid(`Found invalid record structure: ${FIELD_NAMES[state] as string} varint overflows 32 bits`);
      const v = (raw >>> 1) ^ -(raw & 1);
      switch (state) {
        case S_LEN: {
          if (v < 0) throw invalid(`Invalid record size ${v}`);
          const recordEnd = this.chunkBase + p + v;
          if (recordEnd > this.limit) throw tooLarge(recordEnd, this.limit);
          this.recordLength = v;
          this.recLeft = v;
          this.state = S_ATTR;
          break;
        }
        case S_OFF:
          if (v !== this.index) throw invalid(`record ${this.index} has offsetDelta ${v}; offset deltas must be 0..recordsCount-1 in order`);
          this.state = S_KLEN;
          break;
        case S_KLEN:
        case S_VLEN:
          if (v < -1) throw invalid(`Found invalid record structure: ${state === S_KLEN ? 'key' : 'value'} length ${v}`);
          if (v > this.recLeft) throw overrun(state === S_KLEN ? 'key' : 'value');
          if (state === S_KLEN && v < 0) {
            this.nullKeys++;
            this.keyless?.push(this.index);
          }
          this.skip = v > 0 ? v : 0;
          // Zero-length fields move straight on, so a record never waits in a skip state.
          this.state = v > 0 ? state + 1 : state + 2;
          break;
        case S_HCNT:
          if (v < 0) throw invalid(`Found invalid number of record headers ${v}`);
          if (v > this.recLeft) throw invalid(`Found invalid number of record headers. ${v} is larger than the remaining size of the record`);
          this.headersLeft = v;
          if (v === 0) {
            if (this.endRecord()) return p;
          } else {
            this.state = S_HKLEN;
          }
          break;
        case S_HKLEN:
          if (v < 0) throw invalid(`Invalid negative header key size ${v}`);
          if (v > this.recLeft) throw overrun('header key');
          this.skip = v;
          this.state = v > 0 ? S_HKEY : S_HVLEN;
          break;
        case S_HVLEN:
          if (v < -1) throw invalid(`Found invalid record structure: header value length ${v}`);
          if (v > this.recLeft) throw overrun('header value');
          if (v > 0) {
            this.skip = v;
            this.state = S_HVAL;
          } else if (this.nextHeader()) {
            return p;
          }
          break;
      }
    }
    return p;
  }

  /** After a header value: the next header, or the end of the record (returns true then). */
  private nextHeader(): boolean {
    if (--this.headersLeft > 0) {
      this.state = S_HKLEN;
      return false;
    }
    return this.endRecord();
  }

  private endRecord(): boolean {
    if (this.recLeft !== 0) {
      throw invalid(`Invalid record size: expected to read ${this.recordLength} bytes in record payload, but instead read ${this.recordLength - this.recLeft}`);
    }
    this.index++;
    this.state = S_LEN;
    return true;
  }
}

const FIELD_NAMES = ['record length', 'attributes', 'timestampDelta', 'offsetDelta', 'key length', 'key', 'value length', 'value', 'header count', 'header key length', 'header key', 'header value length', 'header value'];

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
function scanWhole(s: RecordScanner, buf: Buffer, p: number, end: number, base: number, final: boolean): number {
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

const flat = new RecordScanner();

/** Below this many records the JavaScript scan costs less than a call into the addon. */
export const NATIVE_MIN_RECORDS = 16;
const nativeOut = new Float64Array(4);

/** Per-record checks of the topic policy: collect keyless indexes; timestampDelta bounds (see RecordScanner.check). */
export interface ScanChecks {
  keyless: boolean;
  low: number;
  high: number;
}

/**
 * Scans the `count` records of the records section buf[start, end) (an uncompressed batch's body).
 * Returns the statistics (a shared object: read it before the next scan). Throws KafkaError.
 * Uses the native scan (record-scan-native.ts) when it is built and the batch has at least
 * {@link NATIVE_MIN_RECORDS} records; the result is the same either way.
 */
export function scanRecords(buf: Buffer, start: number, end: number, count: number, checks?: ScanChecks): RecordScanStats {
  if (nativeRecordScan !== null && count >= NATIVE_MIN_RECORDS) return scanRecordsNative(buf, start, end, count, checks);
  return scanRecordsPortable(buf, start, end, count, checks);
}

/**
 * {@link scanRecords} through the addon whatever the record count (the JavaScript scan when the
 * addon is missing). The addon settles the common case, a valid batch that the policy accepts;
 * when it finds a fault, keyless records on a compacted topic, or a timestampDelta outside the
 * bounds, the JavaScript scanner runs again to build the exact error or the per-record lists.
 */
export function scanRecordsNative(buf: Buffer, start: number, end: number, count: number, checks?: ScanChecks): RecordScanStats {
  if (nativeRecordScan !== null && nativeRecordScan(buf, start, end, count, nativeOut) === NativeScanStatus.ok) {
    const nullKeys = nativeOut[1] as number;
    const min = nativeOut[2] as number;
    const max = nativeOut[3] as number;
    if (checks === undefined || (!(checks.keyless && nullKeys > 0) && !(min < checks.low) && !(max > checks.high))) {
      const s = flat.reset(count, Infinity);
      if (checks !== undefined) s.check(checks.keyless, checks.low, checks.high);
      s.total = end - start;
      s.index = count;
      s.nullKeys = nullKeys;
      s.minTimestampDelta = min;
      s.maxTimestampDelta = max;
      return s;
    }
  }
  return scanRecordsPortable(buf, start, end, count, checks);
}

/** {@link scanRecords} in JavaScript only: the reference implementation. */
export function scanRecordsPortable(buf: Buffer, start: number, end: number, count: number, checks?: ScanChecks): RecordScanStats {
  const s = flat.reset(count, Infinity);
  if (checks !== undefined) s.check(checks.keyless, checks.low, checks.high);
  s.total = end - start;
  const p = scanWhole(s, buf, start, end, -start, true);
  if (p !== end) throw invalid(`Incorrect declared batch size, premature EOF reached (inside record ${s.index})`);
  if (s.index !== count) throw invalid(`Incorrect declared batch size, premature EOF reached: ${s.index} of ${count} records present`);
  return s;
}
