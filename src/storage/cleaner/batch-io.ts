/**
 * Cleaner I/O: reads a segment's batches in bounded chunks (log.cleaner.io.buffer.size), walks the
 * records of one batch without allocating per record, and buffers the cleaned output.
 */
import * as fs from 'node:fs';
import { CorruptRecordError } from '../../common/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CRC_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../../protocol/records/batch-header.js';
import { decompress } from '../../protocol/records/compression.js';
import { crc32c } from '../../protocol/records/crc32c.js';
import { writeFully } from '../fs-util.js';
import { readInt64 } from '../int64.js';
import type { Segment } from '../segment.js';

const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

/** One batch as read from a segment: `buf[pos, pos + size)`, valid until the next call to next(). */
export interface BatchView {
  buf: Buffer;
  pos: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  attributes: number;
  recordsCount: number;
}

/** Sequential batch reader over [0, segment.size) with a bounded buffer (grown only for a bigger batch). */
export class SegmentBatchReader {
  private buf: Buffer;
  private bufStart = 0;
  private bufLen = 0;
  private position = 0;
  private readonly view: BatchView;
  /** Bytes read from disk so far. */
  bytesRead = 0;

  constructor(
    private readonly segment: Segment,
    chunkBytes: number,
    private readonly verifyCrc: boolean,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(chunkBytes, RECORD_BATCH_OVERHEAD));
    this.view = { buf: this.buf, pos: 0, size: 0, baseOffset: 0, lastOffset: 0, attributes: 0, recordsCount: 0 };
  }

  /** The next batch, or null at the end of the segment. Throws CorruptRecordError on malformed data. */
  next(): BatchView | null {
    const end = this.segment.size;
    const pos = this.position;
    if (pos >= end) return null;
    const remaining = end - pos;
    if (remaining < RECORD_BATCH_OVERHEAD) throw this.corrupt('truncated batch header', pos);
    if (pos + RECORD_BATCH_OVERHEAD > this.bufStart + this.bufLen) this.fill(pos, Math.min(this.buf.length, remaining));
    let bp = pos - this.bufStart;
    const batchLength = this.buf.readInt32BE(bp + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH || this.buf[bp + MAGIC_OFFSET] !== 2) throw this.corrupt('malformed batch header', pos);
    const size = batchLength + LOG_OVERHEAD;
    if (size > remaining) throw this.corrupt('batch runs past the end of the segment', pos);
    if (pos + size > this.bufStart + this.bufLen) {
      if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size);
      this.fill(pos, Math.min(this.buf.length, remaining));
      bp = 0;
    }
    const b = this.buf;
    if (this.verifyCrc && crc32c(b.subarray(bp + ATTRIBUTES_OFFSET, bp + size)) !== b.readUInt32BE(bp + CRC_OFFSET)) {
      throw this.corrupt('batch CRC mismatch', pos);
    }
    const v = this.view;
    v.buf = b;
    v.pos = bp;
    v.size = size;
    v.baseOffset = readInt64(b, bp);
    v.lastOffset = v.baseOffset + b.readInt32BE(bp + LAST_OFFSET_DELTA_OFFSET);
    v.attributes = b.readInt16BE(bp + ATTRIBUTES_OFFSET);
    v.recordsCount = b.readInt32BE(bp + RECORDS_COUNT_OFFSET);
    this.position = pos + size;
    return v;
  }

  private fill(pos: number, length: number): void {
    const n = this.segment.readRaw(this.buf, 0, length, pos);
    if (n < length) throw this.corrupt('short read', pos);
    this.bufStart = pos;
    this.bufLen = n;
    this.bytesRead += n;
  }

  private corrupt(what: string, pos: number): CorruptRecordError {
    return new CorruptRecordError(`${what} in ${this.segment.logFilePath} at position ${pos}`, { position: pos });
  }
}

