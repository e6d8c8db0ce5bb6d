/**
 * The resumable record scanner of record-scan.ts: fed the records section chunk by chunk (the
 * output of a streaming decompressor); a record may straddle any number of chunks, including a
 * chunk boundary inside a varint. Whole records inside a chunk take the fast path of
 * record-scan-whole.ts; only a record that crosses a chunk boundary goes through the byte-wise
 * state machine here.
 *
 * Kafka's rule and Samsa's deviations (error mapping, the stricter checks of offsetDelta and of
 * negative lengths) are those of the module comment of record-scan.ts.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { invalid, overrun, POW7, scanWhole, tooLarge } from './record-scan-whole.js';

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
