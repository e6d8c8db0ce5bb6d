/**
 * Loading the partition logs of one log dir at start-up (Kafka's LogManager.loadLogs): without the
 * clean-shutdown marker every log is recovered from its recovery point (the segments after it are
 * rescanned), with it the logs open as they are; the checkpointed recovery points, high watermarks
 * and log start offsets are given to each log; `-delete` directories are removed, never loaded;
 * with the metadata's topic ids, a directory of a topic or partition not in the metadata, or whose
 * partition.metadata names another topic id, is renamed to `-delete` and removed. The marker is
 * removed once the dir has loaded. A disk failure while loading takes the dir offline (Kafka: the
 * dir is offline from the start). Samsa's deviation: a log that fails to load for another reason
 * is skipped with a log line (Kafka stops the broker).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { CLEAN_SHUTDOWN_FILE, isDeleteDirName, isFutureDirName, parsePartitionDirName } from './file-names.js';
import { unlinkIfExists } from './fs-util.js';
import type { LogConfig } from './log-config.js';
import type { LogDirFailures } from './log-dir-failures.js';
import { belongsToMetadata, logKey, readCheckpointMap, type DirCheckpoints, type ExpectedTopicId } from './log-dirs.js';
import { PartitionLog, type PartitionLogOpenOptions } from './partition-log.js';
import { isLogDirFailure } from './storage-error-log.js';

/** The log manager's state a dir's loading reads and fills. */
export interface LogDirLoad {
  dir: string;
  checkpoints: DirCheckpoints;
  /** Lists the dir's entries (none when listing it failed). */
  entries: () => fs.Dirent[];
  /** Loaded logs by logKey, and the dir of each. */
  logs: Map<string, PartitionLog>;
  dirOfLog: Map<string, string>;
  openOptions: () => PartitionLogOpenOptions;
  failures: LogDirFailures;
  logger: Logger;
}

/** Loads the partition directories of `load.dir`, pushing each log loaded onto `loaded`. */
export function loadLogDir(load: LogDirLoad, loaded: PartitionLog[], configFor: (topic: string) => LogConfig, expectedTopicId: ExpectedTopicId | undefined): void {
  const { dir, logs, dirOfLog, logger } = load;
  const cp = load.checkpoints;
  const marker = join(dir, CLEAN_SHUTDOWN_FILE);
  const clean = fs.existsSync(marker);
  const recoveryPoints = readCheckpointMap(cp.recoveryPoints, logger);
  const highWatermarks = readCheckpointMap(cp.highWatermarks, logger);
  const logStartOffsets = readCheckpointMap(cp.logStartOffsets, logger);
  const started = performance.now();
  let count = 0;
  // One config per topic, not per partition directory (resolving a topic's configs is the costly part).
  const configs = new Map<string, LogConfig>();
  const configOf = (topic: string): LogConfig => {
    let c = configs.get(topic);
    if (c === undefined) configs.set(topic, (c = configFor(topic)));
    return c;
  };
  for (const entry of load.entries()) {
    if (!entry.isDirectory()) continue;
    // A future replica left by a move that a stop interrupted: the move is not resumed (the
    // replica stays where it was loaded from; AlterReplicaLogDirs starts it again).
    if (isDeleteDirName(entry.name) || isFutureDirName(entry.name)) {
      fs.rm(join(dir, entry.name), { recursive: true, force: true }, () => {});
      continue;
    }
    const tp = parsePartitionDirName(entry.name);
    if (tp === undefined) continue;
    const key = logKey(tp.topic, tp.partition);
    if (logs.has(key)) continue;
    if (expectedTopicId !== undefined && !belongsToMetadata(dir, entry.name, tp.topic, tp.partition, expectedTopicId, logger)) continue;
    const opts: Parameters<typeof PartitionLog.open>[4] = { ...load.openOptions(), recover: !clean, cleanShutdown: clean, existingDir: true };
    const rp = recoveryPoints.get(entry.name);
    const hw = highWatermarks.get(entry.name);
    const lso = logStartOffsets.get(entry.name);
    if (rp !== undefined) opts.recoveryPoint = rp;
    if (hw !== undefined) opts.highWatermark = hw;
    if (lso !== undefined) opts.logStartOffset = lso;
    try {
      const plog = PartitionLog.open(join(dir, entry.name), tp.topic, tp.partition, configOf(tp.topic), opts);
      logs.set(key, plog);
      dirOfLog.set(key, dir);
      loaded.push(plog);
      count++;
    } catch (e) {
      if (isLogDirFailure(e)) {
        // The disk failed while loading (Kafka: the dir is offline from the start).
        load.failures.fail(dir, e);
        break;
      }
      logger.error(`failed to load log ${entry.name} in ${dir}; skipping it`, e);
    }
  }
  if (load.failures.isOffline(dir)) {
    for (let i = loaded.length - 1; i >= 0; i--) if ((loaded[i] as PartitionLog).isClosed) loaded.splice(i, 1);
    return;
  }
  if (clean) unlinkIfExists(marker);
  logger.debug(`loaded ${count} logs from ${dir} in ${(performance.now() - started).toFixed(0)} ms (${clean ? 'clean' : 'recovery'})`);
}
