/**
 * Record-content validation of a v2 batch's records section, as Kafka's LogValidator does it by
 * iterating the batch (DefaultRecord.readFrom, or readPartiallyFrom over the decompressed stream
 * for compressed batches). The scan walks the varints directly over the bytes: no record objects,
 * no closures and no allocation per record. It also collects what the topic policy needs (whether
 * a record has a null key, the smallest and largest timestampDelta) and, when asked (`check`), the
 * indexes of the keyless records and of those whose timestampDelta is out of bounds, for the
 * per-record errors of Produce v8+ (record-errors.ts); so nothing else has to walk the records again.
 *
 * Two entry points share one implementation (the fast path of record-scan-whole.ts):
 * - {@link scanRecords}: a whole records section in one buffer (uncompressed batches); batches of
 *   more than a few records go to the same scan in C (record-scan-native.ts) when the addon is
 *   built, which settles valid batches and hands anything else back to this scanner;
 * - {@link RecordScanner} (record-scanner.ts): a resumable scanner fed chunk by chunk (the output
 *   of a streaming decompressor); a record may straddle any number of chunks, including a chunk
 *   boundary inside a varint. Whole records inside a chunk take the same fast path as {@link scanRecords}; only a
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
import { nativeRecordScan, NativeScanStatus } from './record-scan-native.js';
import { invalid, scanWhole } from './record-scan-whole.js';
import { RecordScanner, type RecordScanStats } from './record-scanner.js';

export { RecordScanner, type RecordScanStats } from './record-scanner.js';

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
