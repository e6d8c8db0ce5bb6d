/**
 * KTable.suppress: holds a table's updates back in a buffer (a logged store, so the buffer
 * survives a restart) keyed by the record key, the latest value replacing the earlier ones, and
 * forwards each key's latest value once stream time reaches its buffer time plus the suppression's
 * wait, oldest buffer time first.
 *
 * Kafka's rules kept (KTableSuppressProcessor, KIP-328, Suppressed, BufferConfig):
 * - untilWindowCloses(StrictBufferConfig): only windowed tables; buffer time = window end, wait =
 *   grace; a tombstone for a window never emitted (a session merged away) is simply removed.
 * - untilTimeLimit(timeToWaitMs, BufferConfig): any table; buffer time = the timestamp of the
 *   key's first update since it was last emitted (later updates keep that time), wait = the time
 *   limit; tombstones are buffered and forwarded like values.
 * - the suppression's stream time is the largest timestamp of the updates it received; an entry is
 *   emitted when buffer time <= stream time - wait.
 * - BufferConfig.maxRecords(n) / maxBytes(n) bound the buffer (more records, or more bytes of keys
 *   and values, is "over capacity"); they emit early by default (emitEarlyWhenFull: the oldest
 *   entries by buffer time are forwarded until the buffer fits), shutDownWhenFull() makes them
 *   strict instead (the app fails with "<name> buffer exceeded its max capacity"); unbounded() has
 *   no bound. untilWindowCloses takes strict configs only (unbounded or shutDownWhenFull).
 * Samsa's deviations: a buffer entry's size is its serialized key and value (Kafka adds the record
 * context's size); the buffer index is rebuilt from the store when the task opens.
 */
import type { StreamsBuilder } from './builder.js';
import { anySerde } from './entry-list-serde.js';
import type { Processor, StreamRecord } from './processor.js';
import type { Serde, UntypedSerde } from './serdes.js';
import type { Windowed } from './windows.js';

export interface BufferConfig {
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** What happens when the buffer is over capacity: emit the oldest early, or fail the app. */
  readonly whenFull: 'emitEarly' | 'shutDown';
  /** Limit `maxRecords` (the rest as set). */
  withMaxRecords(n: number): BufferConfig;
  /** Limit `maxBytes` (the rest as set). */
  withMaxBytes(n: number): BufferConfig;
  /** No limit (keeps the strategy). */
  withNoBound(): BufferConfig;
  /** When full, forward the oldest entries early (EagerBufferConfig). */
  emitEarlyWhenFull(): BufferConfig;
  /** When full, fail the application (StrictBufferConfig). */
  shutDownWhenFull(): BufferConfig;
}

function bufferConfig(maxRecords: number, maxBytes: number, whenFull: 'emitEarly' | 'shutDown'): BufferConfig {
  if (!(maxRecords >= 0) || !(maxBytes >= 0)) throw new RangeError('buffer limits must not be negative');
  return {
    maxRecords,
    maxBytes,
    whenFull,
    withMaxRecords: (n) => bufferConfig(n, maxBytes, whenFull),
    withMaxBytes: (n) => bufferConfig(maxRecords, n, whenFull),
    withNoBound: () => bufferConfig(Infinity, Infinity, whenFull),
    emitEarlyWhenFull: () => bufferConfig(maxRecords, maxBytes, 'emitEarly'),
    shutDownWhenFull: () => bufferConfig(maxRecords, maxBytes, 'shutDown'),
  };
}

export const BufferConfig = {
  /** At most `n` records; emits early when full (call shutDownWhenFull() to fail instead). */
  maxRecords: (n: number): BufferConfig => bufferConfig(n, Infinity, 'emitEarly'),
  /** At most `n` bytes of keys and values; emits early when full (call shutDownWhenFull() to fail instead). */
  maxBytes: (n: number): BufferConfig => bufferConfig(Infinity, n, 'emitEarly'),
  /** No bound (a strict config: it never emits early). */
  unbounded: (): BufferConfig => bufferConfig(Infinity, Infinity, 'shutDown'),
} as const;

export interface Suppressed {
  readonly kind: 'untilWindowCloses' | 'untilTimeLimit';
  readonly buffer: BufferConfig;
  /** untilTimeLimit's wait (ms). */
  readonly timeLimitMs: number;
  readonly name: string | undefined;
  /** The suppression's name (also its buffer store's). */
  withName(name: string): Suppressed;
}

function suppressed(kind: Suppressed['kind'], buffer: BufferConfig, timeLimitMs: number, name: string | undefined): Suppressed {
  return { kind, buffer, timeLimitMs, name, withName: (n) => suppressed(kind, buffer, timeLimitMs, n) };
}

export const Suppressed = {
  /** The final result of each window, once it closed (window end + grace); strict buffers only. */
  untilWindowCloses: (buffer: BufferConfig = BufferConfig.unbounded()): Suppressed => {
    if (buffer.whenFull !== 'shutDown') throw new Error('untilWindowCloses needs a strict buffer config (unbounded() or shutDownWhenFull()): emitting early would not be a final result');
    return suppressed('untilWindowCloses', buffer, 0, undefined);
  },
  /** The latest value of a key once `timeToWaitMs` of stream time passed since its first buffered update. */
  untilTimeLimit: (timeToWaitMs: number, buffer: BufferConfig): Suppressed => {
    if (!(timeToWaitMs >= 0)) throw new RangeError('the time limit must not be negative');
    return suppressed('untilTimeLimit', buffer, timeToWaitMs, undefined);
  },
} as const;

/** A buffered update: its buffer time and value (null: a tombstone of untilTimeLimit). */
interface Buffered {
  time: number;
  value: unknown;
}

