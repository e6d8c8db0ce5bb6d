/**
 * The broker's log dirs at start-up (Kafka's LogManager lock and meta.properties checks): every
 * dir is created and locked before anything reads it, a dir whose disk fails from the start is
 * offline (offline-log-dirs.ts) and start-up fails only when every dir failed; meta.properties
 * records the node id and the cluster id, and a stored node id that differs from node.id stops the
 * broker. Samsa's deviations: a stale lock (its holder no longer running) is taken over and logged,
 * and a dir without meta.properties gets one (no `samsa format` step is required). The log manager
 * over those dirs takes its defaults from the broker's log.* configs (Kafka's topic config
 * defaults) and checks the flush interval every min(log.flush.interval.ms, 1 s).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogDirFailureError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { BufferPool } from '../common/buffer-pool.js';
import type { Scheduler } from '../common/scheduler.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { LogManager } from '../storage/log-manager.js';
import type { SegmentResourceCache } from '../storage/segment-cache.js';
import { TopicConfigs } from './topic-configs.js';
import { lockLogDir, type DirLock } from '../storage/dir-lock.js';
import { eachUsableDir } from './offline-log-dirs.js';

/**
 * Creates and locks each of `dirs` (each lock pushed onto `locks` as it is taken, for the broker to
 * release on stop); returns the dirs that failed with their errors. Throws when every dir failed.
 */
export function prepareLogDirs(dirs: readonly string[], locks: DirLock[], logger: Logger): Map<string, unknown> {
  // A dir whose disk fails from the start is offline (offline-log-dirs.ts); the metadata dir must work.
  const failedDirs = new Map<string, unknown>();
  eachUsableDir(dirs, failedDirs, (d) => mkdirSync(d, { recursive: true }));
  // Kafka's order: lock every log dir before reading it, then bind (a port conflict fails
  // before any data is touched); requests wait for the start-up to finish (see StartupGate).
  eachUsableDir(dirs, failedDirs, (d) => {
    const { lock, tookOverFrom } = lockLogDir(d, logger);
    locks.push(lock);
    if (tookOverFrom !== null) logger.info(`Took over the stale lock of ${d} (held by ${tookOverFrom}, no longer running)`);
  });
  if (failedDirs.size === dirs.length) throw new LogDirFailureError(dirs[0] as string, `every log dir failed: ${[...failedDirs].map(([d, e]) => `${d} (${e instanceof Error ? e.message : String(e)})`).join(', ')}`);
  return failedDirs;
}

/** Checks the node id stored in `dir`'s meta.properties, or writes the file when there is none. */
export function writeMetaProperties(dir: string, nodeId: number, clusterId: string): void {
  const path = join(dir, 'meta.properties');
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const m = /^node\.id=(\d+)$/m.exec(text);
    if (m && Number(m[1]) !== nodeId) {
      throw new Error(`Stored node id ${m[1]} in ${path} doesn't match the configured node.id ${nodeId}`);
    }
    return;
  }
  writeFileSync(path, `#\n#${new Date().toString()}\nnode.id=${nodeId}\nversion=1\ncluster.id=${clusterId}\n`);
}

/** The log manager over `dirs` (those in `failedDirs` offline), its defaults the broker's log.* configs. */
export function openLogManager(config: BrokerConfig, deps: { dirs: string[]; failedDirs: Map<string, unknown>; scheduler: Scheduler; cache: SegmentResourceCache; readPool: BufferPool; logger: Logger; onFlush?: (ms: number) => void }): LogManager {
  return new LogManager({
    logDirs: deps.dirs,
    defaultConfig: new TopicConfigs(config).logConfigFor({}),
    scheduler: deps.scheduler,
    cache: deps.cache,
    readPool: deps.readPool,
    retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
    checkpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
    flushCheckIntervalMs: Math.min(config.flushIntervalMs, 1000),
    logger: deps.logger.child('log-manager'),
    failedDirs: deps.failedDirs,
    ...(deps.onFlush === undefined ? {} : { onFlush: deps.onFlush }),
  });
}
