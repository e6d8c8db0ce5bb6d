/**
 * Reads of one log segment (a layer of Segment, see segment-base.ts): whole batches from an
 * offset, the zero-copy region of a segment's tail, lookups by timestamp, and the timestamps that
 * retention, rolling and ListOffsets use. The batch-level parsing is in segment-reader.ts.
 * Kafka's rule (LogSegment.read, findOffsetByTimestamp): a read starts at the batch holding the
 * offset (found through the offset index, then a scan) and returns whole batches; a timestamp
 * lookup starts at the time index entry below the timestamp.
 * Samsa's deviations: a sequential reader's next read starts where the last one ended, without an
 * index lookup; a zero-copy read (docs/zero-copy.md) ends at a batch start the offset index knows,
 * so no batch is read to find it.
 */
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch-header.js';
import { readFully } from './fs-util.js';
import { readInt64 } from './int64.js';
import { SegmentBase } from './segment-base.js';
import { EMPTY_BUFFER, type SegmentRead, findBatch, readBatchesAt, readFirstBatchMaxTimestamp, searchMaxTimestampRecord, searchTimestamp } from './segment-reader.js';

/** See segment.ts (the class to use). */
export abstract class SegmentReads extends SegmentBase {

  /**
   * Whole batches starting with the one containing `startOffset`, at most `maxBytes` (but one whole
   * batch when `minOneMessage`), stopping before any batch reaching `maxOffset`. Null when this
   * segment has no batch at or after `startOffset`.
   */
  read(startOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): SegmentRead | null {
    if (this._size === 0) return null;
    const fd = this.fd();
    let position: number;
    let firstSize = 0;
    if (startOffset === this.readHintOffset && this.readHintPosition < this._size) {
      // Sequential consumer: the previous read ended exactly where this one starts.
      position = this.readHintPosition;
    } else {
      this.ensureOffsetIndex();
      const found = findBatch(fd, this.log.path, this.baseOffset, this._size, startOffset, this.offsetIndex.lookupPosition(startOffset));
      if (found === null) return null;
      if (found.lastOffset >= maxOffset || (found.size > maxBytes && !minOneMessage)) {
        return { records: EMPTY_BUFFER, firstBatchOffset: found.baseOffset, endPosition: found.position, lastOffset: -1 };
      }
      position = found.position;
      firstSize = found.size;
    }
    const r = readBatchesAt(fd, this.log.path, position, this._size, maxBytes, maxOffset, minOneMessage, firstSize, this.settings.readPool);
    if (r.lastOffset >= 0) {
      this.readHintOffset = r.lastOffset + 1;
      this.readHintPosition = r.endPosition;
    }
    return r;
  }

  /**
   * The zero-copy form of read() (src/common/file-region.ts): where the answer's bytes are, without
   * reading them: from the batch holding `startOffset` to the end of this segment, or, when that is
   * over `maxBytes`, to the last batch start within `maxBytes` that the offset index knows (its
   * entries are batch starts); at least `minBytes`. `endOffset` is the segment's end; when the read
   * limit `limitOffset` is below it (a consumer's high watermark), the region ends after the last
   * batch below the limit that the offset index knows (one header read checks it). No batch has
   * to be read otherwise. Null when no such region (read() decides).
   */
  tailRegion(startOffset: number, minBytes: number, maxBytes: number, endOffset: number, limitOffset: number): { position: number; length: number; firstBatchOffset: number; nextOffset: number } | null {
    if (this._size === 0 || this.lazy) return null;
    let position: number;
    let firstBatchOffset: number;
    if (startOffset === this.readHintOffset && this.readHintPosition < this._size) {
      position = this.readHintPosition;
      firstBatchOffset = startOffset;
    } else {
      this.ensureOffsetIndex();
      const found = findBatch(this.fd(), this.log.path, this.baseOffset, this._size, startOffset, this.offsetIndex.lookupPosition(startOffset));
      if (found === null || found.lastOffset >= limitOffset) return null;
      position = found.position;
      firstBatchOffset = found.baseOffset;
    }
    let end = this._size;
    let nextOffset = endOffset;
    if (limitOffset < endOffset) {
      this.ensureOffsetIndex();
      const slot = this.offsetIndex.lookupSlot(limitOffset - 1);
      if (slot < 0) return null;
      const at = this.offsetIndex.positionAt(slot);
      const last = this.offsetIndex.offsetAt(slot);
      const head = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
      if (at < position || readFully(this.fd(), head, 0, RECORD_BATCH_OVERHEAD, at) < RECORD_BATCH_OVERHEAD) return null;
      const size = head.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      // The entry names this batch's last offset: anything else and the region is not trusted.
      if (size < RECORD_BATCH_OVERHEAD || at + size > this._size || readInt64(head, 0) + head.readInt32BE(LAST_OFFSET_DELTA_OFFSET) !== last) return null;
      end = at + size;
      nextOffset = last + 1;
    }
    if (end - position > maxBytes) {
      this.ensureOffsetIndex();
      end = this.offsetIndex.batchStartAtOrBelow(position + maxBytes);
      if (end - position < minBytes) return null;
      // The offset the next read starts at: the base offset of the batch at the cut.
      const head = Buffer.allocUnsafe(8);
      if (readFully(this.fd(), head, 0, 8, end) < 8) return null;
      nextOffset = readInt64(head, 0);
    }
    const length = end - position;
    if (length < minBytes) return null;
    this.readHintOffset = nextOffset;
    this.readHintPosition = end;
    return { position, length, firstBatchOffset, nextOffset };
  }

