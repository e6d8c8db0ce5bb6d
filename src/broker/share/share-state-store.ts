/**
 * Durable share-partition state (KIP-932's persister) in `__share_group_state`, in Kafka's record
 * formats: key ShareSnapshotKey (version 0: group id, topic id, partition), value
 * ShareSnapshotValue (start offset and state batches). The partition of a share-partition's
 * records is Kafka's: abs(hash("group:topicId:partition")) % the topic's partition count
 * (`share.coordinator.state.topic.num.partitions`). The topic is compacted, so the latest
 * snapshot of each key survives; the store is loaded (replayed) at start-up, and a write is
 * answered once committed (the coordinator runtime's rule), then replayed into the cache.
 *
 * Samsa's deviations: Kafka's share coordinator serves ReadShareGroupState/WriteShareGroupState
 * RPCs and writes ShareUpdate records between snapshots; here the partition leader writes full
 * ShareSnapshot records itself (a "simple persister"), which must lead the state partition too:
 * on a cluster where another broker leads it the write fails with NOT_COORDINATOR. ShareUpdate
 * records (key version 1) are read back on load, applied over the snapshot they follow. A deleted
 * topic's share-partitions are tombstoned (Kafka's DeleteShareGroupState on topic deletion).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { CoordinatorDeps, InternalPartition } from '../../coordinator/deps.js';
import { CoordinatorRuntime, type CoordinatorRecord } from '../../coordinator/runtime.js';
import { partitionForGroup } from '../../group/java-hash.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { decodeRecordBatches } from '../../protocol/records/record.js';
import { decodeShareSnapshotKey, encodeShareSnapshotKey } from '../../protocol/generated/internal/share-snapshot-key.js';
import { decodeShareSnapshotValue, encodeShareSnapshotValue } from '../../protocol/generated/internal/share-snapshot-value.js';
import { decodeShareUpdateKey } from '../../protocol/generated/internal/share-update-key.js';
import { decodeShareUpdateValue } from '../../protocol/generated/internal/share-update-value.js';
import type { PersistedShareState } from './share-partition.js';

export const SHARE_STATE_TOPIC = '__share_group_state';
const SNAPSHOT_KEY_VERSION = 0;
const UPDATE_KEY_VERSION = 1;
const VALUE_VERSION = 0;

export interface ShareStateSettings {
  readonly numPartitions: number;
  readonly segmentBytes: number;
}

export interface ShareStateKey {
  groupId: string;
  topicId: string;
  partition: number;
}

/** Kafka's SharePartitionKey coordinator key. */
export function coordinatorKey(k: ShareStateKey): string {
  return `${k.groupId}:${k.topicId}:${k.partition}`;
}

interface Stored {
  key: ShareStateKey;
  state: PersistedShareState;
  snapshotEpoch: number;
}

export class ShareStateStore {
  private readonly states = new Map<string, Stored>();
  private readonly runtime: CoordinatorRuntime;
  private creating: Promise<void> | null = null;
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
      { replay: (_p, record) => this.replay(record) },
      () => deps.scheduler.now(),
    );
  }

  /** Replays every led partition of `__share_group_state` (synchronously: a compacted topic of snapshots). */
  load(): void {
    let records = 0;
    for (const p of this.deps.internal.partitions(SHARE_STATE_TOPIC)) records += this.loadPartition(p);
    if (records > 0) this.logger.info(`Loaded ${records} share state records: ${this.states.size} share-partitions`);
  }

  /** The persisted state of one share-partition, if any. */
  read(key: ShareStateKey): PersistedShareState | undefined {
    return this.states.get(coordinatorKey(key))?.state;
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
   * Writes a snapshot of one share-partition (`state` is read when the write runs, so queued
   * writes each carry the latest state); resolves once it is committed (and cached).
   */
  async write(key: ShareStateKey, state: () => PersistedShareState, leaderEpoch: number): Promise<void> {
    if (this.deps.metadata.partitionCount(SHARE_STATE_TOPIC) === undefined) await this.createTopic();
    const n = this.deps.metadata.partitionCount(SHARE_STATE_TOPIC) ?? this.deps.settings.numPartitions;
    const partition = partitionForGroup(coordinatorKey(key), n);
    await this.runtime.writeAsync(partition, () => {
      const snapshotEpoch = ((this.states.get(coordinatorKey(key))?.snapshotEpoch ?? -1) + 1) & 0xffff;
      return { records: [snapshotRecord(key, state(), snapshotEpoch, leaderEpoch)], response: undefined };
    });
  }

  /** Tombstones the persisted state of every share-partition of `topicId` (the topic was deleted). */
  async forgetTopic(topicId: string): Promise<number> {
    const keys = [...this.states.values()].filter((s) => s.key.topicId === topicId).map((s) => s.key);
    const n = this.deps.metadata.partitionCount(SHARE_STATE_TOPIC);
    if (n === undefined) return 0;
    await Promise.all(keys.map((key) => this.runtime.writeAsync(partitionForGroup(coordinatorKey(key), n), () => ({ records: [{ key: snapshotKey(key), value: null }], response: undefined }))));
    return keys.length;
  }

  private createTopic(): Promise<void> {
    if (this.creating !== null) return this.creating;
    const numPartitions = this.deps.settings.numPartitions;
    const creating = this.deps.internal
      .create({ name: SHARE_STATE_TOPIC, numPartitions, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.deps.settings.segmentBytes) } })
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
            this.replay({ key: r.key, value: r.value });
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
  private replay(record: CoordinatorRecord): void {
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
      this.states.set(id, { key, snapshotEpoch: v.snapshotEpoch, state: { startOffset: Number(v.startOffset), batches: v.stateBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })) } });
      return;
    }
    const v = decodeShareUpdateValue(vr, valueVersion);
    const prior = this.states.get(id);
    const start = v.startOffset >= 0n ? Number(v.startOffset) : (prior?.state.startOffset ?? 0);
    const updates = v.stateBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount }));
    const kept = (prior?.state.batches ?? []).filter((b) => b.lastOffset >= start && !updates.some((u) => u.firstOffset <= b.lastOffset && u.lastOffset >= b.firstOffset));
    this.states.set(id, { key, snapshotEpoch: prior?.snapshotEpoch ?? 0, state: { startOffset: start, batches: [...kept, ...updates].sort((a, b) => a.firstOffset - b.firstOffset) } });
  }
}

/** A ShareSnapshot record (Kafka's key version 0, value version 0). */
function snapshotKey(key: ShareStateKey): Buffer {
  const kw = new Writer(64);
  kw.writeInt16(SNAPSHOT_KEY_VERSION);
  encodeShareSnapshotKey(kw, { groupId: key.groupId, topicId: key.topicId, partition: key.partition }, SNAPSHOT_KEY_VERSION);
  return kw.toBuffer();
}

export function snapshotRecord(key: ShareStateKey, state: PersistedShareState, snapshotEpoch: number, leaderEpoch: number): CoordinatorRecord {
  const vw = new Writer(64 + state.batches.length * 24);
  vw.writeInt16(VALUE_VERSION);
  encodeShareSnapshotValue(
    vw,
    {
      snapshotEpoch,
      stateEpoch: 0,
      leaderEpoch,
      startOffset: BigInt(state.startOffset),
      stateBatches: state.batches.map((b) => ({ firstOffset: BigInt(b.firstOffset), lastOffset: BigInt(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
    },
    VALUE_VERSION,
  );
  return { key: snapshotKey(key), value: vw.toBuffer() };
}
