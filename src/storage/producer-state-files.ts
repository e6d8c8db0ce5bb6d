/**
 * On-disk formats of a partition's producer state, both Kafka's:
 *
 * - `<offset>.snapshot` (ProducerSnapshot v1): int16 version, uint32 CRC32C of everything after
 *   it, int32 entry count, then per producer: producerId int64, epoch int16, lastSequence int32,
 *   lastOffset int64, offsetDelta int32, timestamp int64, coordinatorEpoch int32,
 *   currentTxnFirstOffset int64 (-1 for none). The offset in the name is the log offset the state
 *   covers up to (exclusive).
 * - `<segment base>.txnindex`: one 34-byte AbortedTxn entry per aborted transaction whose ABORT
 *   marker lies in that segment: int16 version (0), producerId int64, firstOffset int64,
 *   lastOffset int64, lastStableOffset int64.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../protocol/records/crc32c.js';
import { CorruptIndexError } from '../common/errors.js';
import { filenamePrefixFromOffset } from './file-names.js';
import { fsyncDir } from './fs-util.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const PRODUCER_SNAPSHOT_VERSION = 1;
const SNAPSHOT_CRC_OFFSET = 2;
const SNAPSHOT_ENTRIES_OFFSET = 6;
const SNAPSHOT_ENTRY_SIZE = 46;
export const ABORTED_TXN_VERSION = 0;
export const ABORTED_TXN_SIZE = 34;

/** One producer as stored in a snapshot (its latest batch only, as Kafka keeps it). */
export interface SnapshotEntry {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastOffset: number;
  offsetDelta: number;
  timestamp: number;
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
}

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
  /** The partition's last stable offset right after this transaction completed. */
  lastStableOffset: number;
}

export class CorruptSnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptSnapshotError';
  }
}

export function snapshotFile(dir: string, offset: number): string {
  return join(dir, filenamePrefixFromOffset(offset) + SNAPSHOT_SUFFIX);
}

export function txnIndexFile(dir: string, baseOffset: number): string {
  return join(dir, filenamePrefixFromOffset(baseOffset) + TXN_INDEX_SUFFIX);
}

const STATE_FILE = /^(\d{20})\.(snapshot|txnindex)$/;

/**
 * Snapshot offsets and txn index base offsets found in `dir`, each sorted ascending. `names`: the
 * directory's entries when the caller already has them (the listing made at load).
 */
export function listStateFiles(dir: string, names: readonly string[] = fs.readdirSync(dir)): { snapshots: number[]; txnIndexes: number[] } {
  const snapshots: number[] = [];
  const txnIndexes: number[] = [];
  for (const name of names) {
    const m = STATE_FILE.exec(name);
    if (m === null) continue;
    const offset = Number(m[1]);
    if (!Number.isSafeInteger(offset)) continue;
    (m[2] === 'snapshot' ? snapshots : txnIndexes).push(offset);
  }
  snapshots.sort((a, b) => a - b);
  txnIndexes.sort((a, b) => a - b);
  return { snapshots, txnIndexes };
}

export function encodeSnapshot(entries: readonly SnapshotEntry[]): Buffer {
  const buf = Buffer.allocUnsafe(SNAPSHOT_ENTRIES_OFFSET + 4 + entries.length * SNAPSHOT_ENTRY_SIZE);
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(entries.length, SNAPSHOT_ENTRIES_OFFSET);
  let p = SNAPSHOT_ENTRIES_OFFSET + 4;
  for (const e of entries) {
    buf.writeBigInt64BE(e.producerId, p);
    buf.writeInt16BE(e.producerEpoch, p + 8);
    buf.writeInt32BE(e.lastSequence, p + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), p + 14);
    buf.writeInt32BE(e.offsetDelta, p + 22);
    buf.writeBigInt64BE(BigInt(e.timestamp), p + 26);
    buf.writeInt32BE(e.coordinatorEpoch, p + 34);
    buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), p + 38);
    p += SNAPSHOT_ENTRY_SIZE;
  }
  buf.writeUInt32BE(crc32c(buf.subarray(SNAPSHOT_ENTRIES_OFFSET)), SNAPSHOT_CRC_OFFSET);
  return buf;
}

