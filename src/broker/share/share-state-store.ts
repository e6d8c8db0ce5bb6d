/**
 * The share coordinator (KIP-932): durable share-partition state in `__share_group_state`, in
 * Kafka's record formats: ShareSnapshot (key version 0: group id, topic id, partition; value:
 * state epoch, leader epoch, start offset and state batches) and ShareUpdate (key version 1; value:
 * the start offset and the batches a write changed). The partition of a share-partition's records
 * is Kafka's: abs(hash("group:topicId:partition")) % `share.coordinator.state.topic.num.partitions`.
 *
 * Kafka's rules kept: the coordinator of a key is the leader of its state partition; it serves
 * the partitions it leads (loaded by replay when it becomes their leader, forgotten when it stops
 * leading them: NOT_COORDINATOR for their keys), and a write is answered once committed (the
 * coordinator runtime's rule), then replayed into the cache. InitializeShareGroupState sets a
 * share-partition's first state and state epoch (one not newer than the stored one is
 * FENCED_STATE_EPOCH);
 * only an initialised share-partition is written (FENCED_STATE_EPOCH otherwise, so a deleted
 * group's state is never brought back by a late write); DeleteShareGroupState tombstones it.
 * Reads and writes carry the share-partition's leader epoch: one older than the stored epoch is
 * FENCED_LEADER_EPOCH (a deposed leader cannot overwrite its successor's state), and a read with a
 * newer epoch records it first. A write is a ShareUpdate record until
 * `share.coordinator.snapshot.update.records.per.snapshot` updates followed the last snapshot,
 * then a ShareSnapshot; load replays the snapshot and the updates after it. The topic is not
 * compacted (compaction would drop updates): after a snapshot, the records below the oldest last
 * snapshot of the partition's live share-partitions are deleted (Kafka prunes the same way).
 * Share-partition leaders reach this through the share coordinator APIs (share-persister.ts), or
 * directly when they lead the state partition too.
 *
 * Samsa's deviations: share-partition leaders send the whole state with each write; the
 * coordinator derives the update (the batches that changed, share-state-merge.ts) and writes a
 * snapshot when no update can express the new state. A `__share_group_state` created compacted
 * (by an older Samsa) gets snapshots only. A deleted topic's share-partitions are tombstoned by
 * the coordinator of each (Kafka's DeleteShareGroupState on topic deletion).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { CoordinatorDeps, InternalPartition } from '../../coordinator/deps.js';
import { CoordinatorRuntime, type CoordinatorRecord } from '../../coordinator/runtime.js';
import { partitionForGroup } from '../../group/java-hash.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { decodeRecordBatches } from '../../protocol/records/record.js';
import { decodeShareSnapshotKey } from '../../protocol/generated/internal/share-snapshot-key.js';
import { decodeShareSnapshotValue } from '../../protocol/generated/internal/share-snapshot-value.js';
import { decodeShareUpdateKey } from '../../protocol/generated/internal/share-update-key.js';
import { decodeShareUpdateValue } from '../../protocol/generated/internal/share-update-value.js';
import { applyUpdate, updateBetween } from './share-state-merge.js';
import { snapshotKey, snapshotRecord, SNAPSHOT_KEY_VERSION, updateRecord, UPDATE_KEY_VERSION, type ShareStateKey } from './share-state-records.js';
import type { PersistedShareState } from './share-partition.js';

export const SHARE_STATE_TOPIC = '__share_group_state';

export interface ShareStateSettings {
  readonly numPartitions: number;
  readonly segmentBytes: number;
  /** ShareUpdate records written between two snapshots of a share-partition (`share.coordinator.snapshot.update.records.per.snapshot`). */
  readonly updatesPerSnapshot: number;
}

export type { ShareStateKey };

/** Kafka's SharePartitionKey coordinator key. */
export function coordinatorKey(k: ShareStateKey): string {
  return `${k.groupId}:${k.topicId}:${k.partition}`;
}

interface Stored {
  key: ShareStateKey;
  state: PersistedShareState;
  snapshotEpoch: number;
  /** The state epoch InitializeShareGroupState set (Kafka's StateEpoch). */
  stateEpoch: number;
  leaderEpoch: number;
  /** The `__share_group_state` partition it was replayed from. */
  partition: number;
  /** ShareUpdate records replayed since its last snapshot. */
  updates: number;
  /** The offset of its last snapshot in that partition (the log below the lowest one is pruned). */
  snapshotOffset: number;
}

export class ShareStateStore {
  private readonly states = new Map<string, Stored>();
  private readonly runtime: CoordinatorRuntime;
  private creating: Promise<void> | null = null;
  /** The offset of the record being appended to each partition (one write in flight per partition), for replay. */
  private readonly appendingAt = new Map<number, number>();
  private readonly logger: Logger;

