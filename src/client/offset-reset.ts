/**
 * The new committed offsets of a consumer group reset, worked out the way
 * kafka-consumer-groups.sh --reset-offsets does it; shared by `samsa groups` and the console.
 *
 * Kafka's rules: --to-earliest (the log start), --to-latest (the log end), --to-current (the
 * committed offset; the log end where there is none), --to-offset N and --shift-by N (clamped to
 * [log start, log end]; shift-by needs a committed offset), and a time (--to-datetime,
 * --by-duration: the first offset at or after that time, the log end when no record is that
 * recent). Planning commits nothing.
 */
import { listOffsets, OffsetSpec, tpKey } from './admin.js';
import type { GroupAdmin } from './group-admin.js';

export type ResetSpec =
  | { kind: 'to-earliest' | 'to-latest' | 'to-current' }
  | { kind: 'to-offset' | 'shift-by'; n: bigint }
  | { kind: 'to-time'; ms: bigint };

export interface PlannedOffset {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
}

/** A reset that cannot be planned (shift-by of a partition the group never committed). */
export class ResetPlanError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ResetPlanError';
  }
}

/**
 * The new offset of each partition in `parts`; `committed` is the group's committed offsets,
 * `offsetsAt` answers ListOffsets (the bootstrap broker by default; a cluster client asks leaders).
 */
export async function planOffsetReset(
  admin: GroupAdmin,
  group: string,
  parts: readonly { topic: string; partition: number }[],
  spec: ResetSpec,
  committed: Map<string, Map<number, bigint>>,
  offsetsAt: (parts: readonly { topic: string; partition: number }[], timestamp: bigint) => Promise<Map<string, bigint>> = (ps, ts) => listOffsets(admin.bootstrap, ps, ts),
): Promise<PlannedOffset[]> {
  if (parts.length === 0) return [];
  const earliest = await offsetsAt(parts, OffsetSpec.EARLIEST);
  const latest = await offsetsAt(parts, OffsetSpec.LATEST);
  const byTime = spec.kind === 'to-time' ? await offsetsAt(parts, spec.ms) : null;
  return parts.map(({ topic, partition }) => {
    const k = tpKey(topic, partition);
    const lo = earliest.get(k) ?? 0n;
    const hi = latest.get(k) ?? 0n;
    const clamp = (o: bigint): bigint => (o < lo ? lo : o > hi ? hi : o);
    const current = committed.get(topic)?.get(partition);
    let offset: bigint;
    switch (spec.kind) {
      case 'to-earliest':
        offset = lo;
        break;
      case 'to-latest':
        offset = hi;
        break;
      case 'to-current':
        offset = current ?? hi;
        break;
      case 'to-offset':
        offset = clamp(spec.n);
        break;
      case 'shift-by':
        if (current === undefined) throw new ResetPlanError(`Cannot shift the offset of ${topic}-${partition}: the group has no committed offset there.`, 'Use --to-offset, --to-earliest or --to-latest for it.');
        offset = clamp(current + spec.n);
        break;
      case 'to-time': {
        const o = byTime?.get(k) ?? -1n;
        offset = o < 0n ? hi : o;
        break;
      }
    }
    return { group, topic, partition, offset };
  });
}
