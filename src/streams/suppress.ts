/**
 * suppress(Suppressed.untilWindowCloses(...)): the final result of each window only. A windowed
 * table's updates are held in a buffer store (logged, so the buffer survives a restart) keyed by
 * the windowed key, the latest value replacing the earlier ones, and each window's value is
 * forwarded once stream time reaches the window's end plus its grace period, oldest window first.
 *
 * Kafka's rules kept (KTableSuppressProcessor, KIP-328): only windowed tables can be suppressed
 * until their windows close; the suppression's stream time is the largest timestamp of the
 * updates it received; a window is emitted when window end + grace <= that time; a later update
 * of an emitted window cannot happen (the aggregation dropped it as late); a tombstone for a
 * window never emitted (a session merged away) is simply removed from the buffer. Samsa's
 * deviations: only an unbounded buffer (BufferConfig.unbounded(); maxRecords/maxBytes and
 * untilTimeLimit are not there); the buffer index is rebuilt from the store when the task opens.
 */
import type { StreamsBuilder } from './builder.js';
import { anySerde } from './entry-list-serde.js';
import type { Processor, StreamRecord } from './processor.js';
import type { UntypedSerde } from './serdes.js';
import type { Windowed } from './windows.js';

export interface BufferConfig {
  readonly kind: 'unbounded';
}

export const BufferConfig = {
  unbounded: (): BufferConfig => ({ kind: 'unbounded' }),
} as const;

export interface Suppressed {
  readonly kind: 'untilWindowCloses';
  readonly buffer: BufferConfig;
  readonly name: string | undefined;
}

export const Suppressed = {
  untilWindowCloses: (buffer: BufferConfig = BufferConfig.unbounded()): Suppressed => ({ kind: 'untilWindowCloses', buffer, name: undefined }),
} as const;

interface Held {
  key: Windowed<unknown>;
  end: number;
  timestamp: number;
}

/** Adds the suppression processor and its buffer store; returns its node. */
export function addSuppress(b: StreamsBuilder, parent: string, suppressed: Suppressed, graceMs: number, keySerde: UntypedSerde, valueSerde: UntypedSerde | undefined): string {
  const n = b.topology.newName('');
  const store = `${suppressed.name ?? `KTABLE-SUPPRESS-STATE-STORE-${n}`}`;
  b.addStore(store, keySerde, valueSerde ?? anySerde);
  return b.addProcessor('KTABLE-SUPPRESS-', [parent], (): Processor => {
    let index: Map<string, Held> | null = null;
    let observed = -1;
    /** A lower bound of the buffered windows' ends (a scan happens only once it is due). */
    let minEnd = -Infinity;
    return {
      process: (r: StreamRecord, ctx) => {
        const buffer = ctx.store<Windowed<unknown>, unknown>(store);
        if (index === null) {
          index = new Map();
          for (const e of buffer.all()) index.set(idOf(keySerde, e.key), { key: e.key, end: e.key.window.end, timestamp: e.key.window.end });
        }
        observed = Math.max(observed, r.timestamp);
        const key = r.key as Windowed<unknown> | null;
        if (key !== null && key !== undefined) {
          const id = idOf(keySerde, key);
          if (r.value === null || r.value === undefined) {
            buffer.delete(key);
            index.delete(id);
          } else {
            buffer.put(key, r.value);
            index.set(id, { key, end: key.window.end, timestamp: r.timestamp });
            minEnd = Math.min(minEnd, key.window.end);
          }
        }
        if (minEnd + graceMs > observed) return;
        minEnd = Infinity;
        for (const h of index.values()) if (h.end + graceMs > observed) minEnd = Math.min(minEnd, h.end);
        const due = [...index].filter(([, h]) => h.end + graceMs <= observed).sort(([, a], [, c]) => a.end - c.end);
        for (const [id, h] of due) {
          const value = buffer.get(h.key);
          buffer.delete(h.key);
          index.delete(id);
          if (value !== undefined) ctx.forward({ key: h.key, value, timestamp: h.timestamp, headers: [] });
        }
      },
    };
  }, [store]);
}

const idOf = (serde: UntypedSerde, key: unknown): string => (serde.serialize(key) ?? Buffer.alloc(0)).toString('latin1');