  constructor(private readonly deps: CoordinatorDeps<ShareStateSettings>) {
    this.logger = deps.logger;
    this.runtime = new CoordinatorRuntime(
      SHARE_STATE_TOPIC,
      {
        append: (topic, partition, batch) => {
          if (!deps.internal.partition(topic, partition)) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker does not lead ${topic}-${partition}`);
          return deps.writer.append(topic, partition, batch);
        },
      },
      { replay: (p, record) => this.replay(p, record) },
      () => deps.scheduler.now(),
    );
  }

  /** Replays every led partition of `__share_group_state` (synchronously: a compacted topic of snapshots). */
  load(): void {
    let records = 0;
    for (const p of this.deps.internal.partitions(SHARE_STATE_TOPIC)) records += this.loadPartition(p);
    if (records > 0) this.logger.info(`Loaded ${records} share state records: ${this.states.size} share-partitions`);
  }

  /** This broker became leader of `__share_group_state`-`index`: its keys are served here (replayed again). */
  onBecameLeader(index: number): void {
    const p = this.deps.internal.partition(SHARE_STATE_TOPIC, index);
    if (p === undefined) return;
    this.forgetPartition(index);
    const records = this.loadPartition(p);
    this.logger.info(`Loaded ${SHARE_STATE_TOPIC}-${index} (${records} records): its share-partition states are served here`);
  }

  /** This broker no longer leads `__share_group_state`-`index`: its keys are another coordinator's. */
  onBecameFollower(index: number): void {
    this.forgetPartition(index);
  }

  /** The cached state of one share-partition, if this broker coordinates it and it has one. */
  read(key: ShareStateKey): PersistedShareState | undefined {
    return this.states.get(coordinatorKey(key))?.state;
  }

  /** The `__share_group_state` partition of `key`, or undefined while the topic does not exist. */
  partitionOf(key: ShareStateKey): number | undefined {
    const n = this.deps.metadata.partitionCount(SHARE_STATE_TOPIC);
    return n === undefined ? undefined : partitionForGroup(coordinatorKey(key), n);
  }

  /** Whether this broker leads `__share_group_state`-`partition` (coordinates its keys). */
  leads(partition: number): boolean {
    return this.deps.internal.partition(SHARE_STATE_TOPIC, partition) !== undefined;
  }

  /** Resolves once `__share_group_state` exists (created on first use, as Kafka's share coordinator does). */
  async ensureTopic(): Promise<void> {
    if (this.deps.metadata.partitionCount(SHARE_STATE_TOPIC) === undefined) await this.createTopic();
  }

  /**
   * ReadShareGroupState for one share-partition on its coordinator: the state (undefined when it
   * has none yet). A newer `leaderEpoch` than the stored one is recorded first; an older one is
   * FENCED_LEADER_EPOCH. NOT_COORDINATOR when this broker does not lead the key's partition.
   */
  async readForLeader(key: ShareStateKey, leaderEpoch: number): Promise<PersistedShareState | undefined> {
    const partition = this.coordinated(key);
    return this.runtime.writeAsync(partition, () => {
      const stored = this.states.get(coordinatorKey(key));
      if (stored === undefined) return { records: [], response: undefined };
      checkEpoch(stored, leaderEpoch);
      if (leaderEpoch <= stored.leaderEpoch) return { records: [], response: stored.state };
      this.appending(partition);
      return { records: [snapshotRecord(key, stored.state, (stored.snapshotEpoch + 1) & 0xffff, leaderEpoch, stored.stateEpoch)], response: stored.state };
    });
  }

  /**
   * ReadShareGroupStateSummary for one share-partition: its state epoch and start offset
   * (undefined when it has no state), fenced like a read (an older leader epoch is
   * FENCED_LEADER_EPOCH) but recording nothing.
   */
  readSummary(key: ShareStateKey, leaderEpoch: number): { stateEpoch: number; startOffset: number } | undefined {
    this.coordinated(key);
    const stored = this.states.get(coordinatorKey(key));
    if (stored === undefined) return undefined;
    if (leaderEpoch >= 0) checkEpoch(stored, leaderEpoch);
    return { stateEpoch: stored.stateEpoch, startOffset: stored.state.startOffset };
  }

  /**
   * InitializeShareGroupState for one share-partition: a snapshot with `stateEpoch`, the start
   * offset and no in-flight records (a start offset of -1 keeps the stored one). A state epoch
   * not newer than the stored one is FENCED_STATE_EPOCH (so of two leaders initialising at once,
   * one is refused and reads the other's state). Resolves once committed.
   */
  async initialize(key: ShareStateKey, stateEpoch: number, startOffset: number): Promise<void> {
    await this.ensureTopic();
    const partition = this.coordinated(key);
    await this.runtime.writeAsync(partition, () => {
      const stored = this.states.get(coordinatorKey(key));
      if (stored !== undefined && stateEpoch <= stored.stateEpoch) {
        throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `State epoch ${stateEpoch} of ${coordinatorKey(key)} is not newer than its stored state epoch ${stored.stateEpoch}`);
      }
      const start = startOffset >= 0 ? startOffset : (stored?.state.startOffset ?? 0);
      const snapshotEpoch = ((stored?.snapshotEpoch ?? -1) + 1) & 0xffff;
      this.appending(partition);
      return { records: [snapshotRecord(key, { startOffset: start, batches: [] }, snapshotEpoch, stored?.leaderEpoch ?? -1, stateEpoch)], response: undefined };
    });
  }

  /**
   * DeleteShareGroupState for one share-partition: a tombstone (compaction removes the key's
   * records); a share-partition without state is deleted already. Resolves once committed.
   */
  async deleteState(key: ShareStateKey): Promise<void> {
    const partition = this.coordinated(key);
    await this.runtime.writeAsync(partition, () => ({ records: this.states.has(coordinatorKey(key)) ? [{ key: snapshotKey(key), value: null }] : [], response: undefined }));
  }

  /** Every group id with persisted share state. */
  groupIds(): Set<string> {
    return new Set([...this.states.values()].map((s) => s.key.groupId));
  }

  /** Every persisted share-partition of `groupId`. */
  partitionsOf(groupId: string): { key: ShareStateKey; state: PersistedShareState }[] {
    return [...this.states.values()].filter((s) => s.key.groupId === groupId).map((s) => ({ key: s.key, state: s.state }));
  }

  /**
   * WriteShareGroupState for one share-partition on its coordinator: a snapshot (`state` is read
   * when the write runs, so queued writes each carry the latest state); resolves once it is
   * committed (and cached). FENCED_LEADER_EPOCH for a leader epoch older than the stored one,
   * NOT_COORDINATOR when this broker does not lead the key's partition.
   */
  async write(key: ShareStateKey, state: () => PersistedShareState, leaderEpoch: number): Promise<void> {
    await this.ensureTopic();
    const partition = this.coordinated(key);
    const snapshot = await this.runtime.writeAsync(partition, () => {
      const stored = this.states.get(coordinatorKey(key));
      // Kafka's rule: only an initialised share-partition is written (a deleted group's state stays deleted).
      if (stored === undefined) throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `Share-partition ${coordinatorKey(key)} has no state (never initialised, or deleted)`);
      checkEpoch(stored, leaderEpoch);
      const next = state();
      // A compacted state topic (created by an older Samsa) would lose ShareUpdate records: snapshots only there.
      const compacted = this.deps.internal.partition(SHARE_STATE_TOPIC, partition)?.compacted === true;
      const update = !compacted && stored.updates < this.deps.settings.updatesPerSnapshot ? updateBetween(stored.state, next) : null;
      this.appending(partition);
      if (update !== null) return { records: [updateRecord(key, update, stored.snapshotEpoch, leaderEpoch)], response: false };
      return { records: [snapshotRecord(key, next, (stored.snapshotEpoch + 1) & 0xffff, leaderEpoch, stored.stateEpoch)], response: true };
    });
    if (snapshot) this.prune(partition);
  }

  /** Notes where the record about to be appended to `partition` lands (its replay records it as the snapshot's offset). */
  private appending(partition: number): void {
    const p = this.deps.internal.partition(SHARE_STATE_TOPIC, partition);
    if (p !== undefined) this.appendingAt.set(partition, p.logEndOffset);
  }

  /** Deletes the records of `partition` below the oldest last snapshot of its share-partitions (Kafka's pruning of the state topic). */
  private prune(partition: number): void {
    const p = this.deps.internal.partition(SHARE_STATE_TOPIC, partition);
    if (p === undefined || p.deleteRecordsBefore === undefined) return;
    let lowest = p.logEndOffset;
    for (const st of this.states.values()) if (st.partition === partition) lowest = Math.min(lowest, st.snapshotOffset);
    if (lowest <= p.logStartOffset) return;
    try {
      p.deleteRecordsBefore(lowest);
    } catch (e) {
      this.logger.debug(`pruning ${SHARE_STATE_TOPIC}-${partition} below ${lowest}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Tombstones the persisted state of every share-partition of `topicId` this broker coordinates (the topic was deleted). */
  async forgetTopic(topicId: string): Promise<number> {
    const keys = [...this.states.values()].filter((s) => s.key.topicId === topicId).map((s) => s.key);
    const n = this.deps.metadata.partitionCount(SHARE_STATE_TOPIC);
    if (n === undefined) return 0;
    await Promise.all(keys.map((key) => this.runtime.writeAsync(partitionForGroup(coordinatorKey(key), n), () => ({ records: [{ key: snapshotKey(key), value: null }], response: undefined }))));
    return keys.length;
  }

  /** The led partition of `key`, else NOT_COORDINATOR. */
  private coordinated(key: ShareStateKey): number {
    const partition = this.partitionOf(key);
    if (partition === undefined || this.deps.internal.partition(SHARE_STATE_TOPIC, partition) === undefined) {
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker is not the share coordinator of ${coordinatorKey(key)}`);
    }
    return partition;
  }

  private forgetPartition(index: number): void {
    for (const [id, s] of [...this.states]) if (s.partition === index) this.states.delete(id);
  }

  private createTopic(): Promise<void> {
    if (this.creating !== null) return this.creating;
    const numPartitions = this.deps.settings.numPartitions;
    const creating = this.deps.internal
      // Kafka's settings: not compacted (compaction would drop ShareUpdate records); pruned below the oldest live snapshot instead.
      .create({ name: SHARE_STATE_TOPIC, numPartitions, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', 'segment.bytes': String(this.deps.settings.segmentBytes) } })
      .then(() => this.logger.info(`Created internal topic ${SHARE_STATE_TOPIC} with ${numPartitions} partitions`))
      .finally(() => {
        if (this.creating === creating) this.creating = null;
      });
    this.creating = creating;
    return creating;
  }

  private loadPartition(p: InternalPartition): number {
    let offset = p.logStartOffset;
    let records = 0;
    while (offset < p.logEndOffset) {
      const buf = p.read(offset, 1024 * 1024, p.logEndOffset);
      if (buf.length === 0) break;
      for (const batch of decodeRecordBatches(buf)) {
        const next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
        if (next <= offset) continue;
        offset = next;
        if (batch.isControl) continue;
        for (const r of batch.records) {
          if (r.key === null) continue;
          try {
            this.replay(p.index, { key: r.key, value: r.value }, Number(r.offset));
            records++;
          } catch (e) {
            this.logger.warn(`skipping undecodable record at offset ${r.offset} of ${SHARE_STATE_TOPIC}-${p.index}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
    }
    return records;
  }

  /** A committed record: a snapshot replaces the key's state, an update applies over it, a tombstone deletes it. */
  private replay(partition: number, record: CoordinatorRecord, loadedAt?: number): void {
    const offset = loadedAt ?? this.appendingAt.get(partition) ?? 0;
    this.appendingAt.delete(partition);
    const kr = new Reader(record.key);
    const version = kr.readInt16();
    if (version !== SNAPSHOT_KEY_VERSION && version !== UPDATE_KEY_VERSION) return;
    const k = version === SNAPSHOT_KEY_VERSION ? decodeShareSnapshotKey(kr, version) : decodeShareUpdateKey(kr, version);
    const key: ShareStateKey = { groupId: k.groupId, topicId: k.topicId, partition: k.partition };
    const id = coordinatorKey(key);
    if (record.value === null) {
      this.states.delete(id);
      return;
    }
    const vr = new Reader(record.value);
    const valueVersion = vr.readInt16();
    if (version === SNAPSHOT_KEY_VERSION) {
      const v = decodeShareSnapshotValue(vr, valueVersion);
      this.states.set(id, { key, partition, updates: 0, snapshotOffset: offset, snapshotEpoch: v.snapshotEpoch, stateEpoch: v.stateEpoch, leaderEpoch: v.leaderEpoch, state: { startOffset: Number(v.startOffset), batches: v.stateBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })) } });
      return;
    }
    const v = decodeShareUpdateValue(vr, valueVersion);
    const prior = this.states.get(id);
    const updates = v.stateBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount }));
    const state = applyUpdate(prior?.state ?? { startOffset: 0, batches: [] }, Number(v.startOffset), updates);
    this.states.set(id, {
      key,
      partition,
      updates: (prior?.updates ?? 0) + 1,
      snapshotOffset: prior?.snapshotOffset ?? offset,
      snapshotEpoch: prior?.snapshotEpoch ?? 0,
      stateEpoch: prior?.stateEpoch ?? 0,
      leaderEpoch: Math.max(v.leaderEpoch, prior?.leaderEpoch ?? -1),
      state,
    });
  }
}

function checkEpoch(stored: Stored, leaderEpoch: number): void {
  if (leaderEpoch < stored.leaderEpoch) {
    throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `Leader epoch ${leaderEpoch} of ${coordinatorKey(stored.key)} is older than its stored leader epoch ${stored.leaderEpoch}`);
  }
}
