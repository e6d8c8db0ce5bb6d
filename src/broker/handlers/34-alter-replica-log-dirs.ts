/**
 * AlterReplicaLogDirs (key 34), v1-2 advertised (v0 still decodes; Kafka 4 dropped it).
 * Version notes: v2+ flexible. Moves partition replicas between the configured log.dirs. Kafka's
 * rule per partition: a path that is not one of log.dirs (absolute) -> LOG_DIR_NOT_FOUND; a topic
 * name too long for the future log directory's name -> INVALID_TOPIC_EXCEPTION; a partition this
 * broker does not host -> REPLICA_NOT_AVAILABLE; a move that fails on disk -> KAFKA_STORAGE_ERROR;
 * a replica already in the directory is left alone. A partition named twice goes to the last
 * path naming it. Deviation: Kafka copies into a "-future" replica in the background and swaps
 * when it has caught up; a Samsa node moves the closed directory at once (a rename on one
 * filesystem), so the move is complete when the answer is sent and DescribeLogDirs shows it.
 */
import { resolve } from 'node:path';
import { ErrorCode } from '../../common/error-codes.js';
import type { Logger } from '../../common/logger.js';
import {
  decodeAlterReplicaLogDirsRequest,
  encodeAlterReplicaLogDirsResponse,
  type AlterReplicaLogDirsRequest,
  type AlterReplicaLogDirsResponseInit,
} from '../../protocol/generated/messages/alter-replica-log-dirs.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { ReplicaManager } from '../replica-manager.js';

/** Longest file name; Kafka checks the future directory's `<topic>-<p>.<32 hex>-future`. */
const MAX_DIR_NAME = 255;
const FUTURE_SUFFIX_LENGTH = 1 + 32 + '-future'.length;

/** Moves one hosted partition to `dest`, then serves it from there. Returns the error code. */
function moveReplica(deps: AlterReplicaLogDirsDeps, topic: string, index: number, dest: string): number {
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
    deps.logs.moveLog(topic, index, dest, old.config);
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

/** What AlterReplicaLogDirs uses: the partitions and the log manager (moves). */
export interface AlterReplicaLogDirsDeps {
  readonly replicas: Pick<ReplicaManager, 'partition'>;
  readonly logs: Pick<LogManager, 'logDirs' | 'logDirOf' | 'moveLog' | 'getLog'>;
  readonly logger: Logger;
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
          else errorCode = moveReplica(deps, topicName, partitionIndex, dest);
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
