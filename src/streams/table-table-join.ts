/**
 * Table-table joins (inner, left, outer) on the primary key: an update on either side looks the
 * key up in the other side's store and forwards the new join result (or a tombstone).
 *
 * Kafka's rules kept (KTableKTableInnerJoin / LeftJoin / OuterJoin): both tables must be
 * materialized and co-partitioned; an inner join forwards only when both sides have a value and
 * a tombstone when a side is deleted while the other exists; a left join forwards whenever the
 * left side has a value (joiner(left, null) without a right value) and a tombstone when the left
 * is deleted; an outer join forwards whenever either side has a value, with null for the missing
 * side, and a tombstone when both are gone; the result keeps the key. Samsa's deviation: updates
 * carry the new value only, so an inner join whose right side is deleted while the left is
 * absent forwards nothing (Kafka may forward a tombstone of an older result).
 */
import type { StreamsBuilder } from './builder.js';
import type { JoinKind } from './stream-stream-join.js';
import type { ProcessorContext, StreamRecord } from './processor.js';

const absent = (v: unknown): boolean => v === null || v === undefined;

/** Adds the join processors (one per side) and their merge; returns the merge node. */
export function addTableTableJoin(b: StreamsBuilder, left: { node: string; store: string }, right: { node: string; store: string }, joiner: (l: unknown, r: unknown) => unknown, kind: JoinKind, resultStore: string | null): string {
  const side = (s: 0 | 1) => () => ({
    process: (r: StreamRecord, ctx: ProcessorContext) => {
      if (absent(r.key)) return;
      const other = ctx.store<unknown, unknown>(s === 0 ? right.store : left.store).get(r.key);
      const [lv, rv] = s === 0 ? [r.value, other] : [other, r.value];
      let out: unknown;
      if (kind === 'inner') {
        if (absent(s === 0 ? rv : lv)) return;
        out = absent(lv) || absent(rv) ? null : joiner(lv, rv);
      } else if (kind === 'left') {
        if (s === 1 && absent(lv)) return;
        out = absent(lv) ? null : joiner(lv, absent(rv) ? null : rv);
      } else {
        out = absent(lv) && absent(rv) ? null : joiner(absent(lv) ? null : lv, absent(rv) ? null : rv);
      }
      ctx.forward({ ...r, value: out });
    },
  });
  const leftJoin = b.addProcessor('KTABLE-JOINTHIS-', [left.node], side(0), [right.store]);
  const rightJoin = b.addProcessor('KTABLE-JOINOTHER-', [right.node], side(1), [left.store]);
  return b.addProcessor('KTABLE-MERGE-', [leftJoin, rightJoin], () => ({
    process: (r, ctx) => {
      if (resultStore !== null) ctx.store<unknown, unknown>(resultStore).put(r.key, r.value);
      ctx.forward(r);
    },
  }), resultStore === null ? [] : [resultStore]);
}
