/**
 * DescribeLogDirs (key 35), v1-4 advertised.
 * Version notes: v2+ flexible; v3+ top-level error code; v4+ total and usable bytes per dir.
 * A current replica's offsetLag is 0. A future replica (a throttled AlterReplicaLogDirs move in
 * progress) is listed in its destination dir with isFutureKey and the bytes copied so far as its
 * size; Kafka's offsetLag is the current replica's end offset minus the future one's, but a Samsa
 * future replica is a copy of files, not of records, so its offsetLag is the current replica's
 * record count (logEndOffset - logStartOffset) until the swap. A failed (offline) log dir is
 * answered with KAFKA_STORAGE_ERROR and no partitions (Kafka's rule).
 */
import { ErrorCode } from '../../common/error-codes.js';
import {
  decodeDescribeLogDirsRequest,
  encodeDescribeLogDirsResponse,
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponseInit,
} from '../../protocol/generated/messages/describe-log-dirs.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { LogManager } from '../../storage/log-manager.js';

/** What DescribeLogDirs reads: the log manager. */
export interface DescribeLogDirsDeps {
  readonly logs: Pick<LogManager, 'logDirUsage' | 'futureReplicas' | 'getLog'>;
}

export function describeLogDirsHandler(deps: DescribeLogDirsDeps): ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInit> {
  return defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInit>({
    apiKey: 35,
    name: 'DescribeLogDirs',
    minVersion: 1,
    maxVersion: 4,
    decode: decodeDescribeLogDirsRequest,
    encode: encodeDescribeLogDirsResponse,
    handle(ctx, req) {
      const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
      const results = deps.logs.logDirUsage().map((d) => {
        const byTopic = new Map<string, { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[]>();
        for (const p of d.partitions) {
          if (wanted !== null && !wanted.get(p.topic)?.has(p.partition)) continue;
          let list = byTopic.get(p.topic);
          if (!list) byTopic.set(p.topic, (list = []));
          list.push({ partitionIndex: p.partition, partitionSize: BigInt(p.size), offsetLag: 0n, isFutureKey: false });
        }
        for (const f of deps.logs.futureReplicas.values()) {
          if (f.dest !== d.dir || d.offline || (wanted !== null && !wanted.get(f.topic)?.has(f.partition))) continue;
          const current = deps.logs.getLog(f.topic, f.partition);
          let list = byTopic.get(f.topic);
          if (!list) byTopic.set(f.topic, (list = []));
          list.push({ partitionIndex: f.partition, partitionSize: BigInt(f.copy.bytes), offsetLag: BigInt(current === undefined ? 0 : current.logEndOffset - current.logStartOffset), isFutureKey: true });
        }
        return {
          errorCode: d.offline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE,
          logDir: d.dir,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          totalBytes: BigInt(d.totalBytes ?? -1),
          usableBytes: BigInt(d.usableBytes ?? -1),
        };
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
    errorResponse(_req, errorCode) {
      return { throttleTimeMs: 0, errorCode, results: [] };
    },
  });
}
