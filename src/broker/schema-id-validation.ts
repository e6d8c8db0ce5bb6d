/**
 * Broker-side schema id validation (Samsa's `samsa.key.schema.validation` /
 * `samsa.value.schema.validation` topic configs, after Confluent Server's
 * `confluent.key/value.schema.validation`): every record's key or value must be in Confluent's wire
 * format, a magic byte 0 then a 4-byte big-endian schema id registered in the schema registry
 * (the `_schemas` topic). A batch with a record that does not is rejected whole with
 * INVALID_RECORD and one record error per offending record (batchIndex = the record's index).
 * Null keys/values (no key, tombstones) are accepted, as they carry no schema.
 *
 * Cost: only topics with a validation config on pay anything (the produce path checks one field of
 * the cached produce policy); their batches are decoded (decompressed) once more here. An id not
 * known yet makes the check wait until `_schemas` has been read to its end, once, then decide.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { recordValidationError, type RecordError } from '../protocol/records/record-errors.js';
import { decodeRecordBatches } from '../protocol/records/record.js';

/** The registered schema ids, as far as `_schemas` has been read. */
export interface SchemaIdSource {
  has(id: number): boolean;
  /** Resolves once `_schemas` has been read to its current end. */
  refresh(): Promise<void>;
}

export const CONFLUENT_MAGIC = 0;

/** The schema id of a Confluent-framed payload, or -1 when it is not framed. */
export function framedSchemaId(b: Buffer): number {
  return b.length >= 5 && b[0] === CONFLUENT_MAGIC ? b.readInt32BE(1) : -1;
}

interface Finding {
  errors: RecordError[];
  unknown: Set<number>;
}

function scan(records: Buffer, which: { key: boolean; value: boolean }, source: SchemaIdSource | null): Finding {
  const errors: RecordError[] = [];
  const unknown = new Set<number>();
  for (const batch of decodeRecordBatches(records)) {
    if (batch.isControl) continue;
    batch.records.forEach((r, i) => {
      for (const [part, on, bytes] of [['key', which.key, r.key], ['value', which.value, r.value]] as const) {
        if (!on || bytes === null) continue;
        const id = framedSchemaId(bytes);
        if (id < 0) errors.push({ batchIndex: i, message: `the record's ${part} does not start with a schema id (magic byte 0 and 4-byte id)` });
        else if (source === null || !source.has(id)) unknown.add(id);
      }
    });
  }
  return { errors, unknown };
}

function reject(errors: readonly RecordError[]): never {
  throw recordValidationError(errors, false);
}

/**
 * Checks `records` (or the records a promise resolves to); resolves with them when every record
 * carries a registered id, else throws/rejects with INVALID_RECORD.
 */
export function checkSchemaIds(records: Buffer | Promise<Buffer>, which: { key: boolean; value: boolean }, source: SchemaIdSource | null): Buffer | Promise<Buffer> {
  if (records instanceof Promise) return records.then((r) => checkSchemaIds(r, which, source));
  const first = scan(records, which, source);
  if (first.errors.length > 0) reject(first.errors);
  if (first.unknown.size === 0) return records;
  if (source === null) throw new KafkaError(ErrorCode.INVALID_RECORD, 'schema id validation is on but this broker has no schema registry to check ids against');
  return source.refresh().then(
    () => {
      const missing = [...first.unknown].filter((id) => !source.has(id));
      if (missing.length > 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `schema id(s) ${missing.join(', ')} are not registered`);
      return records;
    },
    (e: unknown) => {
      throw new KafkaError(ErrorCode.INVALID_RECORD, `schema ids could not be checked: ${e instanceof Error ? e.message : String(e)}`);
    },
  );
}
