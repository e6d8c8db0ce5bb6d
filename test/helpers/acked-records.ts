/**
 * Checks of what an idempotent acks=all producer (failover-clients.ts) was told against the logs:
 * every acknowledged record at its acknowledged offset with its value, no value twice in a log, and
 * nothing in a log that was not acknowledged. Used by the fault tests (etcd outage, network
 * faults, chaos), which report lost and duplicated counts rather than stop at the first.
 */
import assert from 'node:assert/strict';
import type { RecordBatch } from '../../src/protocol/records/record.js';
import type { ProcessCluster } from './cluster-process.js';
import type { JsonLine, LineProcess } from './failover-clients.js';
import { WireClient } from './wire.js';

export interface Ack {
  p: number;
  o: number;
  v: string;
}

/** The acknowledgements among a producer's lines. */
export function acksOf(lines: readonly JsonLine[]): Ack[] {
  return lines.filter((l) => typeof l.msg['o'] === 'number').map((l) => l.msg as unknown as Ack);
}

export interface LogAudit {
  /** Acknowledged records not in the log at their offset with their value. */
  lost: string[];
  /** Values present at more than one offset. */
  duplicated: string[];
  /** Records in the log that were never acknowledged (sent, then the producer gave up). */
  unacknowledged: number;
  /** Records in the log. */
  records: number;
}

/** Audits one partition's log (its batches from offset 0) against the acknowledgements for it. */
export function auditPartition(partition: number, batches: readonly RecordBatch[], acks: readonly Ack[]): LogAudit {
  const log = new Map<number, string>();
  for (const b of batches) b.records.forEach((r, i) => log.set(Number(b.baseOffset) + i, r.value?.toString() ?? ''));
  const seen = new Map<string, number>();
  for (const v of log.values()) seen.set(v, (seen.get(v) ?? 0) + 1);
  const mine = acks.filter((a) => a.p === partition);
  const lost = mine.filter((a) => log.get(a.o) !== a.v).map((a) => `${partition}@${a.o}=${a.v} (log has ${log.get(a.o) ?? 'nothing'})`);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => `${partition}:${v}`);
  const ackedValues = new Set(mine.map((a) => a.v));
  const unacknowledged = [...log.values()].filter((v) => !ackedValues.has(v)).length;
  return { lost, duplicated, unacknowledged, records: log.size };
}

/**
 * Ends the producer (failover-clients.ts) and asserts it delivered everything: exit code 0, no
 * message left undelivered, no delivery failure or fatal error, every produced message
 * acknowledged. The acknowledgements.
 */
export async function finishProducer(producer: LineProcess): Promise<Ack[]> {
  const code = await producer.finish();
  assert.equal(code, 0, `producer exit ${code}: ${producer.stderr()}`);
  const done = producer.lines.find((l) => l.msg['done'] !== undefined)?.msg;
  assert.equal(done?.['undelivered'], 0, 'messages left undelivered');
  const failed = producer.lines.filter((l) => l.msg['err'] !== undefined || l.msg['fatal'] === true);
  assert.deepEqual(failed.map((l) => l.msg), [], 'delivery failures or fatal producer errors');
  const acked = acksOf(producer.lines);
  assert.equal(acked.length, done?.['done'], 'every produced message acknowledged');
  return acked;
}

/**
 * Reads every partition of `topic` from its leader (as broker `via` sees the metadata) and asserts
 * its log holds exactly the acknowledged records: each at its offset, no value twice, nothing
 * else. The high watermark of each partition.
 */
export async function assertLogsHoldAcks(cluster: ProcessCluster, topic: string, partitions: number, acks: readonly Ack[], via?: number): Promise<number[]> {
  const md = await cluster.metadata([topic], via);
  const ends: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const leader = (md.partitions.get(`${topic}-${p}`) as { leader: number }).leader;
    const c = await WireClient.connect(cluster.broker(leader).port);
    try {
      const { batches, highWatermark } = await c.fetchAll(topic, p);
      ends.push(Number(highWatermark));
      const audit = auditPartition(p, batches, acks);
      assert.deepEqual(audit.duplicated, [], `partition ${p}: a value appears twice`);
      assert.deepEqual(audit.lost, [], `partition ${p}: acknowledged records not at their offset`);
      assert.equal(audit.records, acks.filter((a) => a.p === p).length, `partition ${p}: the log holds exactly the acknowledged records`);
    } finally {
      c.close();
    }
  }
  return ends;
}

/** The longest gap (ms) between consecutive acknowledgements of each partition, the largest over all. */
export function longestAckGap(lines: readonly JsonLine[], from: number, to: number): number {
  const last = new Map<number, number>();
  let gap = 0;
  for (const l of lines) {
    if (typeof l.msg['o'] !== 'number' || l.at < from || l.at > to) continue;
    const p = l.msg['p'] as number;
    gap = Math.max(gap, l.at - (last.get(p) ?? from));
    last.set(p, l.at);
  }
  for (const t of last.values()) gap = Math.max(gap, to - t);
  return Math.round(gap);
}
