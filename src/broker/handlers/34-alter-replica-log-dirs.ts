/**
 * AlterReplicaLogDirs (key 34), v1-2 advertised (v0 still decodes; Kafka 4 dropped it).
 * Version notes: v2+ flexible. Moves partition replicas between the configured log.dirs. Kafka's
 * rule per partition: a path that is not one of log.dirs (absolute) -> LOG_DIR_NOT_FOUND; a topic
 * name too long for the future log directory's name -> INVALID_TOPIC_EXCEPTION; a partition this
 * broker does not host -> REPLICA_NOT_AVAILABLE; a move that fails on disk -> KAFKA_STORAGE_ERROR;
 * a replica already in the directory is left alone (and a move of it in progress is cancelled).
 * A partition named twice goes to the last path naming it. Kafka fills a "-future" replica in the
 * background, at most replica.alter.log.dirs.io.max.bytes.per.second (dynamic broker config), and
 * swaps when it has caught up; the answer comes once the future replica exists.
 * Samsa: with that config set, the same (storage/future-replica-copy.ts: the future replica is a
 * paced copy of the current one's files, the partition serving meanwhile; DescribeLogDirs shows the
 * partition in its current dir until the swap, and a request to another dir replaces a move in
 * progress). Unset (the default), a Samsa node moves the closed directory at once (a rename on one
 * filesystem), so the move is complete when the answer is sent and DescribeLogDirs shows it.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode } from '../../common/error-codes.js';
import type { Logger } from '../../common/logger.js';
import {
  decodeAlterReplicaLogDirsRequest,
  encodeAlterReplicaLogDirsResponse,
  type AlterReplicaLogDirsRequest,
  type AlterReplicaLogDirsResponseInit,
} from '../../protocol/generated/messages/alter-replica-log-dirs.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Scheduler } from '../../common/scheduler.js';
import { fsyncDir } from '../../storage/fs-util.js';
import { FutureReplicaCopy, type FutureReplica } from '../../storage/future-replica-copy.js';
import { FUTURE_DIR_SUFFIX } from '../../storage/file-names.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { ReplicaManager } from '../replica-manager.js';

/** Longest file name; Kafka checks the future directory's `<topic>-<p>.<32 hex>-future`. */
const MAX_DIR_NAME = 255;
const FUTURE_SUFFIX_LENGTH = 1 + 32 + '-future'.length;

/** The broker config bounding a throttled move's copy (bytes/s). */
export const ALTER_LOG_DIRS_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second';

/** Moves in progress (throttled), by partition (the log manager's futureReplicas). */
type Moves = Map<string, FutureReplica>;

/**
 * Moves one hosted partition to `dest` with the log closed, then serves it from there: `place`
 * puts the closed directory at its new path (a rename by default). Returns the error code.
 */
function swapReplica(deps: AlterReplicaLogDirsDeps, topic: string, index: number, dest: string, place?: (source: string, target: string) => void): number {
  const partition = deps.replicas.partition(topic, index);
  const from = deps.logs.logDirOf(topic, index);
  if (partition?.offline === true) return ErrorCode.KAFKA_STORAGE_ERROR; // its log dir failed
  if (!partition || from === undefined) return ErrorCode.REPLICA_NOT_AVAILABLE;
  if (from === dest) return ErrorCode.NONE;
  const old = partition.log;
  const hooks = old.cleanerHooks;
  try {
    // The producer state reloads from this snapshot in the new place.
    partition.producers.takeSnapshot(old.logEndOffset, true);
    deps.logs.moveLog(topic, index, dest, old.config, place);
    return ErrorCode.NONE;
  } catch (e) {
    deps.logger.warn(`Unable to alter log dir of ${topic}-${index} to ${dest}`, e);
    return ErrorCode.KAFKA_STORAGE_ERROR;
  } finally {
    const now = deps.logs.getLog(topic, index);
    if (now !== undefined && now !== old) {
      now.cleanerHooks = hooks;
      partition.relocated(now);
    }
  }
}

