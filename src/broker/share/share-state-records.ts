/**
 * The records of the share coordinator (share-state-store.ts) in Kafka's formats:
 * ShareSnapshot (key version 0, value version 0: the whole state of a share-partition) and
 * ShareUpdate (key version 1, value version 0: the batches a write changed and the start offset);
 * a snapshot key with a null value is a tombstone.
 */
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { encodeShareSnapshotKey } from '../../protocol/generated/internal/share-snapshot-key.js';
import { encodeShareSnapshotValue } from '../../protocol/generated/internal/share-snapshot-value.js';
import { encodeShareUpdateKey } from '../../protocol/generated/internal/share-update-key.js';
import { encodeShareUpdateValue } from '../../protocol/generated/internal/share-update-value.js';
import type { PersistedShareState } from './share-partition.js';
import type { StateBatch } from './share-state-merge.js';

export const SNAPSHOT_KEY_VERSION = 0;
export const UPDATE_KEY_VERSION = 1;
const VALUE_VERSION = 0;

/** The coordinator key of a share-partition (Kafka's SharePartitionKey). */
export interface ShareStateKey {
  groupId: string;
  topicId: string;
  partition: number;
}

/** A ShareSnapshot record (Kafka's key version 0, value version 0). */
export function snapshotKey(key: ShareStateKey): Buffer {
  const kw = new Writer(64);
  kw.writeInt16(SNAPSHOT_KEY_VERSION);
  encodeShareSnapshotKey(kw, { groupId: key.groupId, topicId: key.topicId, partition: key.partition }, SNAPSHOT_KEY_VERSION);
  return kw.toBuffer();
}

export function snapshotRecord(key: ShareStateKey, state: PersistedShareState, snapshotEpoch: number, leaderEpoch: number, stateEpoch = 0): CoordinatorRecord {
  const vw = new Writer(64 + state.batches.length * 24);
  vw.writeInt16(VALUE_VERSION);
  encodeShareSnapshotValue(
    vw,
    {
      snapshotEpoch,
      stateEpoch,
      leaderEpoch,
      startOffset: BigInt(state.startOffset),
      stateBatches: state.batches.map((b) => ({ firstOffset: BigInt(b.firstOffset), lastOffset: BigInt(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
    },
    VALUE_VERSION,
  );
  return { key: snapshotKey(key), value: vw.toBuffer() };
}

/** A ShareUpdate record (Kafka's key version 1, value version 0): the changed batches and the start offset. */
export function updateRecord(key: ShareStateKey, update: { startOffset: number; batches: readonly StateBatch[] }, snapshotEpoch: number, leaderEpoch: number): CoordinatorRecord {
  const kw = new Writer(64);
  kw.writeInt16(UPDATE_KEY_VERSION);
  encodeShareUpdateKey(kw, { groupId: key.groupId, topicId: key.topicId, partition: key.partition }, UPDATE_KEY_VERSION);
  const vw = new Writer(48 + update.batches.length * 24);
  vw.writeInt16(VALUE_VERSION);
  encodeShareUpdateValue(
    vw,
    {
      snapshotEpoch,
      leaderEpoch,
      startOffset: BigInt(update.startOffset),
      stateBatches: update.batches.map((b) => ({ firstOffset: BigInt(b.firstOffset), lastOffset: BigInt(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
    },
    VALUE_VERSION,
  );
  return { key: kw.toBuffer(), value: vw.toBuffer() };
}
