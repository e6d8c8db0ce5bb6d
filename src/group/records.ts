/**
 * The records the group coordinator writes to `__consumer_offsets`, in Kafka's formats: the key
 * and value are each an int16 schema version followed by the generated struct. Key versions 0
 * and 1 are offset commits, 2 is group metadata, 3-8 KIP-848 consumer groups
 * (consumer/consumer-records.ts), 9-15 KIP-932 share groups (share/share-records.ts); later ones
 * are recognised and ignored. A null value is a tombstone.
 */
import type { CoordinatorRecord } from '../coordinator/runtime.js';
import { decodeConsumerRecord, isConsumerRecordKey, type DecodedConsumerRecord } from './consumer/consumer-records.js';
import { decodeShareRecord, isShareRecordKey, type DecodedShareRecord } from './share/share-records.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from '../protocol/generated/internal/offset-commit-key.js';
import { decodeOffsetCommitValue, encodeOffsetCommitValue } from '../protocol/generated/internal/offset-commit-value.js';
import { decodeGroupMetadataKey, encodeGroupMetadataKey } from '../protocol/generated/internal/group-metadata-key.js';
import {
  decodeGroupMetadataValue,
  encodeGroupMetadataValue,
  type GroupMetadataValue,
  type GroupMetadataValueInit,
} from '../protocol/generated/internal/group-metadata-value.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** OffsetCommitValue v1 carries an explicit expire timestamp; v3 has the leader epoch. */
export const OFFSET_COMMIT_VALUE_VERSION_EXPIRE = 1;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

/** A committed offset as the coordinator keeps it (Kafka's OffsetAndMetadata). */
export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Explicit expiry from OffsetCommit v2-v4 retention time, else null. */
  expireTimestamp: number | null;
}

export type { CoordinatorRecord } from '../coordinator/runtime.js';

export type DecodedCoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: CommittedOffset | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | { type: 'consumer'; group: string; record: DecodedConsumerRecord }
  | { type: 'share'; group: string; record: DecodedShareRecord }
  | { type: 'other'; keyVersion: number };

function versioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  body(w);
  return w.toBuffer();
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versioned(OFFSET_COMMIT_KEY_VERSION, (w) => encodeOffsetCommitKey(w, { group, topic, partition }, OFFSET_COMMIT_KEY_VERSION));
}

export function groupMetadataKey(group: string): Buffer {
  return versioned(GROUP_METADATA_KEY_VERSION, (w) => encodeGroupMetadataKey(w, { group }, GROUP_METADATA_KEY_VERSION));
}

export function offsetCommitRecord(group: string, topic: string, partition: number, o: CommittedOffset): CoordinatorRecord {
  const version = o.expireTimestamp !== null ? OFFSET_COMMIT_VALUE_VERSION_EXPIRE : OFFSET_COMMIT_VALUE_VERSION;
  const value = versioned(version, (w) =>
    encodeOffsetCommitValue(
      w,
      {
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        commitTimestamp: BigInt(o.commitTimestamp),
        expireTimestamp: BigInt(o.expireTimestamp ?? -1),
      },
      version,
    ),
  );
  return { key: offsetCommitKey(group, topic, partition), value };
}

export function offsetTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { key: offsetCommitKey(group, topic, partition), value: null };
}

export function groupMetadataRecord(group: string, value: GroupMetadataValueInit): CoordinatorRecord {
  return {
    key: groupMetadataKey(group),
    value: versioned(GROUP_METADATA_VALUE_VERSION, (w) => encodeGroupMetadataValue(w, value, GROUP_METADATA_VALUE_VERSION)),
  };
}

export function groupTombstone(group: string): CoordinatorRecord {
  return { key: groupMetadataKey(group), value: null };
}

/** Decodes one record read back from `__consumer_offsets`. Throws on malformed data. */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): DecodedCoordinatorRecord {
  const kr = new Reader(key);
  const keyVersion = kr.readInt16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeOffsetCommitKey(kr, keyVersion);
    if (value === null) return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    const vr = new Reader(value);
    const valueVersion = vr.readInt16();
    const v = decodeOffsetCommitValue(vr, valueVersion);
    return {
      type: 'offset',
      group: k.group,
      topic: k.topic,
      partition: k.partition,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: Number(v.commitTimestamp),
        expireTimestamp: v.expireTimestamp >= 0n ? Number(v.expireTimestamp) : null,
      },
    };
  }
  if (keyVersion === 2) {
    const k = decodeGroupMetadataKey(kr, keyVersion);
    if (value === null) return { type: 'group', group: k.group, value: null };
    const vr = new Reader(value);
    const valueVersion = vr.readInt16();
    return { type: 'group', group: k.group, value: decodeGroupMetadataValue(vr, valueVersion) };
  }
  if (isConsumerRecordKey(keyVersion)) {
    const record = decodeConsumerRecord(keyVersion, kr, value);
    return { type: 'consumer', group: record.group, record };
  }
  if (isShareRecordKey(keyVersion)) {
    const record = decodeShareRecord(keyVersion, kr, value);
    return { type: 'share', group: record.group, record };
  }
  return { type: 'other', keyVersion };
}
