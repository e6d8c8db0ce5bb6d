/** Kafka-compatible file and directory naming inside a log directory. */
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
export const TMP_SUFFIX = '.tmp';
export const DELETE_DIR_SUFFIX = '-delete';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

/** 20-digit zero-padded offset, the stem of every segment file. */
export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function logFile(dir: string, baseOffset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(baseOffset) + LOG_SUFFIX + suffix);
}

export function offsetIndexFile(dir: string, baseOffset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(baseOffset) + INDEX_SUFFIX + suffix);
}

export function timeIndexFile(dir: string, baseOffset: number, suffix = ''): string {
  return join(dir, filenamePrefixFromOffset(baseOffset) + TIME_INDEX_SUFFIX + suffix);
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

/** Parses `00000000000000000042.log` etc.; undefined for anything else. */
export function parseSegmentFileName(name: string): { baseOffset: number; kind: 'log' | 'index' | 'timeindex' } | undefined {
  const m = SEGMENT_FILE.exec(name);
  if (m === null) return undefined;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return undefined;
  return { baseOffset, kind: m[2] as 'log' | 'index' | 'timeindex' };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;

/** Parses `<topic>-<partition>`; undefined for other names (including `*-delete`, `*-future`, `*-stray`). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const m = PARTITION_DIR.exec(name);
  if (m === null) return undefined;
  const topic = m[1] as string;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition) || partition > 0x7fffffff) return undefined;
  return { topic, partition };
}

export function isDeleteDirName(name: string): boolean {
  return name.endsWith(DELETE_DIR_SUFFIX) && /\.[0-9a-f]{32}-delete$/.test(name);
}

/** A future replica being copied in by AlterReplicaLogDirs: `<topic>-<p>.<32 hex>-future` (Kafka's name). */
export const FUTURE_DIR_SUFFIX = '-future';

export function isFutureDirName(name: string): boolean {
  return /\.[0-9a-f]{32}-future$/.test(name);
}
