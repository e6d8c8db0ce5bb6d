/**
 * The Connect schema of a value that came without one (JsonConverter's envelope and
 * AvroConverter need a schema): strings, booleans, integers as int64, other numbers as double,
 * Buffers as bytes, arrays by their first element, objects as structs of their fields, all
 * optional. Samsa's deviation: Kafka's converters refuse most schemaless values instead.
 */
import type { ConnectSchema } from './api.js';

/** The schema JsonConverter writes for a value that came without one. */
export function inferSchema(value: unknown): ConnectSchema {
  if (typeof value === 'string') return { type: 'string', optional: true };
  if (typeof value === 'boolean') return { type: 'boolean', optional: true };
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int64', optional: true } : { type: 'double', optional: true };
  if (typeof value === 'bigint') return { type: 'int64', optional: true };
  if (Buffer.isBuffer(value)) return { type: 'bytes', optional: true };
  if (Array.isArray(value)) return { type: 'array', items: value.length > 0 ? inferSchema(value[0]) : { type: 'string', optional: true }, optional: true };
  if (value !== null && typeof value === 'object') return { type: 'struct', fields: Object.entries(value).map(([field, v]) => ({ ...inferSchema(v), field })), optional: true };
  return { type: 'string', optional: true };
}
