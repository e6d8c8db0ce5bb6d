/**
 * What a partition leader knows about its followers: each one's log end offset and when it was
 * last caught up, the in-sync replica set, and from them the high watermark.
 *
 * Kafka's rules (Partition / Replica in the broker):
 * - A Fetch from a follower at offset `o` means the follower holds everything below `o`: its log
 *   end offset is `o`. If `o` reached the leader's log end offset at the time of that fetch, the
 *   follower was caught up then; if it reached the leader's log end offset of the previous fetch,
 *   it was caught up at the time of the previous fetch.
 * - A member of the ISR not caught up for `replica.lag.time.max.ms` is out of sync (shrink).
 * - A replica outside the ISR whose log end offset reached the high watermark and the start of the
 *   leader's current epoch may join it (expand) — judged on a fetch it made since it left the ISR
 *   (Kafka expands only on a follower's fetch): a dead broker the controller dropped from the ISR,
 *   whose last offset still equals an idle partition's high watermark, is not added back. Nor is
 *   a replica whose broker is not eligible (KIP-841: Kafka's leader adds only brokers that are
 *   registered and unfenced, and its controller refuses others with INELIGIBLE_REPLICA): a broker
 *   that was frozen past its lease still fetches while it registers again, and adding it then
 *   would only have the controller drop it again at once.
 * - High watermark = the lowest log end offset in the ISR (the leader's included); it never moves
 *   back while this broker stays leader, and it cannot move while an ISR member's offset is
 *   unknown (right after becoming leader, until that follower fetches).
 * The ISR used here is the one committed to the metadata: shrink and expand only propose a new
 * ISR (`isrChangeNeeded`); it takes effect when the metadata accepts it (`setIsr`). While a
 * proposal is pending (`setPendingIsr`) the high watermark waits for the union of both (Kafka's
 * "maximal ISR", KIP-497): an expansion may already be committed, and a new leader elected from it,
 * before this leader hears of it.
 */
import type { Clock } from '../common/clock.js';

export interface FollowerProgress {
  readonly replicaId: number;
  /** -1 until the follower's first fetch to this leader. */
  readonly logEndOffset: number;
  readonly lastCaughtUpMs: number;
}

interface MutableFollower {
  replicaId: number;
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchLeaderLogEndOffset: number;
  lastFetchMs: number;
  /** Whether it fetched since it was last outside the ISR (only then may it join). */
  fetchedSinceOut: boolean;
}

export interface LeaderStateOptions {
  localId: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** The offset at which the leader's current epoch starts (its log end offset when it became leader). */
  leaderEpochStartOffset: number;
  /** The high watermark the leader starts with (its checkpointed one). */
  highWatermark: number;
  clock: Clock;
}

export class LeaderState {
  private readonly followers = new Map<number, MutableFollower>();
  private _isr: readonly number[];
  private _pending: readonly number[] | null = null;
  private _highWatermark: number;
  private readonly localId: number;
  private readonly clock: Clock;
  private readonly epochStartOffset: number;

  constructor(opts: LeaderStateOptions) {
    this.localId = opts.localId;
    this.clock = opts.clock;
    this.epochStartOffset = opts.leaderEpochStartOffset;
    this._isr = [...opts.isr];
    this._highWatermark = opts.highWatermark;
    const now = opts.clock.now();
    for (const id of opts.replicas) {
      if (id === opts.localId) continue;
      // Kafka resets a follower on a leader change: offset unknown; an ISR member counts as
      // caught up now, so it gets a full lag period to fetch from the new leader.
      this.followers.set(id, { replicaId: id, logEndOffset: -1, lastCaughtUpMs: opts.isr.includes(id) ? now : 0, lastFetchLeaderLogEndOffset: -1, lastFetchMs: 0, fetchedSinceOut: false });
    }
  }

  get isr(): readonly number[] {
    return this._isr;
  }

  get highWatermark(): number {
    return this._highWatermark;
  }

  isFollower(replicaId: number): boolean {
    return this.followers.has(replicaId);
  }

  follower(replicaId: number): FollowerProgress | undefined {
    return this.followers.get(replicaId);
  }

