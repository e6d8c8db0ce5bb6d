/**
 * Measurements the bench takes of a broker over the wire and /proc: topic creation, time (and CPU)
 * to the first acknowledged produce after launch, partition scale (create, memory, open files,
 * one produce to every partition), and the disk's sequential write speed.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import { encodeRecordBatch } from '../src/protocol/records/record.js';
import type { CreateTopicsResponse } from '../src/protocol/generated/messages/create-topics.js';
import type { MetadataResponse } from '../src/protocol/generated/messages/metadata.js';
import type { ProduceResponse } from '../src/protocol/generated/messages/produce.js';
import { freePort } from '../src/common/free-port.js';
import { openFds, rssMB, startBroker, startProc, type BrokerProc } from './bench-processes.js';
import type { ScaleResult } from './report.js';
import { WireClient } from './wire-client.js';

export async function createTopic(port: number, name: string, partitions: number, timeoutMs = 600_000): Promise<void> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs, validateOnly: false });
    const t = res.topics[0];
    if (!t || t.errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
  } finally {
    c.close();
  }
}

/** CPU time (ms) of a process so far, all its live threads (Linux /proc; null elsewhere). */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return null;
  }
}

/**
 * Launch → first acknowledged produce (auto-created topic), in ms, and the broker's CPU time by
 * then (steadier than wall time on a busy machine; issue 22 target 3 A/B).
 */
export async function timeToFirstProduce(kind: 'samsa' | 'null', dataDir: string): Promise<{ ms: number; cpuMs: number | null; proc: BrokerProc }> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = startProc(kind, port, dataDir);
  const deadline = t0 + 30_000;
  const c = await WireClient.connectRetry(port, deadline);
  try {
    const batch = encodeRecordBatch({ records: [{ value: 'hello' }] });
    for (;;) {
      if (performance.now() > deadline) throw new Error(`${kind}: no acknowledged produce within 30 s:\n${proc.output()}`);
      const md = await c.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: 'startup' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      const t = md.topics[0];
      if (!t || t.errorCode !== 0 || t.partitions.length === 0 || (t.partitions[0]?.leaderId ?? -1) < 0) {
        await sleep(2);
        continue;
      }
      const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'startup', partitionData: [{ index: 0, records: batch }] }] });
      if (res.responses[0]?.partitionResponses[0]?.errorCode === 0) return { ms: performance.now() - t0, cpuMs: processCpuMs(proc.child.pid), proc };
      await sleep(2);
    }
  } finally {
    c.close();
  }
}

export async function partitionScale(kind: 'samsa' | 'null', dataDir: string, count: number): Promise<ScaleResult> {
  const proc = await startBroker(kind, dataDir);
  try {
    const t0 = performance.now();
    try {
      await createTopic(proc.port, 'scale', count);
    } catch (e) {
      return { createMs: performance.now() - t0, rssMB: rssMB(proc.child.pid) ?? 0, openFds: openFds(proc.child.pid), produceMs: 0, producedPartitions: 0, errors: 0, error: (e as Error).message };
    }
    const createMs = performance.now() - t0;
    await sleep(500);
    const rss = rssMB(proc.child.pid) ?? 0;
    const fds = openFds(proc.child.pid);
    const c = await WireClient.connect(proc.port);
    let ok = 0;
    let errors = 0;
    const t1 = performance.now();
    try {
      const batch = encodeRecordBatch({ records: [{ value: Buffer.alloc(100, 0x61) }] });
      const per = 1000;
      for (let start = 0; start < count; start += per) {
        const partitionData = [];
        for (let p = start; p < Math.min(count, start + per); p++) partitionData.push({ index: p, records: batch });
        const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 60_000, topicData: [{ name: 'scale', partitionData }] });
        for (const pr of res.responses[0]?.partitionResponses ?? []) {
          if (pr.errorCode === 0) ok++;
          else errors++;
        }
      }
    } catch (e) {
      return { createMs, rssMB: rss, openFds: fds, produceMs: performance.now() - t1, producedPartitions: ok, errors, error: (e as Error).message };
    } finally {
      c.close();
    }
    const produceMs = performance.now() - t1;
    return { createMs, rssMB: Math.max(rss, rssMB(proc.child.pid) ?? 0), openFds: Math.max(fds, openFds(proc.child.pid)), produceMs, producedPartitions: ok, errors };
  } finally {
    await proc.stop();
  }
}

export function diskWrite(dir: string, mib: number): { path: string; bytes: number; writeMBps: number } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'disk-speed.tmp');
  const chunk = randomBytes(1024 * 1024);
  const fd = openSync(file, 'w');
  const t0 = performance.now();
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const s = (performance.now() - t0) / 1000;
  rmSync(file, { force: true });
  return { path: dir, bytes: mib * 1024 * 1024, writeMBps: (mib * 1024 * 1024) / 1e6 / s };
}
