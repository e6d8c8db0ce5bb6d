/**
 * Incremental share-partition state (KIP-932's ShareUpdate records): the state batches a write
 * changed, and how an update applies over the state it follows.
 *
 * Kafka's rule for applying a ShareUpdate over the state: records below the (new) start offset
 * are dropped, the update's batches replace whatever the state held at their offsets, and the
 * rest of the state is kept. Samsa's share-partition leaders send the whole state with each
 * write, so the share coordinator derives the update itself: the batches of the new state that
 * differ from the stored one. When an update cannot express the new state (it would have to
 * remove records above the start offset), the coordinator writes a snapshot instead; so replaying
 * the update always gives exactly the state that was written.
 */
import type { PersistedShareState } from './share-partition.js';

export type StateBatch = PersistedShareState['batches'][number];

/** `state` over the update's start offset and batches (Kafka's merge of a ShareUpdate), normalised. */
export function applyUpdate(state: PersistedShareState, startOffset: number, updates: readonly StateBatch[]): PersistedShareState {
  const start = startOffset >= 0 ? startOffset : state.startOffset;
  const kept: StateBatch[] = [];
  const sortedUpdates = [...updates].sort((a, b) => a.firstOffset - b.firstOffset);
  for (const b of state.batches) for (const piece of subtract(b, sortedUpdates)) kept.push(piece);
  return normalise({ startOffset: start, batches: [...kept, ...sortedUpdates] });
}

/**
 * The ShareUpdate that takes `prior` to `next` (its start offset and changed batches), or null
 * when none can (a snapshot is needed).
 */
export function updateBetween(prior: PersistedShareState, next: PersistedShareState): { startOffset: number; batches: StateBatch[] } | null {
  const target = normalise(next);
  const changed: StateBatch[] = [];
  const priorBatches = normalise(prior).batches;
  for (const b of target.batches) {
    const same = priorBatches.filter((p) => p.deliveryState === b.deliveryState && p.deliveryCount === b.deliveryCount && p.lastOffset >= b.firstOffset && p.firstOffset <= b.lastOffset);
    changed.push(...subtract(b, same));
  }
  const update = { startOffset: target.startOffset, batches: changed };
  return sameState(applyUpdate(prior, update.startOffset, update.batches), target) ? update : null;
}

/** Sorted, clipped to the start offset, adjacent equal batches joined. */
export function normalise(s: PersistedShareState): PersistedShareState {
  const batches: StateBatch[] = [];
  for (const b of [...s.batches].sort((x, y) => x.firstOffset - y.firstOffset)) {
    if (b.lastOffset < s.startOffset) continue;
    const c = { ...b, firstOffset: Math.max(b.firstOffset, s.startOffset) };
    const prev = batches[batches.length - 1];
    if (prev !== undefined && prev.lastOffset + 1 === c.firstOffset && prev.deliveryState === c.deliveryState && prev.deliveryCount === c.deliveryCount) prev.lastOffset = c.lastOffset;
    else batches.push(c);
  }
  return { startOffset: s.startOffset, batches };
}

function sameState(a: PersistedShareState, b: PersistedShareState): boolean {
  return (
    a.startOffset === b.startOffset &&
    a.batches.length === b.batches.length &&
    a.batches.every((x, i) => {
      const y = b.batches[i];
      return y !== undefined && x.firstOffset === y.firstOffset && x.lastOffset === y.lastOffset && x.deliveryState === y.deliveryState && x.deliveryCount === y.deliveryCount;
    })
  );
}

/** The parts of `b` outside every range of `cut` (sorted by first offset). */
function subtract(b: StateBatch, cut: readonly StateBatch[]): StateBatch[] {
  const out: StateBatch[] = [];
  let from = b.firstOffset;
  for (const c of [...cut].sort((x, y) => x.firstOffset - y.firstOffset)) {
    if (c.lastOffset < from || c.firstOffset > b.lastOffset) continue;
    if (c.firstOffset > from) out.push({ ...b, firstOffset: from, lastOffset: c.firstOffset - 1 });
    from = Math.max(from, c.lastOffset + 1);
    if (from > b.lastOffset) return out;
  }
  if (from <= b.lastOffset) out.push({ ...b, firstOffset: from });
  return out;
}
