/**
 * Stream-stream windowed joins (inner, left, outer): each side buffers its records in a store
 * keyed by the join key; a record joins every record of the other side whose timestamp lies in
 * the join window around it; left and outer joins keep the records that found no partner in a
 * shared "outer" store and emit them with null for the missing side once no partner can come
 * any more (the window plus grace has passed in stream time).
 *
 * Kafka's rules kept (KStreamKStreamJoin, KIP-633): a record with a null key or value is skipped;
 * a left record at t joins right records in [t - before, t + after] (a right record at t joins
 * left records in [t - after, t + before]); the joined record's timestamp is the larger of the
 * two; joiner(leftValue, rightValue) whichever side arrived last; a record is dropped as late
 * when t + max(before, after) + grace < the join's stream time (the larger timestamp either side
 * has seen in the task); unmatched records are emitted in timestamp order only after that same
 * point (not eagerly, so no spurious left-join results); both sides must be co-partitioned (a
 * side whose key changed is repartitioned first). Samsa's deviations: stores are key-value
 * stores holding a list per key (entry-list-serde.ts); unmatched records are found by scanning
 * the outer store when its oldest entry is due.
 */
import type { StreamsBuilder } from './builder.js';
import { anySerde, entryListSerde, type Entry } from './entry-list-serde.js';
import type { JoinWindows } from './join-windows.js';
import type { ProcessorContext, StreamRecord } from './processor.js';
import type { UntypedSerde } from './serdes.js';

export type JoinKind = 'inner' | 'left' | 'outer';

interface SharedTime {
  time: number;
  /** Smallest timestamp in the outer store (-Infinity: unknown, scan). */
  oldestOuter: number;
}

export interface StreamJoinSerdes {
  key: UntypedSerde | undefined;
  left: UntypedSerde | undefined;
  right: UntypedSerde | undefined;
}

/** Adds the two join processors, their stores and the merge; returns the merge node. */
export function addStreamStreamJoin(b: StreamsBuilder, leftNode: string, rightNode: string, joiner: (l: unknown, r: unknown) => unknown, windows: JoinWindows, kind: JoinKind, serdes: StreamJoinSerdes, name?: string): string {
  const t = b.topology;
  const base = name ?? t.newName('');
  const stores = [`KSTREAM-JOINTHIS-${base}-store`, `KSTREAM-JOINOTHER-${base}-store`] as const;
  b.addStore(stores[0], serdes.key, entryListSerde(serdes.left ?? anySerde));
  b.addStore(stores[1], serdes.key, entryListSerde(serdes.right ?? anySerde));
  const outerStore = kind === 'inner' ? null : `KSTREAM-OUTERSHARED-${base}-store`;
  if (outerStore !== null) b.addStore(outerStore, serdes.key, entryListSerde((tag) => (tag === 0 ? serdes.left : serdes.right) ?? anySerde));
  const shared = new Map<string, SharedTime>();
  const lookBack = Math.max(windows.beforeMs, windows.afterMs);
  const side = (s: 0 | 1) => () => ({
    // A task (re)opened starts a fresh join time (its stores may have gone back to the last commit).
    init: (ctx: ProcessorContext) => void shared.set(ctx.taskId, { time: -1, oldestOuter: -Infinity }),
    process: (r: StreamRecord, ctx: ProcessorContext) => {
      if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
      let st = shared.get(ctx.taskId);
      if (st === undefined) shared.set(ctx.taskId, (st = { time: -1, oldestOuter: -Infinity }));
      const ts = r.timestamp;
      st.time = Math.max(st.time, ts);
      if (ts + lookBack + windows.graceMs < st.time) return; // late: its window closed
      const now = st.time;
      const own = ctx.store<unknown, Entry<unknown>[]>(stores[s]);
      const other = ctx.store<unknown, Entry<unknown>[]>(stores[1 - s] as string);
      own.put(r.key, [...(own.get(r.key) ?? []).filter((e) => e.ts + windows.retentionMs >= now), { ts, tag: s, end: 0, value: r.value }]);
      const from = ts - (s === 0 ? windows.beforeMs : windows.afterMs);
      const to = ts + (s === 0 ? windows.afterMs : windows.beforeMs);
      const partners = (other.get(r.key) ?? []).filter((e) => e.ts >= from && e.ts <= to);
      for (const p of partners) ctx.forward({ ...r, value: s === 0 ? joiner(r.value, p.value) : joiner(p.value, r.value), timestamp: Math.max(ts, p.ts) });
      if (outerStore === null) return;
      const outer = ctx.store<unknown, Entry<unknown>[]>(outerStore);
      if (partners.length > 0) {
        // The other side's unmatched records in the window have a partner now.
        const list = outer.get(r.key);
        if (list !== undefined) {
          const rest = list.filter((e) => e.tag === s || e.ts < from || e.ts > to);
          if (rest.length !== list.length) outer.put(r.key, rest.length > 0 ? rest : null);
        }
      } else if (kind === 'outer' || s === 0) {
        outer.put(r.key, [...(outer.get(r.key) ?? []), { ts, tag: s, end: 0, value: r.value }]);
        if (st.oldestOuter !== -Infinity) st.oldestOuter = Math.min(st.oldestOuter, ts);
      }
      emitUnmatched(ctx, outer, st, lookBack + windows.graceMs, joiner);
    },
  });
  const thisNode = b.addProcessor('KSTREAM-JOINTHIS-', [leftNode], side(0), [stores[0], stores[1], ...(outerStore ? [outerStore] : [])]);
  const otherNode = b.addProcessor('KSTREAM-JOINOTHER-', [rightNode], side(1), [stores[1], stores[0], ...(outerStore ? [outerStore] : [])]);
  return b.addProcessor('KSTREAM-MERGE-', [thisNode, otherNode], () => ({ process: (r, ctx) => ctx.forward(r) }));
}

/** Emits (and forgets) the unmatched records no partner can reach any more, oldest first. */
function emitUnmatched(ctx: ProcessorContext, outer: { all(): { key: unknown; value: Entry<unknown>[] }[]; put(k: unknown, v: Entry<unknown>[] | null): void }, st: SharedTime, reach: number, joiner: (l: unknown, r: unknown) => unknown): void {
  if (st.oldestOuter !== -Infinity && st.oldestOuter + reach >= st.time) return;
  const due: { key: unknown; e: Entry<unknown> }[] = [];
  let oldest = Infinity;
  for (const { key, value } of outer.all()) {
    const keep = value.filter((e) => e.ts + reach >= st.time);
    for (const e of value) if (e.ts + reach < st.time) due.push({ key, e });
    for (const e of keep) oldest = Math.min(oldest, e.ts);
    if (keep.length !== value.length) outer.put(key, keep.length > 0 ? keep : null);
  }
  st.oldestOuter = oldest;
  due.sort((a, b) => a.e.ts - b.e.ts);
  for (const { key, e } of due) ctx.forward({ key, value: e.tag === 0 ? joiner(e.value, null) : joiner(null, e.value), timestamp: e.ts, headers: [] });
}
