/**
 * Owns every PartitionLog across the configured log directories: loading (with recovery after an
 * unclean shutdown), creation, deletion, the root checkpoint files, the clean-shutdown marker and
 * the background retention / flush / checkpoint / log cleaner tasks.
 * This file holds loading, creating, deleting and moving logs, and the log dirs' usage; the shared
 * state is in log-manager-base.ts, the background tasks, checkpoints and shutdown in
 * log-manager-tasks.ts.
 * Kafka's rule (LogManager): a new log goes to the online log dir with the fewest partitions; a
 * deleted log's directory is renamed `<topic>-<p>.<uuid>-delete` first and removed later, so that
 * it is never loaded again.
 * Samsa's deviations: AlterReplicaLogDirs without a throttle moves the closed directory in one
 * step (see moveLog) instead of filling a future replica in the background.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { LogCleanerOptions } from './cleaner/log-cleaner.js';
import { partitionDirName } from './file-names.js';
import { fsyncDir } from './fs-util.js';
import type { LogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import { loadLogDir } from './log-loading.js';
import { writePartitionMetadata } from './partition-metadata.js';
import { isLogDirFailure } from './storage-error-log.js';
import { LogDirFailureError } from '../common/errors.js';
import { type DeletedLogDir, type ExpectedTopicId, logKey, moveDir, removeDeletedDirs, removeQuietly, renameForDeletion } from './log-dirs.js';
import type { LogDirUsage } from './log-manager-options.js';
import { LogManagerTasks } from './log-manager-tasks.js';

export type { DeletedLogDir, ExpectedTopicId } from './log-dirs.js';
export type { LogDirUsage, LogManagerOptions } from './log-manager-options.js';


export class LogManager extends LogManagerTasks {
  /** Changes log.cleaner.* settings at runtime (also before start). */
  configureCleaner(opts: Partial<LogCleanerOptions>): void {
    this.cleaner.reconfigure(opts);
  }

  /**
   * Loads every partition directory (log-loading.ts). Without a clean-shutdown marker, segments after each
   * partition's recovery point are rescanned. The marker is removed once loading is done.
   * `-delete` directories are removed, never loaded. With `expectedTopicId` (the metadata), a
   * directory whose topic or partition is not in the metadata, or whose partition.metadata names
   * another topic id (a deleted topic's leftover), is renamed to `-delete` and removed instead of
   * loaded; a directory without partition.metadata is adopted by the topic of its name.
   */
  loadAll(configFor: (topic: string) => LogConfig, expectedTopicId?: ExpectedTopicId): PartitionLog[] {
    const loaded: PartitionLog[] = [];
    for (const dir of this.onlineDirs) {
      const load = { dir, checkpoints: this.dirCheckpoints(dir), entries: () => this.listDirOrFail(dir), logs: this.logs, dirOfLog: this.dirOfLog, openOptions: () => this.logOpenOptions(), failures: this.dirFailures, logger: this.logger };
      loadLogDir(load, loaded, configFor, expectedTopicId);
    }
    return loaded;
  }

  /** The entries of a log dir; none when reading it fails for a disk failure (the dir goes offline). */
  private listDirOrFail(dir: string): fs.Dirent[] {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (!isLogDirFailure(e)) throw e;
      this.dirFailures.fail(dir, e);
      return [];
    }
  }

  /**
   * Creates a partition log in the log directory holding the fewest partitions; with `syncDir` false
   * the caller batches the directory fsync (syncNewLogDirs). With `topicId`, the directory's
   * partition.metadata records it before any segment is created. When making the directory or its
   * files fails, the directory is removed (if this call made it) before the error is rethrown.
   */
  createLog(topic: string, partition: number, config: LogConfig, syncDir = true, topicId?: string): PartitionLog {
    const key = logKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing !== undefined) return existing;
    const dir = this.leastLoadedDir();
    const path = join(dir, partitionDirName(topic, partition));
    const existed = fs.existsSync(path);
    let plog: PartitionLog;
    try {
      if (topicId !== undefined) {
        fs.mkdirSync(path, { recursive: true });
        writePartitionMetadata(path, topicId);
      }
      plog = PartitionLog.open(path, topic, partition, config, { ...this.logOpenOptions() });
    } catch (e) {
      // Only what this call made goes (never a file or directory that was in the way).
      if (!existed) removeQuietly(path, this.logger);
      throw e;
    }
    if (syncDir) fsyncDir(dir);
    else this.unsyncedDirs.add(dir);
    this.logs.set(key, plog);
    this.dirOfLog.set(key, dir);
    return plog;
  }

  /**
   * Undoes createLog for a topic whose creation failed (nothing was ever written to it): closes the
   * log and removes its directory at once. A missing log is a no-op.
   */
  abandonNewLog(topic: string, partition: number): void {
    const key = logKey(topic, partition);
    const plog = this.logs.get(key);
    if (plog === undefined) return;
    this.logs.delete(key);
    this.dirOfLog.delete(key);
    try {
      plog.close();
    } catch {
      // removed below anyway
    }
    removeQuietly(plog.dir, this.logger);
  }

  /**
   * Start-up: removes loaded logs that `keep` rejects (directories of topics that are not in the
   * metadata, e.g. left by a crash between a topic's directory creation and its metadata write).
   * Returns how many were removed.
   */
  removeStrayLogs(keep: (topic: string, partition: number) => boolean): number {
    let removed = 0;
    for (const plog of [...this.logs.values()]) {
      if (keep(plog.topic, plog.partition)) continue;
      this.logger.warn(`removing stray log ${plog.dir}: its topic is not in the metadata`);
      this.deleteLog(plog.topic, plog.partition);
      removed++;
    }
    return removed;
  }

  /** Closes the log, renames its directory to `<topic>-<p>.<uuid>-delete` and removes it in the background. */
  deleteLog(topic: string, partition: number): void {
    this.removeDeleted(this.markForDeletion([{ topic, partition }]));
  }

  /**
   * The first step of deleting partitions (Kafka's asyncDelete): closes their logs and renames
   * their directories to `<topic>-<p>.<uuid>-delete`, fsyncing the parent directories, so that
   * after a crash from here on they are never loaded again. The caller then removes the topic
   * from the metadata and calls removeDeleted.
   */
  markForDeletion(partitions: readonly { topic: string; partition: number }[]): DeletedLogDir[] {
    const out: DeletedLogDir[] = [];
    const parents = new Set<string>();
    for (const { topic, partition } of partitions) {
      const key = logKey(topic, partition);
      const plog = this.logs.get(key);
      if (plog === undefined) continue;
      this.logs.delete(key);
      const dir = this.dirOfLog.get(key) as string;
      this.dirOfLog.delete(key);
      this.cleaner.forget(plog);
      try {
        plog.close();
      } catch (e) {
        this.logger.warn(`error closing deleted log ${topic}-${partition}`, e);
      }
      out.push(renameForDeletion(dir, plog.dir, topic, partition, this.logger));
      parents.add(dir);
    }
    for (const dir of parents) fsyncDir(dir);
    for (const dir of parents) this.safely(`checkpoint of ${dir}`, () => this.checkpointDir(dir), dir);
    return out;
  }

  /** Removes directories marked by markForDeletion, off the event loop. */
  removeDeleted(dirs: readonly DeletedLogDir[]): void {
    removeDeletedDirs(dirs, this.logger);
  }

  /**
   * Moves a partition's log to another configured log directory (AlterReplicaLogDirs) and returns
   * the reopened log; the caller must stop using the old PartitionLog. Kafka copies into a future
   * replica in the background and swaps; a single node moves the closed directory in one step
   * (a rename, or a copy then delete across filesystems), so the move is done when this returns.
   * `place` moves the closed directory to the target (a throttled move passes one that completes
   * its future replica and renames that instead).
   */
  moveLog(topic: string, partition: number, destDir: string, config: LogConfig, place: (source: string, target: string) => void = moveDir): PartitionLog {
    const key = logKey(topic, partition);
    const plog = this.logs.get(key);
    const from = this.dirOfLog.get(key);
    if (plog === undefined || from === undefined) throw new Error(`no log for ${topic}-${partition}`);
    if (!this.logDirs.includes(destDir)) throw new Error(`${destDir} is not a configured log directory`);
    if (this.dirFailures.isOffline(destDir)) throw new LogDirFailureError(destDir, `log directory ${destDir} is offline`);
    if (from === destDir) return plog;
    const state = { highWatermark: plog.highWatermark, logStartOffset: plog.logStartOffset, recoveryPoint: plog.logEndOffset };
    this.cleaner.forget(plog);
    plog.flush();
    plog.close();
    const target = join(destDir, partitionDirName(topic, partition));
    let moved: PartitionLog;
    try {
      fs.rmSync(target, { recursive: true, force: true });
      place(plog.dir, target);
      fsyncDir(destDir);
      fsyncDir(from);
      moved = PartitionLog.open(target, topic, partition, config, { ...this.logOpenOptions(), ...state });
    } catch (e) {
      // Nothing moved (or the copy failed): keep serving the partition from where it was.
      if (fs.existsSync(plog.dir)) {
        this.logs.set(key, PartitionLog.open(plog.dir, topic, partition, config, { ...this.logOpenOptions(), ...state }));
        fs.rmSync(target, { recursive: true, force: true });
      }
      throw e;
    }
    this.logs.set(key, moved);
    this.dirOfLog.set(key, destDir);
    this.checkpointDir(from);
    this.checkpointDir(destDir);
    return moved;
  }

  /** Per log dir: partitions with their sizes, and the filesystem's capacity (DescribeLogDirs). */
  logDirUsage(): LogDirUsage[] {
    return this.logDirs.map((dir) => {
      const usage: LogDirUsage = { dir, offline: this.dirFailures.isOffline(dir), partitions: [] };
      if (usage.offline) return usage;
      for (const [key, plog] of this.logs) {
        if (this.dirOfLog.get(key) === dir) usage.partitions.push({ topic: plog.topic, partition: plog.partition, size: plog.size() });
      }
      try {
        const st = fs.statfsSync(dir);
        usage.totalBytes = st.blocks * st.bsize;
        usage.usableBytes = st.bavail * st.bsize;
      } catch {
        // capacity unknown
      }
      return usage;
    });
  }

  /** fsyncs the log dirs that got new partition directories through createLog(..., false). */
  syncNewLogDirs(): void {
    for (const d of this.unsyncedDirs) fsyncDir(d);
    this.unsyncedDirs.clear();
  }

  private leastLoadedDir(): string {
    const online = this.onlineDirs;
    if (online.length === 0) throw new LogDirFailureError(this.logDirs[0] as string, `every log directory has failed (${this.logDirs.join(', ')})`);
    if (online.length === 1) return online[0] as string;
    const counts = new Map<string, number>(online.map((d) => [d, 0]));
    for (const d of this.dirOfLog.values()) if (counts.has(d)) counts.set(d, (counts.get(d) as number) + 1);
    let best = online[0] as string;
    for (const d of online) if ((counts.get(d) as number) < (counts.get(best) as number)) best = d;
    return best;
  }
}