/** Position and fields of one record inside a (decompressed) records section. */
export interface RecordSlot {
  /** Raw record bytes (length varint included): data[start, end). */
  start: number;
  end: number;
  offsetDelta: number;
  timestampDelta: number;
  /** Key bytes data[keyStart, keyStart + keyLength); keyLength -1 = null key. */
  keyStart: number;
  keyLength: number;
  /** -1 = null value (a tombstone). */
  valueLength: number;
}

/** The records section of a batch, decompressed when needed. */
export function recordsSection(v: BatchView): { data: Buffer; start: number; end: number } {
  const codec = v.attributes & COMPRESSION_CODEC_MASK;
  const start = v.pos + RECORD_BATCH_OVERHEAD;
  const end = v.pos + v.size;
  if (codec === CompressionType.none) return { data: v.buf, start, end };
  const data = decompress(codec, v.buf.subarray(start, end));
  return { data, start: 0, end: data.length };
}

let cur = 0;
let lim = 0;
let src: Buffer = Buffer.alloc(0);

function fail(msg: string): never {
  throw new CorruptRecordError(msg, { position: cur });
}

function varint(): number {
  let raw = 0;
  for (let i = 0; i < 5; i++) {
    if (cur >= lim) fail('record data ends inside a varint');
    const b = src[cur++] as number;
    raw += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      const u = raw >>> 0;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  return fail('varint longer than 5 bytes');
}

function varlong(): number {
  let raw = 0;
  for (let i = 0; i < 10; i++) {
    if (cur >= lim) fail('record data ends inside a varlong');
    const b = src[cur++] as number;
    raw += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      const half = Math.floor(raw / 2);
      return raw % 2 === 0 ? half : -half - 1;
    }
  }
  return fail('varlong longer than 10 bytes');
}

/**
 * Calls `visit` for each of the `count` records in data[start, end) (one reused slot object).
 * Throws CorruptRecordError when the records do not parse or do not fill the section exactly.
 */
export function walkRecords(data: Buffer, start: number, end: number, count: number, visit: (r: RecordSlot) => void): void {
  const slot: RecordSlot = { start: 0, end: 0, offsetDelta: 0, timestampDelta: 0, keyStart: 0, keyLength: -1, valueLength: -1 };
  src = data;
  cur = start;
  lim = end;
  for (let i = 0; i < count; i++) {
    const recStart = cur;
    const length = varint();
    if (length < 0 || cur + length > end) fail(`record length ${length} out of range`);
    const recEnd = cur + length;
    lim = recEnd;
    cur++; // attributes
    slot.timestampDelta = varlong();
    slot.offsetDelta = varint();
    const keyLength = varint();
    slot.keyStart = cur;
    slot.keyLength = keyLength;
    if (keyLength > 0) cur += keyLength;
    const valueLength = varint();
    slot.valueLength = valueLength;
    if (cur > recEnd) fail('record fields run past the record');
    slot.start = recStart;
    slot.end = recEnd;
    cur = recEnd;
    lim = end;
    visit(slot);
    // visit may walk other data (it must not), so restore the cursor state for safety.
    src = data;
    cur = recEnd;
    lim = end;
  }
  if (cur !== end) fail(`${end - cur} bytes remain after ${count} records`);
}

/** Buffered sequential writer for a `.cleaned` file. */
export class CleanedFileWriter {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly flushBytes: number,
  ) {
    this.fd = fs.openSync(path, 'w');
  }

  get size(): number {
    return this.position + this.pendingBytes;
  }

  write(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    writeFully(this.fd, data, 0, data.length, this.position);
    this.position += data.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes what is buffered, fsyncs (on the thread pool) and closes. */
  async finish(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => fs.fsync(this.fd, (e) => (e ? reject(e) : resolve())));
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /** Closes and removes the file (aborted cleaning). */
  discard(): void {
    try {
      this.close();
    } catch {
      // ignore
    }
    fs.rmSync(this.path, { force: true });
  }
}
