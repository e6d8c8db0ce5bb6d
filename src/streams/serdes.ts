/**
 * Serdes: how keys and values become bytes at the edges of a topology (sources, sinks, state
 * stores and changelogs), as Kafka's org.apache.kafka.common.serialization encodes them.
 *
 * Kafka's rules kept: String is UTF-8; Long is 8 bytes big-endian two's complement, Integer 4,
 * Short 2, Double 8 bytes IEEE 754 big-endian; a null stays null (a tombstone); JSON is the UTF-8
 * JSON text. Samsa's deviations: Long takes and gives a JS number (exact up to 2^53); bytes of
 * the wrong size for a fixed-width serde throw a KafkaError rather than a SerializationException.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';

/** Null passes through every serde both ways (a tombstone), whatever T says. */
export interface Serde<T> {
  serialize(value: T | null): Buffer | null;
  deserialize(data: Buffer | null): T;
}

const NULL = null as unknown as never;

function fixed<T extends number>(width: number, name: string, write: (b: Buffer, v: T) => void, read: (b: Buffer) => T): Serde<T> {
  return {
    serialize: (v) => {
      if (v === null || v === undefined) return null;
      const b = Buffer.alloc(width);
      write(b, v);
      return b;
    },
    deserialize: (d) => {
      if (d === null) return NULL;
      if (d.length !== width) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Size of data received by ${name}Deserializer is not ${width}`);
      return read(d);
    },
  };
}

export const Serdes = {
  String: (): Serde<string> => ({ serialize: (v) => (v === null || v === undefined ? null : Buffer.from(v, 'utf8')), deserialize: (d) => (d === null ? NULL : d.toString('utf8')) }),
  ByteArray: (): Serde<Buffer> => ({ serialize: (v) => v, deserialize: (d) => d ?? NULL }),
  Long: (): Serde<number> => fixed<number>(8, 'Long', (b, v) => b.writeBigInt64BE(BigInt(Math.trunc(v))), (b) => Number(b.readBigInt64BE())),
  Integer: (): Serde<number> => fixed<number>(4, 'Integer', (b, v) => b.writeInt32BE(v), (b) => b.readInt32BE()),
  Short: (): Serde<number> => fixed<number>(2, 'Short', (b, v) => b.writeInt16BE(v), (b) => b.readInt16BE()),
  Double: (): Serde<number> => fixed<number>(8, 'Double', (b, v) => b.writeDoubleBE(v), (b) => b.readDoubleBE()),
  /** Values as UTF-8 JSON text (null is a tombstone, never the text "null"). */
  Json: <T>(): Serde<T> => ({ serialize: (v) => (v === null || v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8')), deserialize: (d) => (d === null ? NULL : (JSON.parse(d.toString('utf8')) as T)) }),
} as const;

/** A serde seen through unknown values (the runtime's view; the DSL keeps the types). */
export type UntypedSerde = Serde<unknown>;
export const untyped = <T>(s: Serde<T>): UntypedSerde => s as unknown as UntypedSerde;