/** Throws CorruptSnapshotError on a bad version, size or CRC. */
export function decodeSnapshot(buf: Buffer): SnapshotEntry[] {
  if (buf.length < SNAPSHOT_ENTRIES_OFFSET + 4) throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes is too short`);
  const version = buf.readInt16BE(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new CorruptSnapshotError(`unknown producer snapshot version ${version}`);
  const stored = buf.readUInt32BE(SNAPSHOT_CRC_OFFSET);
  if (crc32c(buf.subarray(SNAPSHOT_ENTRIES_OFFSET)) !== stored) throw new CorruptSnapshotError('producer snapshot CRC mismatch');
  const count = buf.readInt32BE(SNAPSHOT_ENTRIES_OFFSET);
  if (count < 0 || buf.length !== SNAPSHOT_ENTRIES_OFFSET + 4 + count * SNAPSHOT_ENTRY_SIZE) {
    throw new CorruptSnapshotError(`producer snapshot size ${buf.length} does not match its ${count} entries`);
  }
  const out: SnapshotEntry[] = [];
  let p = SNAPSHOT_ENTRIES_OFFSET + 4;
  for (let i = 0; i < count; i++) {
    out.push({
      producerId: buf.readBigInt64BE(p),
      producerEpoch: buf.readInt16BE(p + 8),
      lastSequence: buf.readInt32BE(p + 10),
      lastOffset: Number(buf.readBigInt64BE(p + 14)),
      offsetDelta: buf.readInt32BE(p + 22),
      timestamp: Number(buf.readBigInt64BE(p + 26)),
      coordinatorEpoch: buf.readInt32BE(p + 34),
      currentTxnFirstOffset: Number(buf.readBigInt64BE(p + 38)),
    });
    p += SNAPSHOT_ENTRY_SIZE;
  }
  return out;
}

/** Writes a snapshot via a temporary file and a rename, so a reader never sees a partial one. */
export function writeSnapshotFile(dir: string, offset: number, entries: readonly SnapshotEntry[], sync: boolean): void {
  const path = snapshotFile(dir, offset);
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, encodeSnapshot(entries));
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  if (sync) fsyncDir(dir);
}

export function readSnapshotFile(dir: string, offset: number): SnapshotEntry[] {
  return decodeSnapshot(fs.readFileSync(snapshotFile(dir, offset)));
}

export function encodeAbortedTxn(t: AbortedTxn, buf: Buffer = Buffer.allocUnsafe(ABORTED_TXN_SIZE), pos = 0): Buffer {
  buf.writeInt16BE(ABORTED_TXN_VERSION, pos);
  buf.writeBigInt64BE(t.producerId, pos + 2);
  buf.writeBigInt64BE(BigInt(t.firstOffset), pos + 10);
  buf.writeBigInt64BE(BigInt(t.lastOffset), pos + 18);
  buf.writeBigInt64BE(BigInt(t.lastStableOffset), pos + 26);
  return buf;
}

/** Entries of a txn index file; a torn trailing entry is ignored, an unknown version throws. */
export function readTxnIndexFile(path: string): AbortedTxn[] {
  const buf = fs.readFileSync(path);
  const out: AbortedTxn[] = [];
  for (let p = 0; p + ABORTED_TXN_SIZE <= buf.length; p += ABORTED_TXN_SIZE) {
    const version = buf.readInt16BE(p);
    if (version !== ABORTED_TXN_VERSION) throw new CorruptIndexError(`${path}: unknown aborted txn entry version ${version} at byte ${p}`);
    out.push({
      producerId: buf.readBigInt64BE(p + 2),
      firstOffset: Number(buf.readBigInt64BE(p + 10)),
      lastOffset: Number(buf.readBigInt64BE(p + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(p + 26)),
    });
  }
  return out;
}

export function writeTxnIndexFile(path: string, entries: readonly AbortedTxn[]): void {
  const buf = Buffer.allocUnsafe(entries.length * ABORTED_TXN_SIZE);
  entries.forEach((e, i) => encodeAbortedTxn(e, buf, i * ABORTED_TXN_SIZE));
  const tmp = `${path}.tmp`;
  fs.writeFileSync(tmp, buf);
  fs.renameSync(tmp, path);
}

export function appendTxnIndexEntry(path: string, t: AbortedTxn): void {
  fs.appendFileSync(path, encodeAbortedTxn(t));
}
