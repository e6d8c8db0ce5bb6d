/**
 * Time windows (tumbling and hopping) with a grace period, and the windowed key the windowed
 * aggregations produce.
 *
 * Kafka's rules kept (TimeWindows, TimeWindowedSerializer): a window is [start, start + size);
 * hopping windows start every `advance` ms from the epoch, a record falls into every window that
 * contains its timestamp; a record is dropped when its window ended at or before stream time
 * minus grace; a windowed key is serialized as the key's bytes followed by the window start as 8
 * bytes big-endian. Samsa's deviation: no default grace (Kafka's deprecated 24 h): ofSize() means
 * no grace, as ofSizeWithNoGrace().
 */
import type { Serde } from './serdes.js';

export interface Window {
  start: number;
  end: number;
}

export interface Windowed<K> {
  key: K;
  window: Window;
}

export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {
    if (!(sizeMs > 0)) throw new RangeError('Window size (sizeMs) must be larger than zero.');
    if (!(advanceMs > 0 && advanceMs <= sizeMs)) throw new RangeError(`Window advancement interval should be more than zero and less than window duration which is ${sizeMs} ms, but given advancement interval is: ${advanceMs} ms`);
    if (graceMs < 0) throw new RangeError('Grace period must not be negative.');
  }

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, 0);
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  /** Hopping windows: a new window every `advanceMs`. */
  advanceBy(advanceMs: number): TimeWindows {
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** The windows containing `timestamp`, oldest first. */
  windowsFor(timestamp: number): Window[] {
    const out: Window[] = [];
    const first = Math.max(0, timestamp - this.sizeMs + this.advanceMs);
    for (let start = first - (first % this.advanceMs); start <= timestamp; start += this.advanceMs) out.push({ start, end: start + this.sizeMs });
    return out;
  }
}

/** Kafka's TimeWindowedSerde: inner key bytes, then the window start (8 bytes big-endian). */
export function timeWindowedSerde<K>(inner: Serde<K>, sizeMs: number): Serde<Windowed<K>> {
  return {
    serialize: (w) => {
      if (w === null || w === undefined) return null;
      const k = inner.serialize(w.key) ?? Buffer.alloc(0);
      const out = Buffer.alloc(k.length + 8);
      k.copy(out);
      out.writeBigInt64BE(BigInt(w.window.start), k.length);
      return out;
    },
    deserialize: (d) => {
      if (d === null) return null as unknown as Windowed<K>;
      if (d.length < 8) throw new RangeError('a windowed key needs at least 8 bytes');
      const start = Number(d.readBigInt64BE(d.length - 8));
      return { key: inner.deserialize(d.subarray(0, d.length - 8)), window: { start, end: start + sizeMs } };
    },
  };
}