  /** The log fd for a zero-copy send of a region tailRegion() gave (reopened if the fd cache closed it). */
  sendFd(): number {
    return this.fd();
  }

  /** Raw log bytes [position, position + length) into buf[offset...] (the cleaner's reads); returns bytes read. */
  readRaw(buf: Buffer, offset: number, length: number, position: number): number {
    return readFully(this.fd(), buf, offset, length, position);
  }

  /** First record (at or after `startingOffset`) whose timestamp >= ts, found from the time index. */
  findOffsetByTimestamp(ts: number, startingOffset: number): { offset: number; timestamp: number } | null {
    this.ensureTimeIndex();
    this.ensureOffsetIndex();
    const slot = this.timeIndex.slotBefore(ts);
    const fromOffset = Math.max(slot < 0 ? this.baseOffset : this.timeIndex.offsetAt(slot), startingOffset);
    return searchTimestamp(this.fd(), this.baseOffset, this.offsetIndex.lookupPosition(fromOffset), this._size, ts, startingOffset);
  }

  /** The record holding maxTimestampSoFar() (ListOffsets MAX_TIMESTAMP), or null if none does. */
  findMaxTimestampRecord(): { offset: number; timestamp: number } | null {
    const ts = this.maxTimestampSoFar();
    if (ts < 0) return null;
    this.ensureOffsetIndex();
    return searchMaxTimestampRecord(this.fd(), this.baseOffset, this.offsetIndex.lookupPosition(this.offsetOfMaxTs), this._size, ts);
  }

  /** Largest batch max timestamp in the segment (-1 if none carries one). */
  maxTimestampSoFar(): number {
    this.ensureTimestampInfo();
    return this.maxTs;
  }

  /** lastOffset of the (first) batch holding maxTimestampSoFar(). */
  offsetOfMaxTimestampSoFar(): number {
    this.ensureTimestampInfo();
    return this.offsetOfMaxTs;
  }

  /** The `.log` file's mtime in ms (0 if it cannot be read): ListOffsets v0 answers with it. */
  lastModified(): number {
    return this.log.lastModified();
  }

  /** For time retention: the max timestamp, or the file's mtime when batches carry none. */
  largestTimestamp(): number {
    const ts = this.maxTimestampSoFar();
    return ts >= 0 ? ts : this.log.lastModified();
  }

  /** maxTimestamp of the first batch, -1 when empty or unknown. */
  rollingBasedTimestamp(): number {
    if (this.rollingTs === undefined) {
      if (this._size < RECORD_BATCH_OVERHEAD) return -1;
      this.rollingTs = readFirstBatchMaxTimestamp(this.fd());
    }
    return this.rollingTs;
  }
}