interface Held {
  key: unknown;
  time: number;
  timestamp: number;
  bytes: number;
}

/** The buffer store's values: buffer time (8 bytes), a null flag, the value's bytes. */
function bufferedSerde(inner: UntypedSerde): Serde<Buffered> {
  return {
    serialize: (b) => {
      if (b === null || b === undefined) return null;
      const v = b.value === null ? null : inner.serialize(b.value);
      const out = Buffer.alloc(9 + (v?.length ?? 0));
      out.writeBigInt64BE(BigInt(b.time), 0);
      out[8] = v === null ? 1 : 0;
      v?.copy(out, 9);
      return out;
    },
    deserialize: (d) => {
      if (d === null || d.length < 9) throw new RangeError('a suppression buffer entry needs at least 9 bytes');
      return { time: Number(d.readBigInt64BE(0)), value: d[8] === 1 ? null : inner.deserialize(d.subarray(9)) };
    },
  };
}

/** Adds the suppression processor and its buffer store; returns its node. `graceMs` is the windowed table's (undefined: not windowed). */
export function addSuppress(b: StreamsBuilder, parent: string, sup: Suppressed, graceMs: number | undefined, keySerde: UntypedSerde, valueSerde: UntypedSerde | undefined): string {
  const windowed = sup.kind === 'untilWindowCloses';
  if (windowed && graceMs === undefined) throw new Error('suppress(untilWindowCloses) needs a windowed table (from windowedBy(...).count/reduce/aggregate)');
  const wait = windowed ? (graceMs as number) : sup.timeLimitMs;
  const n = b.topology.newName('');
  const name = sup.name ?? `KTABLE-SUPPRESS-STATE-STORE-${n}`;
  const store = name;
  const values = valueSerde ?? anySerde;
  // untilWindowCloses buffers the values alone (the buffer time is the window end, as before
  // untilTimeLimit existed); untilTimeLimit's entries carry their buffer time.
  b.addStore(store, keySerde, windowed ? values : bufferedSerde(values));
  const wrap = (time: number, value: unknown): unknown => (windowed ? value : ({ time, value } satisfies Buffered));
  const unwrap = (key: unknown, stored: unknown): Buffered => (windowed ? { time: (key as Windowed<unknown>).window.end, value: stored } : (stored as Buffered));
  const { maxRecords, maxBytes, whenFull } = sup.buffer;
  const sizeOf = (keyBytes: number, value: unknown): number => keyBytes + (value === null ? 0 : (values.serialize(value)?.length ?? 0));
  return b.addProcessor('KTABLE-SUPPRESS-', [parent], (): Processor => {
    let index: Map<string, Held> | null = null;
    let observed = -1;
    let bytes = 0;
    /** A lower bound of the buffered times (a scan happens only once it is due). */
    let minTime = -Infinity;
    return {
      process: (r: StreamRecord, ctx) => {
        const buffer = ctx.store<unknown, unknown>(store);
        if (index === null) {
          index = new Map();
          for (const e of buffer.all()) {
            const kb = keySerde.serialize(e.key) ?? Buffer.alloc(0);
            const { time, value } = unwrap(e.key, e.value);
            const size = sizeOf(kb.length, value);
            index.set(kb.toString('latin1'), { key: e.key, time, timestamp: time, bytes: size });
            bytes += size;
          }
        }
        const held = index;
        const emit = (id: string, h: Held): void => {
          const stored = buffer.get(h.key);
          const entry = stored === undefined ? undefined : unwrap(h.key, stored);
          buffer.delete(h.key);
          held.delete(id);
          bytes -= h.bytes;
          if (entry !== undefined) ctx.forward({ key: h.key, value: entry.value, timestamp: h.timestamp, headers: [] });
        };
        observed = Math.max(observed, r.timestamp);
        const key = r.key;
        if (key !== null && key !== undefined) {
          const kb = keySerde.serialize(key) ?? Buffer.alloc(0);
          const id = kb.toString('latin1');
          const prior = held.get(id);
          const value = r.value === undefined ? null : r.value;
          if (windowed && value === null) {
            if (prior) {
              buffer.delete(key);
              held.delete(id);
              bytes -= prior.bytes;
            }
          } else {
            const time = prior?.time ?? (windowed ? (key as Windowed<unknown>).window.end : r.timestamp);
            const size = sizeOf(kb.length, value);
            buffer.put(key, wrap(time, value));
            held.set(id, { key, time, timestamp: r.timestamp, bytes: size });
            bytes += size - (prior?.bytes ?? 0);
            minTime = Math.min(minTime, time);
          }
        }
        // Kafka's enforceConstraints: the entries due first, then, over capacity, the oldest early (or fail).
        if (minTime + wait <= observed) {
          minTime = Infinity;
          for (const h of held.values()) if (h.time + wait > observed) minTime = Math.min(minTime, h.time);
          const due = [...held].filter(([, h]) => h.time + wait <= observed).sort(([, a], [, c]) => a.time - c.time);
          for (const [id, h] of due) emit(id, h);
        }
        while (held.size > maxRecords || bytes > maxBytes) {
          if (whenFull === 'shutDown') throw new Error(`${name} buffer exceeded its max capacity. Currently [${held.size}/${maxRecords}] records and [${bytes}/${maxBytes}] bytes.`);
          const [id, h] = oldest(held);
          emit(id, h);
        }
      },
    };
  }, [store]);
}

/** The entry with the smallest buffer time (the first inserted among equals). */
function oldest(index: Map<string, Held>): [string, Held] {
  let best: [string, Held] | null = null;
  for (const e of index) if (best === null || e[1].time < best[1].time) best = e;
  return best as [string, Held];
}
