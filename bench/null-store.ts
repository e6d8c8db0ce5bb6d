/**
 * The null broker's "store" mode (`--store DIR`): the least a broker that keeps what it is sent
 * can do, as a same-run floor for Samsa's produce throughput and CPU per GB (issue 22, targets 1
 * and 4). Each partition's record bytes are checked batch by batch — the v2 header's bounds and
 * magic as Kafka's LogValidator reads them, and the CRC32C of every batch with the same native
 * CRC Samsa uses (src/protocol/records/crc32c.ts) — and then appended as received to one file per
 * partition with one write() per partition per request (the page cache takes every byte; nothing
 * is fsynced, as Samsa's default flush settings do not fsync either).
 *
 * Not done, on purpose (a floor, not a broker): no offset assignment in the batches (the answer's
 * base offset comes from the record counts), no index, no segments, no producer state, no per-record
 * scan beyond the header. A batch that fails a check fails the partition (CORRUPT_MESSAGE, Kafka's
 * code for a bad CRC) and nothing of that partition is written.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../src/protocol/records/crc32c.js';
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, RECORD_BATCH_OVERHEAD, RECORDS_COUNT_OFFSET } from '../src/protocol/records/batch-header.js';

export interface StoreStats {
  /** Bytes appended to the partition files. */
  bytesWritten: number;
  /** Batches whose CRC32C was computed and matched. */
  batchesChecked: number;
  /** Partition writes refused (a batch failed a check). */
  rejected: number;
}

/** Records and batches in `buf` (v2 batches, back to back), every batch checked; null when one fails a check. */
export function checkBatches(buf: Buffer): { records: number; batches: number } | null {
  let pos = 0;
  let records = 0;
  let batches = 0;
  while (pos < buf.length) {
    if (buf.length - pos < RECORD_BATCH_OVERHEAD) return null;
    if (buf.readInt8(pos + MAGIC_OFFSET) !== 2) return null;
    const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) return null;
    if (crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) !== buf.readUInt32BE(pos + CRC_OFFSET)) return null;
    records += buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    batches++;
    pos += size;
  }
  return { records, batches };
}

/** One append-only file per partition under `dir`. */
export class PartitionFiles {
  readonly stats: StoreStats = { bytesWritten: 0, batchesChecked: 0, rejected: 0 };
  private readonly fds = new Map<string, number>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The file a partition's bytes go to. */
  pathOf(topic: string, partition: number): string {
    return join(this.dir, `${encodeURIComponent(topic)}-${partition}.log`);
  }

  /**
   * Checks every batch of `records` and appends them all to the partition's file; returns the
   * number of records, or -1 (nothing written) when a batch fails a check.
   */
  append(topic: string, partition: number, records: Buffer): number {
    const checked = checkBatches(records);
    if (checked === null) {
      this.stats.rejected++;
      return -1;
    }
    const key = `${topic}\u0000${partition}`;
    let fd = this.fds.get(key);
    if (fd === undefined) {
      fd = openSync(this.pathOf(topic, partition), 'a');
      this.fds.set(key, fd);
    }
    let off = 0;
    while (off < records.length) off += writeSync(fd, records, off, records.length - off);
    this.stats.bytesWritten += records.length;
    this.stats.batchesChecked += checked.batches;
    return checked.records;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
