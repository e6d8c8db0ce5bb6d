/**
 * Serdes of the DSL's internal stores that hold several timestamped values under one key: the
 * buffered records of a stream-stream join side, the sessions of a key, the records of a key a
 * sliding window aggregates. Each entry is (timestamp, tag, value bytes); the value bytes come
 * from the stream's value serde (or `anySerde` when the stream has none).
 *
 * Kafka keeps these in window and session stores (RocksDB segments keyed by key + timestamp).
 * Samsa's deviation: one key-value entry per key holding a list (the key-value store has no
 * range queries yet), expired entries dropped when the key is next written; a key with very many
 * live entries costs a rewrite of its list per update.
 */
import type { Serde } from './serdes.js';

export interface Entry<V> {
  /** The entry's timestamp (a record's timestamp, or a session's start). */
  ts: number;
  /** A small integer the owner gives meaning to (a join side; a session's end lives in `end`). */
  tag: number;
  /** A second timestamp (a session's end); 0 when unused. */
  end: number;
  value: V;
}

const NULL = null as unknown as never;

/** Buffers as they are, anything else as JSON (for internal stores of streams without a value serde). */
export const anySerde: Serde<unknown> = {
  serialize: (v) => {
    if (v === null || v === undefined) return null;
    if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(v), 'utf8')]);
  },
  deserialize: (d) => {
    if (d === null || d.length === 0) return NULL;
    return d[0] === 0 ? d.subarray(1) : (JSON.parse(d.subarray(1).toString('utf8')) as unknown);
  },
};

/** Element serde per entry tag (or one for all). count:int32, then per entry ts:int64 end:int64 tag:int8 length:int32 (-1: null) bytes. */
export function entryListSerde<V>(serdes: Serde<V> | ((tag: number) => Serde<V>)): Serde<Entry<V>[]> {
  const element = typeof serdes === 'function' ? serdes : (): Serde<V> => serdes;
  return {
    serialize: (list) => {
      if (list === null || list === undefined) return null;
      const parts: Buffer[] = [];
      const head = Buffer.alloc(4);
      head.writeInt32BE(list.length);
      parts.push(head);
      for (const e of list) {
        const bytes = e.value === null || e.value === undefined ? null : element(e.tag).serialize(e.value);
        const h = Buffer.alloc(21);
        h.writeBigInt64BE(BigInt(Math.trunc(e.ts)), 0);
        h.writeBigInt64BE(BigInt(Math.trunc(e.end)), 8);
        h.writeInt8(e.tag, 16);
        h.writeInt32BE(bytes === null ? -1 : bytes.length, 17);
        parts.push(h);
        if (bytes !== null) parts.push(bytes);
      }
      return Buffer.concat(parts);
    },
    deserialize: (d) => {
      if (d === null) return NULL;
      if (d.length < 4) throw new RangeError('an entry list needs at least 4 bytes');
      const n = d.readInt32BE(0);
      const out: Entry<V>[] = [];
      let at = 4;
      for (let i = 0; i < n; i++) {
        if (at + 21 > d.length) throw new RangeError('truncated entry list');
        const ts = Number(d.readBigInt64BE(at));
        const end = Number(d.readBigInt64BE(at + 8));
        const tag = d.readInt8(at + 16);
        const len = d.readInt32BE(at + 17);
        at += 21;
        if (len > d.length - at) throw new RangeError('truncated entry list');
        const value = len < 0 ? (null as V) : element(tag).deserialize(d.subarray(at, at + len));
        at += Math.max(0, len);
        out.push({ ts, end, tag, value });
      }
      return out;
    },
  };
}

/** The time of a list for a store's retention (window-retention.ts): its latest `ts`. */
export const latestTs = (_key: Buffer, value: () => unknown): number => {
  let t = -Infinity;
  for (const e of value() as Entry<unknown>[]) t = Math.max(t, e.ts);
  return t;
};

/** The time of a session list for a store's retention: its latest session end. */
export const latestEnd = (_key: Buffer, value: () => unknown): number => {
  let t = -Infinity;
  for (const e of value() as Entry<unknown>[]) t = Math.max(t, e.end);
  return t;
};