  /** The replica set changed (reassignment): followers added start unknown, removed ones are forgotten. */
  setReplicas(replicas: readonly number[]): void {
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id);
    for (const id of replicas) {
      if (id !== this.localId && !this.followers.has(id)) {
        this.followers.set(id, { replicaId: id, logEndOffset: -1, lastCaughtUpMs: 0, lastFetchLeaderLogEndOffset: -1, lastFetchMs: 0, fetchedSinceOut: false });
      }
    }
  }

  /** The ISR the metadata now holds (any pending proposal is answered by it). Returns whether the high watermark moved. */
  setIsr(isr: readonly number[], leaderLogEndOffset: number): boolean {
    for (const f of this.followers.values()) if (this._isr.includes(f.replicaId) && !isr.includes(f.replicaId)) f.fetchedSinceOut = false;
    this._isr = [...isr];
    this._pending = null;
    return this.maybeAdvanceHighWatermark(leaderLogEndOffset);
  }

  /** The ISR proposed and not answered yet (null: none). */
  get pendingIsr(): readonly number[] | null {
    return this._pending;
  }

  /** A proposal was sent (the HW now waits for its members too), or (null) was refused. */
  setPendingIsr(isr: readonly number[] | null, leaderLogEndOffset: number): boolean {
    this._pending = isr === null ? null : [...isr];
    return this.maybeAdvanceHighWatermark(leaderLogEndOffset);
  }

  /**
   * A follower fetched at `fetchOffset` while the leader's log end offset was `leaderLogEndOffset`.
   * Returns whether the high watermark moved. Unknown replicas are ignored (returns false).
   */
  recordFetch(replicaId: number, fetchOffset: number, leaderLogEndOffset: number): boolean {
    const f = this.followers.get(replicaId);
    if (f === undefined) return false;
    const now = this.clock.now();
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    f.lastFetchMs = now;
    f.fetchedSinceOut = true;
    return this.maybeAdvanceHighWatermark(leaderLogEndOffset);
  }

  /** The leader appended: with an ISR of itself alone the high watermark follows its log end. */
  leaderAppended(leaderLogEndOffset: number): boolean {
    return this.maybeAdvanceHighWatermark(leaderLogEndOffset);
  }

  /**
   * The ISR the leader should propose now, or null when it is right: members not caught up within
   * `lagTimeMaxMs` leave, caught-up non-members join if `eligible` (default: all). The leader itself always stays.
   */
  isrChangeNeeded(lagTimeMaxMs: number, leaderLogEndOffset: number, eligible: (replicaId: number) => boolean = () => true): number[] | null {
    const now = this.clock.now();
    const next: number[] = [];
    let changed = false;
    for (const id of this._isr) {
      const f = this.followers.get(id);
      if (id !== this.localId && (f === undefined || (f.logEndOffset !== leaderLogEndOffset && now - f.lastCaughtUpMs > lagTimeMaxMs))) {
        changed = true;
        continue;
      }
      next.push(id);
    }
    if (!next.includes(this.localId)) {
      next.unshift(this.localId);
      changed = true;
    }
    // Shrink first; expansion is judged against the high watermark the smaller ISR gives.
    if (changed) return next;
    for (const f of this.followers.values()) {
      if (next.includes(f.replicaId) || !f.fetchedSinceOut || !eligible(f.replicaId)) continue;
      if (f.logEndOffset >= this._highWatermark && f.logEndOffset >= this.epochStartOffset) {
        next.push(f.replicaId);
        changed = true;
      }
    }
    return changed ? next : null;
  }

  private maybeAdvanceHighWatermark(leaderLogEndOffset: number): boolean {
    let low = leaderLogEndOffset;
    const members = this._pending === null ? this._isr : [...new Set([...this._isr, ...this._pending])];
    for (const id of members) {
      if (id === this.localId) continue;
      const f = this.followers.get(id);
      // An ISR member that is not a replica any more, or whose offset is not known yet, holds it.
      if (f === undefined || f.logEndOffset < 0) return false;
      if (f.logEndOffset < low) low = f.logEndOffset;
    }
    if (low <= this._highWatermark) return false;
    this._highWatermark = low;
    return true;
  }
}
