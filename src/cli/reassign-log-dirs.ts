/**
 * The log-dir part of `samsa reassign` (kafka-reassign-partitions.sh): a plan's "log_dirs" entry
 * other than "any" asks for that replica to live in that (absolute) log dir of its broker.
 * Kafka's tool: --execute sends AlterReplicaLogDirs to each broker for its replicas with a log dir
 * (after AlterPartitionReassignments; a replica the reassignment has not created yet answers
 * REPLICA_NOT_AVAILABLE and is asked again until --timeout), --replica-alter-log-dirs-throttle N
 * first sets replica.alter.log.dirs.io.max.bytes.per.second = N on the brokers with such moves,
 * --verify asks each broker (DescribeLogDirs) whether the replica is in its dir yet, and once
 * everything is done the throttle goes with the other throttles.
 */
import { AdminError, ApiKey, type ClusterMetadata } from '../client/admin.js';
import { KafkaConnection } from '../client/connection.js';
import { ErrorCode, errorName } from '../common/error-codes.js';
import type { DescribeLogDirsResponse } from '../protocol/generated/messages/describe-log-dirs.js';
import type { AlterReplicaLogDirsResponse } from '../protocol/generated/messages/alter-replica-log-dirs.js';

export const ALTER_LOG_DIRS_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second';
const ALTER_REPLICA_LOG_DIRS = 34;

/** One replica the plan puts in a given log dir. */
export interface LogDirMove {
  topic: string;
  partition: number;
  broker: number;
  dir: string;
}

/** The replicas of `plan` with a log dir other than "any". */
export function logDirMoves(plan: readonly { topic: string; partition: number; replicas: number[]; logDirs?: string[] }[]): LogDirMove[] {
  const out: LogDirMove[] = [];
  for (const p of plan) p.replicas.forEach((broker, i) => {
    const dir = p.logDirs?.[i];
    if (dir !== undefined && dir !== 'any') out.push({ topic: p.topic, partition: p.partition, broker, dir });
  });
  return out;
}

/** The brokers concerned by `moves`, sorted. */
export function brokersOf(moves: readonly LogDirMove[]): number[] {
  return [...new Set(moves.map((m) => m.broker))].sort((x, y) => x - y);
}

async function withBroker<T>(md: ClusterMetadata, id: number, clientId: string, timeoutMs: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const b = md.brokers.find((x) => x.nodeId === id);
  if (b === undefined) throw new Error(`broker ${id} is not registered`);
  const c = await KafkaConnection.open(`${b.host}:${b.port}`, { clientId, timeoutMs: Math.min(timeoutMs, 10_000) });
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/**
 * AlterReplicaLogDirs on each broker for its moves; a replica not there yet (REPLICA_NOT_AVAILABLE)
 * is asked again every 100 ms until `timeoutMs`. Returns the moves that failed, with why.
 */
export async function alterLogDirs(md: ClusterMetadata, moves: readonly LogDirMove[], timeoutMs: number, clientId: string): Promise<string[]> {
  const failed: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (const broker of brokersOf(moves)) {
    let left = moves.filter((m) => m.broker === broker);
    try {
      await withBroker(md, broker, clientId, timeoutMs, async (c) => {
        for (;;) {
          const dirs = [...new Set(left.map((m) => m.dir))].map((path) => {
            const topics = new Map<string, number[]>();
            for (const m of left.filter((x) => x.dir === path)) topics.set(m.topic, [...(topics.get(m.topic) ?? []), m.partition]);
            return { path, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) };
          });
          const res = await c.request<AlterReplicaLogDirsResponse>(ALTER_REPLICA_LOG_DIRS, 1, { dirs });
          const retry: LogDirMove[] = [];
          for (const t of res.results) for (const p of t.partitions) {
            const m = left.find((x) => x.topic === t.topicName && x.partition === p.partitionIndex);
            if (m === undefined || p.errorCode === ErrorCode.NONE) continue;
            if (p.errorCode === ErrorCode.REPLICA_NOT_AVAILABLE && Date.now() < deadline) retry.push(m);
            else failed.push(`${m.topic}-${m.partition} on broker ${broker} to ${m.dir}: ${errorName(p.errorCode)}`);
          }
          if (retry.length === 0) return;
          left = retry;
          await new Promise((r) => setTimeout(r, 100));
        }
      });
    } catch (e) {
      if (e instanceof AdminError) throw e;
      failed.push(`broker ${broker}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failed;
}

/** For each move, the dir its replica is in now on its broker (DescribeLogDirs), or null when unknown. */
export async function currentLogDirs(md: ClusterMetadata, moves: readonly LogDirMove[], timeoutMs: number, clientId: string): Promise<(string | null)[]> {
  const where = new Map<string, string>();
  for (const broker of brokersOf(moves)) {
    const mine = moves.filter((m) => m.broker === broker);
    const topics = [...new Set(mine.map((m) => m.topic))].map((topic) => ({ topic, partitions: mine.filter((m) => m.topic === topic).map((m) => m.partition) }));
    try {
      const res = await withBroker(md, broker, clientId, timeoutMs, (c) => c.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 4, { topics }));
      for (const d of res.results) for (const t of d.topics) for (const p of t.partitions) if (!p.isFutureKey) where.set(`${broker}:${t.name}-${p.partitionIndex}`, d.logDir);
    } catch {
      // unreachable: unknown
    }
  }
  return moves.map((m) => where.get(`${m.broker}:${m.topic}-${m.partition}`) ?? null);
}

/** --verify's lines for the log-dir moves, and whether every one is done. */
export async function verifyLogDirMoves(md: ClusterMetadata, moves: readonly LogDirMove[], timeoutMs: number, clientId: string): Promise<{ text: string; complete: boolean }> {
  if (moves.length === 0) return { text: '', complete: true };
  const now = await currentLogDirs(md, moves, timeoutMs, clientId);
  let text = '';
  let done = 0;
  moves.forEach((m, i) => {
    const replica = `${m.topic}-${m.partition}-${m.broker}`;
    if (now[i] === m.dir) {
      text += `Reassignment of replica ${replica} completed successfully.\n`;
      done++;
    } else text += `Reassignment of replica ${replica} is still in progress (log dir ${now[i] ?? 'unknown'}, moving to ${m.dir}).\n`;
  });
  return { text, complete: done === moves.length };
}
