/**
 * The on-disk side of the log directories that LogManager (log-manager.ts) owns: the start-up
 * check of a partition directory against the metadata (a deleted topic's leftover is renamed to
 * `-delete` and removed), Kafka's two-step deletion (rename to `<topic>-<p>.<uuid>-delete`, then
 * remove in the background; a `-delete` directory is never loaded again), moving a directory
 * across log directories, and the per-directory checkpoint files.
 *
 * Kafka's rule (LogManager.loadLogs / asyncDelete): a `-delete` directory is removed at start-up,
 * never loaded. Samsa also deletes at start-up, with the metadata at hand, a directory whose topic
 * or partition is not in it, or whose partition.metadata names another topic id (a deleted topic's
 * leftover); a directory without partition.metadata is adopted by the topic of its name.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import type { OffsetCheckpointFile, TopicPartitionOffset } from './checkpoint-file.js';
import { DELETE_DIR_SUFFIX, partitionDirName } from './file-names.js';
import type { BackgroundFileWriter } from './background-file-writer.js';
import { fsyncDir } from './fs-util.js';
import { PartitionMetadataError, readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js';

/**
 * What the metadata says about a partition directory found at start-up: the topic id it must
 * carry, or null when the topic (or that partition of it) does not exist.
 */
export type ExpectedTopicId = (topic: string, partition: number) => string | null;

/** A partition directory renamed to `-delete` (removed in the background by removeDeleted). */
export interface DeletedLogDir {
  path: string;
}

export interface DirCheckpoints {
  recoveryPoints: OffsetCheckpointFile;
  highWatermarks: OffsetCheckpointFile;
  logStartOffsets: OffsetCheckpointFile;
  /** Last content written per file, to skip rewriting unchanged checkpoints. */
  written: Map<string, string>;
  /** The periodic checkpoints' background writers per file (background-file-writer.ts), made on first use. */
  writers: Map<string, BackgroundFileWriter>;
}

/** Whether `<dir>/<name>` is the log of the metadata's topic; if not it is renamed to `-delete` and removed. */
export function belongsToMetadata(dir: string, name: string, topic: string, partition: number, expectedTopicId: ExpectedTopicId, logger: Logger): boolean {
  const path = join(dir, name);
  const expected = expectedTopicId(topic, partition);
  let recorded: string | undefined;
  try {
    recorded = readPartitionMetadata(path);
  } catch (e) {
    if (!(e instanceof PartitionMetadataError)) throw e;
    logger.warn(`ignoring unreadable ${e.file}`, e);
  }
  let reason: string | null = null;
  if (expected === null) reason = `topic ${topic} partition ${partition} is not in the metadata`;
  else if (recorded !== undefined && recorded !== expected) reason = `it holds topic id ${recorded}, but topic ${topic} has id ${expected} (a deleted topic's log)`;
  if (reason === null) {
    if (recorded === undefined && expected !== null) {
      try {
        writePartitionMetadata(path, expected);
        logger.info(`Recorded topic id ${expected} in ${path} (directory without partition.metadata)`);
      } catch (e) {
        logger.warn(`cannot write partition.metadata in ${path}; loading it anyway`, e);
      }
    }
    return true;
  }
  logger.warn(`Not loading log directory ${path}: ${reason}; deleting it`);
  const doomed = renameForDeletion(dir, path, topic, partition, logger);
  fsyncDir(dir);
  removeDeletedDirs([doomed], logger);
  return false;
}

export function renameForDeletion(dir: string, path: string, topic: string, partition: number, logger: Logger): DeletedLogDir {
  const target = join(dir, `${partitionDirName(topic, partition)}.${randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`);
  try {
    fs.renameSync(path, target);
    return { path: target };
  } catch (e) {
    logger.warn(`cannot rename ${path} for deletion; removing it in place`, e);
    return { path };
  }
}

/** Removes directories marked by markForDeletion, off the event loop. */
export function removeDeletedDirs(dirs: readonly DeletedLogDir[], logger: Logger): void {
  for (const d of dirs) {
    fs.rm(d.path, { recursive: true, force: true }, (err) => {
      if (err !== null) logger.warn(`cannot remove deleted log directory ${d.path} (removed at the next start)`, err);
    });
  }
}

/** Replaces a checkpoint now unless it holds `entries` already; drops its background write, if any. */
export function writeIfChanged(cp: DirCheckpoints, file: OffsetCheckpointFile, entries: TopicPartitionOffset[]): void {
  const content = file.render(entries);
  const writer = cp.writers.get(file.path);
  if (cp.written.get(file.path) === content && (writer === undefined || writer.unsettled === null)) return;
  if (writer !== undefined) writer.writeSync(content);
  else file.writeRendered(content);
  cp.written.set(file.path, content);
}

/** Replaces a checkpoint off the event loop unless it holds (or is about to hold) `entries` already. */
export function writeInBackgroundIfChanged(cp: DirCheckpoints, file: OffsetCheckpointFile, entries: TopicPartitionOffset[], writer: BackgroundFileWriter): void {
  writeRenderedInBackgroundIfChanged(cp, file, file.render(entries), writer);
}

/** writeInBackgroundIfChanged with the content rendered already. */
export function writeRenderedInBackgroundIfChanged(cp: DirCheckpoints, file: OffsetCheckpointFile, content: string, writer: BackgroundFileWriter): void {
  const unsettled = writer.unsettled;
  if (unsettled === content || (unsettled === null && cp.written.get(file.path) === content)) return;
  writer.write(content);
}

export function removeQuietly(path: string, logger: Logger): void {
  try {
    fs.rmSync(path, { recursive: true, force: true });
  } catch (e) {
    logger.warn(`cannot remove ${path}`, e);
  }
}

/** rename(2), or a recursive copy then delete when the directories are on different filesystems. */
export function moveDir(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && e.code === 'EXDEV')) throw e;
    fs.cpSync(from, to, { recursive: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

export function logKey(topic: string, partition: number): string {
  return partitionDirName(topic, partition);
}

/** A missing file gives an empty map; a corrupt one is reported and ignored (recovery then scans more). */
export function readCheckpointMap(file: OffsetCheckpointFile, logger: Logger): Map<string, number> {
  try {
    return file.readMap();
  } catch (e) {
    logger.warn(`ignoring unreadable checkpoint ${file.path}`, e);
    return new Map();
  }
}
