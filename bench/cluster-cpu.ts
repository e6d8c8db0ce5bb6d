/**
 * CPU per GB of replication (a development tool beside the `cluster` bench section, whose
 * throughput ratio is too noisy on a shared 2-core machine to judge a change by).
 *
 *   node dist/bench/cluster-cpu.js [--records N] [--profile FILE] [--single]
 *
 * One process holds three in-process brokers on a real etcd (default settings, node.id 1..3), a
 * 6-partition topic with replication factor 3 and min.insync.replicas=2; `rdkafka_performance`
 * (built by `npm run bench` into .bench-out/build) produces N × 1 KiB records with acks=all
 * (linger.ms=5) in its own process. Reported: the brokers' CPU (process.cpuUsage of this process,
 * which runs nothing else during the workload) per GB of record values, and the replication
 * counters (src/replication/replication-stats.ts) per GB; `--profile` writes a .cpuprofile of
 * the workload window only. `--single`: the same against one broker without etcd (RF 1).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startEtcd, type EtcdProcess } from '../src/cluster/etcd/etcd-process.js';
import { startBroker, type RunningBroker } from '../src/index.js';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import type { CreateTopicsResponse } from '../src/protocol/generated/messages/create-topics.js';
import type { MetadataResponse } from '../src/protocol/generated/messages/metadata.js';
import { replicationStats } from '../src/replication/replication-stats.js';
import { WireClient } from './wire-client.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PERF = join(ROOT, '.bench-out/build/rdkafka_performance');
const PARTITIONS = 6;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function createTopic(port: number, name: string, rf: number, configs: { name: string; value: string }[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  let last = '';
  while (performance.now() < deadline) {
    const c = await WireClient.connect(port);
    try {
      const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: PARTITIONS, replicationFactor: rf, assignments: [], configs }], timeoutMs: 30_000, validateOnly: false });
      const t = res.topics[0];
      if (t && (t.errorCode === 0 || t.errorCode === 36)) return;
      last = `error ${t?.errorCode} ${t?.errorMessage ?? ''}`;
    } finally {
      c.close();
    }
    await sleep(200);
  }
  throw new Error(`CreateTopics ${name}: ${last}`);
}

async function waitIsr(ports: number[], topic: string, isr: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    let ok = true;
    for (const port of ports) {
      const c = await WireClient.connect(port);
      try {
        const md = await c.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const parts = md.topics[0]?.partitions ?? [];
        if (parts.length !== PARTITIONS || parts.some((p) => p.leaderId < 0 || p.isrNodes.length < isr)) ok = false;
      } finally {
        c.close();
      }
    }
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`${topic}: ISR not ${isr} within 60 s`);
    await sleep(50);
  }
}

function produce(bootstrap: string, topic: string, records: number): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(PERF, ['-P', '-t', topic, '-b', bootstrap, '-s', '1024', '-c', String(records), '-a', '-1', '-X', 'linger.ms=5', '-X', 'log_level=3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => void (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (out += c.toString()));
    child.once('error', rej);
    child.once('exit', () => res(out));
  });
}

async function main(): Promise<void> {
  const records = Number(arg('--records') ?? 200_000);
  const profile = arg('--profile');
  const single = process.argv.includes('--single');
  const dirs: string[] = [];
  const brokers: RunningBroker[] = [];
  let etcd: EtcdProcess | undefined;
  const quiet = { sink: (): void => undefined, level: 'warn' as const };
  try {
    if (single) {
      const dir = mkdtempSync(join(tmpdir(), 'samsa-cpu-single-'));
      dirs.push(dir);
      brokers.push(await startBroker({ port: 0, dataDir: dir, logger: quiet }));
    } else {
      etcd = await startEtcd();
      for (let id = 1; id <= 3; id++) {
        const dir = mkdtempSync(join(tmpdir(), `samsa-cpu-${id}-`));
        dirs.push(dir);
        brokers.push(await startBroker({ port: 0, dataDir: dir, logger: quiet, config: { 'node.id': id, 'etcd.endpoints': etcd.endpoints } }));
      }
    }
    const ports = brokers.map((b) => b.port);
    const topic = 'cpu';
    await createTopic(ports[0] as number, topic, single ? 1 : 3, single ? [] : [{ name: 'min.insync.replicas', value: '2' }]);
    if (!single) await waitIsr(ports, topic, 3);
    const bootstrap = brokers.map((b) => b.bootstrap).join(',');
    // Warm-up: connections, JIT.
    await produce(bootstrap, topic, 20_000);
    await sleep(500);
    const session = new Session();
    if (profile !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    replicationStats.reset();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await produce(bootstrap, topic, records);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const stats = { ...replicationStats };
    if (profile !== undefined) {
      const { profile: prof } = await session.post('Profiler.stop');
      writeFileSync(profile, JSON.stringify(prof));
      session.disconnect();
    }
    const m = /(\d+) messages produced \((\d+) bytes\), (\d+) delivered .* in (\d+)ms/g;
    const all = [...out.matchAll(m)];
    const last = all[all.length - 1];
    const gb = (records * 1024) / 1e9;
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const per = (n: number): string => (n / gb).toFixed(0);
    console.log(`${single ? 'single broker' : '3 brokers RF 3'}: ${records} × 1 KiB acks=all in ${wallMs.toFixed(0)} ms (${last ? `${last[3]} delivered, ${Math.round(Number(last[3]) / (Number(last[4]) / 1000))} rec/s` : `no summary: ${out.slice(-300)}`})`);
    console.log(`  CPU ${cpuSec.toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)}) = ${(cpuSec / gb).toFixed(2)} CPU s per GB`);
    console.log(`  per GB: replica fetches ${per(stats.replicaFetches)} (empty ${per(stats.emptyReplicaFetches)}), follower fetches served ${per(stats.followerFetchesServed)}, long-poll wakeups ${per(stats.longPollWakeups)}, high watermark moves ${per(stats.highWatermarkMoves)}, truncation requests ${stats.truncationRequests}`);
    if (stats.replicaFetches > 0) console.log(`  mean replica fetch answer ${(stats.replicaFetchBytes / Math.max(1, stats.replicaFetches - stats.emptyReplicaFetches) / 1024).toFixed(1)} KiB (non-empty)`);
  } finally {
    await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));
    await etcd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
