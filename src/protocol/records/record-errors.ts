/**
 * Per-record produce errors (Produce v8+ `record_errors`, KIP-467), built as Kafka's LogValidator
 * builds them: every record of a batch is checked, each failing record gets one error (the key
 * check first, then the timestamp check) carrying its index in the batch (`batchIndex`, 0-based),
 * and the whole batch is rejected:
 *
 * | any record error of kind      | partition error   | error_message                                                   |
 * |-------------------------------|-------------------|-----------------------------------------------------------------|
 * | timestamp (out of range, ...) | INVALID_TIMESTAMP | "One or more records have been rejected due to invalid timestamp" |
 * | only others (keyless, ...)    | INVALID_RECORD    | "One or more records have been rejected due to N record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=i, message='...'), ...]" |
 *
 * Kafka's record messages: "Compacted topic cannot accept message without key in topic partition
 * T-P" and "Timestamp X of message with offset O is out of range. The timestamp should be within
 * [lo, hi]". Faults in the record structure itself are not record errors: they fail the batch as a
 * whole (record-scan.ts).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';

export interface RecordError {
  /** Index of the record in its batch (for an old-format wrapper: in the wrapper's inner set). */
  batchIndex: number;
  message: string;
}

/** A batch rejected because of some of its records; `recordErrors` names them (in index order). */
export class RecordValidationError extends KafkaError {
  readonly recordErrors: readonly RecordError[];

  constructor(code: number, message: string, recordErrors: readonly RecordError[]) {
    super(code, message);
    this.name = 'RecordValidationError';
    this.recordErrors = recordErrors;
  }
}

/** The record errors of one batch; `timestampErrors` says whether any of them is a timestamp error. */
export function recordValidationError(errors: readonly RecordError[], timestampErrors: boolean): RecordValidationError {
  if (timestampErrors) return new RecordValidationError(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', errors);
  const shown = errors
    .slice(0, 3)
    .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
    .join(', ');
  return new RecordValidationError(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown}]`, errors);
}

export function keylessRecordMessage(topic: string, partition: number): string {
  return `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}`;
}

export function timestampOutOfRangeMessage(timestamp: number | bigint, offset: number | bigint, low: number, high: number): string {
  return `Timestamp ${timestamp} of message with offset ${offset} is out of range. The timestamp should be within [${low}, ${high}]`;
}

/**
 * Merges the keyless indexes and the timestamp faults ([index, timestamp, offset] triples) of one
 * batch into Kafka's record errors: one per record, the key error winning.
 */
export function batchRecordErrors(
  topic: string,
  partition: number,
  keyless: readonly number[],
  tsFaults: readonly { index: number; timestamp: number | bigint; offset: number | bigint }[],
  low: number,
  high: number,
): RecordValidationError | null {
  if (keyless.length === 0 && tsFaults.length === 0) return null;
  const errors: RecordError[] = [];
  const keyMessage = keylessRecordMessage(topic, partition);
  let k = 0;
  let t = 0;
  let timestampErrors = false;
  while (k < keyless.length || t < tsFaults.length) {
    const ki = k < keyless.length ? (keyless[k] as number) : Infinity;
    const tf = tsFaults[t];
    const ti = tf !== undefined ? tf.index : Infinity;
    if (ki <= ti) {
      errors.push({ batchIndex: ki, message: keyMessage });
      k++;
      if (ti === ki) t++;
    } else if (tf !== undefined) {
      errors.push({ batchIndex: ti, message: timestampOutOfRangeMessage(tf.timestamp, tf.offset, low, high) });
      timestampErrors = true;
      t++;
    }
  }
  return recordValidationError(errors, timestampErrors);
}
