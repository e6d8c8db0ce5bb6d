/**
 * Stream-stream windowed joins (inner, left, outer): each side buffers its records in a store
 * keyed by the join key; a record joins every record of the other side whose timestamp lies in
 * the join window around it; left and outer joins keep the records that found no partner in a
 * shared "outer" store and emit them with null for the missing side once no partner can come
 * any more (the window plus grace has passed in stream time).
 *
 * Kafka's rules kept (KStreamKStreamJoin, KIP-633): a left record at t joins right records in
 * [t - before, t + after] (a right record at t joins left records in [t - after, t + before]); the joined record's timestamp is the larger of the
 * two; joiner(leftValue, rightValue) whichever side arrived last; the join's stream time is the
 * largest timestamp either side has seen in the task; buffered records expire after before +
 * after + grace (an expired record is neither buffered nor found); an unmatched record waits in
 * the outer store until stream time passes its timestamp + after (left records) or + before
 * (right records) + grace, and is then emitted with null, oldest first, when a record at stream
 * time arrives (so no spurious left-join results); an unmatched record whose window already
 * closed is emitted with null at once; a record with a null key is emitted with null at once by
 * the outer side(s) (KIP-962), a null value is skipped; both sides must be co-partitioned (a side
 * whose key changed is repartitioned first). Samsa's deviations: stores are key-value stores
 * holding a list per key (entry-list-serde.ts) and expire records exactly at the retention (not
 * by segment): a key's list is pruned when the key is written, and a key not written again leaves
 * the store once its latest record is past the retention (window-retention.ts); unmatched records are found by scanning the outer store when its oldest entry may
 * be due, at every such record (no wall-clock emit interval).
 */
import type { StreamsBuilder } from './builder.js';
import { anySerde, entryListSerde, latestTs, type Entry } from './entry-list-serde.js';
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
  // A key leaves a buffer once its latest record is past the retention (window-retention.ts).
  const retention = { retentionMs: windows.retentionMs, timeOf: latestTs };
  b.addStore(stores[0], serdes.key, entryListSerde(serdes.left ?? anySerde), retention);
  b.addStore(stores[1], serdes.key, entryListSerde(serdes.right ?? anySerde), retention);
  const outerStore = kind === 'inner' ? null : `KSTREAM-OUTERSHARED-${base}-store`;
  if (outerStore !== null) b.addStore(outerStore, serdes.key, entryListSerde((tag) => (tag === 0 ? serdes.left : serdes.right) ?? anySerde));
  const shared = new Map<string, SharedTime>();
  const needsOuter = (s: 0 | 1): boolean => kind === 'outer' || (kind === 'left' && s === 0);
  const side = (s: 0 | 1) => () => ({
    // A task (re)opened starts a fresh join time (its stores may have gone back to the last commit).
    init: (ctx: ProcessorContext) => void shared.set(ctx.taskId, { time: -1, oldestOuter: -Infinity }),
    process: (r: StreamRecord, ctx: ProcessorContext) => {
      let st = shared.get(ctx.taskId);
      if (st === undefined) shared.set(ctx.taskId, (st = { time: -1, oldestOuter: -Infinity }));
      const ts = r.timestamp;
      st.time = Math.max(st.time, ts);
      const join = (mine: unknown, other: unknown): unknown => (s === 0 ? joiner(mine, other) : joiner(other, mine));
      if (r.value === null || r.value === undefined) return;
      if (r.key === null || r.key === undefined) {
        if (needsOuter(s)) ctx.forward({ ...r, value: join(r.value, null) }); // KIP-962: nothing can join it
        return;
      }
      const now = st.time;
      const live = (e: Entry<unknown>): boolean => e.ts + windows.retentionMs >= now;
      const outer = outerStore === null ? null : ctx.store<unknown, Entry<unknown>[]>(outerStore);
      if (outer !== null && ts === now) emitUnmatched(ctx, outer, st, windows, joiner);
      const own = ctx.store<unknown, Entry<unknown>[]>(stores[s]);
      const other = ctx.store<unknown, Entry<unknown>[]>(stores[1 - s] as string);
      const kept = (own.get(r.key) ?? []).filter(live);
      own.put(r.key, ts + windows.retentionMs >= now ? [...kept, { ts, tag: s, end: 0, value: r.value }] : kept.length > 0 ? kept : null); // an expired record is not buffered
      const from = ts - (s === 0 ? windows.beforeMs : windows.afterMs);
      const to = ts + (s === 0 ? windows.afterMs : windows.beforeMs);
      const partners = (other.get(r.key) ?? []).filter((e) => live(e) && e.ts >= from && e.ts <= to);
      if (outer !== null && partners.length > 0) {
        // The other side's unmatched records in the window have a partner now.
        const list = outer.get(r.key);
        if (list !== undefined) {
          const rest = list.filter((e) => e.tag === s || e.ts < from || e.ts > to);
          if (rest.length !== list.length) outer.put(r.key, rest.length > 0 ? rest : null);
        }
      }
      for (const p of partners) ctx.forward({ ...r, value: join(r.value, p.value), timestamp: Math.max(ts, p.ts) });
      if (partners.length > 0 || !needsOuter(s) || outer === null) return;
      if (to < now) ctx.forward({ ...r, value: join(r.value, null) }); // its window closed already: no partner can come
      else {
        outer.put(r.key, [...(outer.get(r.key) ?? []), { ts, tag: s, end: 0, value: r.value }]);
        if (st.oldestOuter !== -Infinity) st.oldestOuter = Math.min(st.oldestOuter, ts);
      }
    },
  });
  const thisNode = b.addProcessor('KSTREAM-JOINTHIS-', [leftNode], side(0), [stores[0], stores[1], ...(outerStore ? [outerStore] : [])]);
  const otherNode = b.addProcessor('KSTREAM-JOINOTHER-', [rightNode], side(1), [stores[1], stores[0], ...(outerStore ? [outerStore] : [])]);
  return b.addProcessor('KSTREAM-MERGE-', [thisNode, otherNode], () => ({ process: (r, ctx) => ctx.forward(r) }));
}

/** Emits (and forgets) the unmatched records no partner can reach any more, oldest first. */
function emitUnmatched(ctx: ProcessorContext, outer: { all(): { key: unknown; value: Entry<unknown>[] }[]; put(k: unknown, v: Entry<unknown>[] | null): void }, st: SharedTime, windows: JoinWindows, joiner: (l: unknown, r: unknown) => unknown): void {
  // A left record waits `after` (a right record may still come up to that much later), a right one `before`.
  const reach = (e: Entry<unknown>): number => (e.tag === 0 ? windows.afterMs : windows.beforeMs) + windows.graceMs;
  if (st.oldestOuter !== -Infinity && st.oldestOuter + Math.min(windows.afterMs, windows.beforeMs) + windows.graceMs >= st.time) return;
  const due: { key: unknown; e: Entry<unknown> }[] = [];
  let oldest = Infinity;
  for (const { key, value } of outer.all()) {
    const keep = value.filter((e) => e.ts + reach(e) >= st.time);
    for (const e of value) if (e.ts + reach(e) < st.time) due.push({ key, e });
    for (const e of keep) oldest = Math.min(oldest, e.ts);
    if (keep.length !== value.length) outer.put(key, keep.length > 0 ? keep : null);
  }
  st.oldestOuter = oldest;
  due.sort((a, b) => a.e.ts - b.e.ts);
  for (const { key, e } of due) ctx.forward({ key, value: e.tag === 0 ? joiner(e.value, null) : joiner(null, e.value), timestamp: e.ts, headers: [] });
}