/** Starts a throttled move: a future replica in `dest` filled in the background, then swapped in. */
function startMove(deps: AlterReplicaLogDirsDeps, moves: Moves, topic: string, index: number, dest: string): number {
  const key = `${topic}-${index}`;
  const partition = deps.replicas.partition(topic, index);
  if (partition?.offline === true) return ErrorCode.KAFKA_STORAGE_ERROR;
  if (!partition || deps.logs.logDirOf(topic, index) === undefined) return ErrorCode.REPLICA_NOT_AVAILABLE;
  const source = partition.log.dir;
  const copy = new FutureReplicaCopy(source, join(dest, `${key}.${randomUUID().replace(/-/g, '')}${FUTURE_DIR_SUFFIX}`), {
    rate: () => deps.config.int(ALTER_LOG_DIRS_RATE),
    sleep: (ms) => new Promise((r) => deps.scheduler.schedule(ms, r)),
    wanted: () => !deps.logs.isShutDown && deps.replicas.partition(topic, index)?.log.dir === source,
  });
  moves.set(key, { topic, partition: index, dest, copy });
  const started = performance.now();
  const current = (): boolean => moves.get(key)?.copy === copy && !copy.isCancelled && deps.replicas.partition(topic, index)?.log.dir === source;
  void copy
    .run()
    .then((completed) => {
      if (!completed || !current()) return copy.discard();
      const code = swapReplica(deps, topic, index, dest, (from, target) => {
        copy.finish();
        fs.renameSync(copy.future, target);
        fsyncDir(dest);
        fs.rmSync(from, { recursive: true, force: true });
      });
      if (code !== ErrorCode.NONE) copy.discard();
      else deps.logger.info(`moved ${key} to log dir ${dest}: ${copy.bytes} bytes copied in ${Math.round(performance.now() - started)} ms (${ALTER_LOG_DIRS_RATE} ${deps.config.int(ALTER_LOG_DIRS_RATE)})`);
    })
    .catch((e: unknown) => {
      deps.logger.warn(`Unable to alter log dir of ${key} to ${dest}`, e);
      copy.discard();
    })
    .finally(() => {
      if (moves.get(key)?.copy === copy) moves.delete(key);
    });
  return ErrorCode.NONE;
}

/** One partition's request: cancel, move at once, or start a throttled move. */
function moveReplica(deps: AlterReplicaLogDirsDeps, moves: Moves, topic: string, index: number, dest: string): number {
  const key = `${topic}-${index}`;
  const inProgress = moves.get(key);
  if (inProgress?.dest === dest && deps.config.int(ALTER_LOG_DIRS_RATE) < Number.MAX_SAFE_INTEGER) return ErrorCode.NONE;
  if (inProgress !== undefined) {
    inProgress.copy.cancel();
    moves.delete(key);
  }
  if (deps.logs.logDirOf(topic, index) === dest || deps.config.int(ALTER_LOG_DIRS_RATE) >= Number.MAX_SAFE_INTEGER) return swapReplica(deps, topic, index, dest);
  return startMove(deps, moves, topic, index, dest);
}

/** What AlterReplicaLogDirs uses: the partitions and the log manager (moves). */
export interface AlterReplicaLogDirsDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
  readonly logs: Pick<LogManager, 'logDirs' | 'logDirOf' | 'moveLog' | 'getLog' | 'isShutDown' | 'futureReplicas'>;
  readonly logger: Logger;
  readonly config: Pick<BrokerConfig, 'int'>;
  readonly scheduler: Pick<Scheduler, 'schedule'>;
}

export function alterReplicaLogDirsHandler(deps: AlterReplicaLogDirsDeps): ApiHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponseInit> {
  return defineHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponseInit>({
    apiKey: 34,
    name: 'AlterReplicaLogDirs',
    minVersion: 1,
    maxVersion: 2,
    decode: decodeAlterReplicaLogDirsRequest,
    encode: encodeAlterReplicaLogDirsResponse,
    handle(ctx, req) {
      const moves: Moves = deps.logs.futureReplicas;
      const configured = new Map(deps.logs.logDirs.map((d) => [resolve(d), d]));
      // topic -> partition -> requested path (the last one naming it wins, as Kafka's map)
      const wanted = new Map<string, Map<number, string>>();
      for (const d of req.dirs) {
        for (const t of d.topics) {
          let parts = wanted.get(t.name);
          if (!parts) wanted.set(t.name, (parts = new Map()));
          for (const p of t.partitions) parts.set(p, d.path);
        }
      }
      const results = [...wanted].map(([topicName, parts]) => ({
        topicName,
        partitions: [...parts].map(([partitionIndex, path]) => {
          let errorCode: number;
          const dest = configured.get(resolve(path));
          if (`${topicName}-${partitionIndex}`.length + FUTURE_SUFFIX_LENGTH > MAX_DIR_NAME) errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
          else if (dest === undefined) errorCode = ErrorCode.LOG_DIR_NOT_FOUND;
          else errorCode = moveReplica(deps, moves, topicName, partitionIndex, dest);
          return { partitionIndex, errorCode };
        }),
      }));
      return { throttleTimeMs: 0, results };
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        results: req.dirs.flatMap((d) => d.topics.map((t) => ({ topicName: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode })) }))),
      };
    },
  });
}
