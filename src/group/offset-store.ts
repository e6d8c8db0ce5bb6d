/**
 * The committed offsets of every group this coordinator hosts, and the pending offsets of open
 * transactions (Kafka's OffsetMetadataManager state): keyed by group id, then topic, then
 * partition. Offsets belong to the group id, not to a group object, so every group kind (classic
 * today; KIP-848 consumer groups and KIP-932 share groups later) and groups with no membership
 * state at all (simple consumers committing with generation -1, admins) share one store.
 *
 * Kafka's rule: the store changes only by replaying `__consumer_offsets` records: an
 * OffsetCommit record sets an offset, its tombstone removes it; a transactional OffsetCommit
 * record is pending until its producer's COMMIT marker reaches the partition (dropped on ABORT).
 * The `replay*` methods and `addPending` are for the coordinator's replay and loader only.
 * Retention (offsets.retention.minutes) is answered here from the group's own rule (see
 * `RetentionStart`); what to tombstone is decided by the coordinator and happens on replay.
 *
 * Samsa deviation: none in behaviour. Kafka keeps the store in a snapshotted timeline per
 * partition; Samsa replays after the commit (coordinator/runtime.ts), so plain maps suffice.
 */
import type { CommittedOffset } from './records.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface StoredOffset extends TopicPartition {
  value: CommittedOffset;
}

/** An offset of an open transaction: committed when its producer's COMMIT marker arrives. */
export interface PendingOffset extends StoredOffset {
  groupId: string;
}

/**
 * A group's retention rule for offsets without an explicit expire timestamp (Kafka's
 * offsetExpirationCondition and isSubscribedToTopic): the time an offset's retention counts
 * from, or null while it cannot expire.
 */
export type RetentionStart = (topic: string, commitTimestamp: number) => number | null;

type ByTopic = Map<string, Map<number, CommittedOffset>>;

export class OffsetStore {
  /** group id → topic → partition → committed offset. */
  private readonly committed = new Map<string, ByTopic>();
  /** `__consumer_offsets` partition → producer id → its pending offsets, in write order. */
  private readonly pending = new Map<number, Map<bigint, PendingOffset[]>>();

  // ------------------------------------------------------------------------------ reads

  offset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.committed.get(groupId)?.get(topic)?.get(partition);
  }

  /** Whether the group has any committed offset (a group with offsets but no members is Empty, not Dead). */
  hasOffsets(groupId: string): boolean {
    return this.committed.has(groupId);
  }

  /** How many partitions the group has committed offsets for. */
  count(groupId: string): number {
    let n = 0;
    for (const parts of this.committed.get(groupId)?.values() ?? []) n += parts.size;
    return n;
  }

  /** The group's committed offsets, topic by topic in commit order. */
  offsetsOf(groupId: string): StoredOffset[] {
    const out: StoredOffset[] = [];
    for (const [topic, parts] of this.committed.get(groupId) ?? []) for (const [partition, value] of parts) out.push({ topic, partition, value });
    return out;
  }

  /** The partitions the group has committed offsets for whose topic `selected` picks (deleted topics). */
  partitionsOf(groupId: string, selected: (topic: string) => boolean = () => true): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const [topic, parts] of this.committed.get(groupId) ?? []) if (selected(topic)) for (const partition of parts.keys()) out.push({ topic, partition });
    return out;
  }

  /** Group ids with committed offsets. */
  groupIds(): IterableIterator<string> {
    return this.committed.keys();
  }

  /**
   * Offsets past retention (Kafka 2.1+): an explicit expire timestamp wins; otherwise the
   * group's rule says when retention starts (or that the offset cannot expire now).
   */
  expired(groupId: string, now: number, retentionMs: number, start: RetentionStart): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const [topic, parts] of this.committed.get(groupId) ?? []) {
      for (const [partition, o] of parts) {
        let expired: boolean;
        if (o.expireTimestamp !== null) expired = now >= o.expireTimestamp;
        else {
          const base = start(topic, o.commitTimestamp);
          expired = base !== null && now - base >= retentionMs;
        }
        if (expired) out.push({ topic, partition });
      }
    }
    return out;
  }

  /** Whether an open transaction holds an offset for the group's partition (OffsetFetch require_stable). */
  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    for (const byProducer of this.pending.values()) {
      for (const list of byProducer.values()) if (list.some((e) => e.groupId === groupId && e.topic === topic && e.partition === partition)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------------------ replay only

  /** Replays an OffsetCommit record (non-transactional, or its transaction's COMMIT marker). */
  replayCommit(groupId: string, topic: string, partition: number, value: CommittedOffset): void {
    let byTopic = this.committed.get(groupId);
    if (!byTopic) this.committed.set(groupId, (byTopic = new Map()));
    let parts = byTopic.get(topic);
    if (!parts) byTopic.set(topic, (parts = new Map()));
    parts.set(partition, value);
  }

  /** Replays an OffsetCommit tombstone. */
  replayTombstone(groupId: string, topic: string, partition: number): void {
    const byTopic = this.committed.get(groupId);
    const parts = byTopic?.get(topic);
    if (!byTopic || !parts) return;
    parts.delete(partition);
    if (parts.size === 0) byTopic.delete(topic);
    if (byTopic.size === 0) this.committed.delete(groupId);
  }

  /** Replays a transactional OffsetCommit record of `producerId` in `__consumer_offsets`-`offsetsPartition`: pending until its marker. */
  addPending(offsetsPartition: number, producerId: bigint, entries: readonly PendingOffset[]): void {
    let byProducer = this.pending.get(offsetsPartition);
    if (!byProducer) this.pending.set(offsetsPartition, (byProducer = new Map()));
    const list = byProducer.get(producerId);
    if (list) list.push(...entries);
    else byProducer.set(producerId, [...entries]);
  }

  /**
   * Replays the producer's COMMIT/ABORT marker in `offsetsPartition`: its pending offsets there
   * become committed (COMMIT, in write order) or are dropped (ABORT). Returns the ones committed.
   */
  replayMarker(offsetsPartition: number, producerId: bigint, commit: boolean): PendingOffset[] {
    const byProducer = this.pending.get(offsetsPartition);
    const list = byProducer?.get(producerId) ?? [];
    byProducer?.delete(producerId);
    if (byProducer && byProducer.size === 0) this.pending.delete(offsetsPartition);
    if (!commit) return [];
    for (const e of list) this.replayCommit(e.groupId, e.topic, e.partition, e.value);
    return list;
  }

  /**
   * Forgets the offsets of the groups `inPartition` picks and the pending offsets of
   * `__consumer_offsets`-`offsetsPartition` (the partition was unloaded: another broker leads it).
   */
  unload(offsetsPartition: number, inPartition: (groupId: string) => boolean): void {
    for (const groupId of [...this.committed.keys()]) if (inPartition(groupId)) this.committed.delete(groupId);
    this.pending.delete(offsetsPartition);
  }

  /** Forgets everything (coordinator shutdown). */
  clear(): void {
    this.committed.clear();
    this.pending.clear();
  }
}
