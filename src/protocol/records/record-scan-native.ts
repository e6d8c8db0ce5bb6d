/**
 * The native record scan (native/crc32c/record-scan.c, built with the CRC32C addon by
 * `npm install`): the structural scan of an uncompressed records section in C, several times
 * cheaper per record than the JavaScript scanner (record-scan.ts), which stays the reference. The
 * addon only answers "valid or not" and the statistics; it never builds an error, so on a fault
 * the caller re-runs the JavaScript scanner for the exact KafkaError, and both accept exactly the
 * same sections (test/protocol/records/record-scan.test.ts runs every case through both).
 *
 * Loaded when it was built and passes a few check inputs at load; otherwise `nativeRecordScan` is
 * null and every scan is the JavaScript one.
 */
import { createRequire } from 'node:module';

/** scanRecords result codes of the addon. */
export const NativeScanStatus = {
  /** Valid; the statistics are in `out`. */
  ok: 0,
  /** Invalid somewhere (the JavaScript scanner says where and how). */
  fault: 1,
  /** Arguments out of range (the JavaScript scanner handles them). */
  badArgs: 2,
} as const;

/**
 * Scans the `count` records of buf[start, end). On `ok`, `out` holds [records, nullKeys,
 * minTimestampDelta, maxTimestampDelta] (the deltas as the JavaScript scanner computes them).
 */
export type NativeRecordScan = (buf: Uint8Array, start: number, end: number, count: number, out: Float64Array) => number;

const require = createRequire(import.meta.url);

/** Where the addon is built, relative to this file's compiled location (dist/src/protocol/records). */
const ADDON = '../../../../native/crc32c/build/Release/samsa_record_scan.node';

/** Two records (a keyed one with a header, a keyless one with a 3-byte timestampDelta), valid, then a few ways broken. */
function passesChecks(f: NativeRecordScan): boolean {
  // length, attributes, timestampDelta, offsetDelta, key length, key, value length, value, header count, ...
  const r0 = [0, 2, 0, 2, 0x6b, 2, 0x76, 2, 2, 0x68, 0];
  const r1 = [0, 0xff, 0xff, 0x01, 2, 1, 0, 0];
  const good = Buffer.from([r0.length * 2, ...r0, r1.length * 2, ...r1]);
  const out = new Float64Array(4);
  if (f(good, 0, good.length, 2, out) !== NativeScanStatus.ok) return false;
  if (out[0] !== 2 || out[1] !== 1 || out[2] !== -16_384 || out[3] !== 1) return false;
  const faults: [Buffer, number][] = [
    [good, 1], // records remaining
    [good, 3], // premature end
    [good.subarray(0, good.length - 1), 2], // record cut
    [Buffer.from([r0.length * 2, ...r0.slice(0, 2), 4, ...r0.slice(3)]), 1], // offsetDelta 2 in record 0
    [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 1], // six-byte length varint
  ];
  return faults.every(([b, count]) => f(b, 0, b.length, count, out) === NativeScanStatus.fault);
}

function load(): NativeRecordScan | null {
  try {
    const m = require(ADDON) as { scanRecords?: unknown };
    if (typeof m.scanRecords !== 'function') return null;
    const f = m.scanRecords as NativeRecordScan;
    return passesChecks(f) ? f : null;
  } catch {
    return null;
  }
}

/** The addon's scan, or null when it is not built (or refused its checks). */
export const nativeRecordScan: NativeRecordScan | null = load();

/** Which implementation scanRecords() uses for uncompressed batches: 'native' or 'js'. */
export const recordScanImplementation: 'native' | 'js' = nativeRecordScan !== null ? 'native' : 'js';
