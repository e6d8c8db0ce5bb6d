/**
 * CPU per GB of replication (a development tool beside the `cluster` bench section, whose
 * throughput ratio is too noisy on a shared 2-core machine to judge a change by).
 *
 *   node dist/bench/cluster-cpu.js [--records N] [--single] [--procs] [--cold] [--override k=v]... [--profile FILE]
 *     [--prof-dir DIR] [--node-arg X]... [--heap-profile FILE] [--latency RATE [--fresh-topic] [--consumer] [--after-load]] [--show] [--dump]
 *
 * One process holds three in-process brokers on a real etcd (default settings, node.id 1..3), a
 * 6-partition topic with replication factor 3 and min.insync.replicas=2; `rdkafka_performance`
 * (built by `npm run bench` into .bench-out/build) produces N × 1 KiB records with acks=all
 * (linger.ms=5) in its own process. Reported: the brokers' CPU (process.cpuUsage of this process,
 * which runs nothing else during the workload) per GB of record values, and the replication
 * counters (src/replication/replication-stats.ts, summed over the brokers) per GB; `--profile`
 * writes a .cpuprofile of the workload window only, `--heap-profile` a .heapprofile of the
 * allocations sampled in it (garbage included). `--single`: the same against one broker
 * without etcd (RF 1). `--procs`: the brokers are `samsa start` child processes, as in the bench
 * (CPU from /proc/<pid>/stat; the counters scraped from each one's metrics listener);
 * `--prof-dir` runs them under --cpu-prof, `--node-arg X` passes X to each of them (e.g. --trace-gc).
 * `--cold`: no warm-up, the workload runs on the topic just created (as the bench's runs do).
 * `--latency RATE`: instead, produce→ack latency of RATE records/s for 3 s (linger.ms=0), with
 * `--consumer` produce→consume too, `--fresh-topic` on a topic created just before.
 * `--show` prints rdkafka_performance's output, `--dump` the broker processes' output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startEtcd, type EtcdProcess } from '../src/cluster/etcd/etcd-process.js';
import { startBroker, type RunningBroker } from '../src/index.js';
import { diffCounters, type ReplicationCounters } from '../src/replication/replication-stats.js';
import { inProcessCounters, metricsUrlOf, METRICS_OVERRIDE, perGbLine, scrapeCounters } from './replication-counters.js';
import { createReplicatedTopic, waitReplicated } from './cluster.js';
import { freePort } from '../src/common/free-port.js';
import { newZeroCopyStats, type ZeroCopyStats } from '../src/network/zero-copy-send.js';
import { procStat } from './bench-processes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PERF = join(ROOT, '.bench-out/build/rdkafka_performance');
const PARTITIONS = 6;

/** Every `--override k=v` given: broker settings for each broker. */
function overrides(): Record<string, string> {
  const out: Record<string, string> = {};
  process.argv.forEach((a, i) => {
    const kv = a === '--override' ? process.argv[i + 1] : undefined;
    if (kv !== undefined && kv.includes('=')) out[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  });
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function produce(bootstrap: string, topic: string, records: number, extra: string[] = ['-X', 'linger.ms=5']): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(PERF, ['-P', '-t', topic, '-b', bootstrap, '-s', '1024', '-c', String(records), '-a', '-1', '-X', 'log_level=3', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => void (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (out += c.toString()));
    child.once('error', rej);
    child.once('exit', () => res(out));
  });
}

interface Member {
  port: number;
  bootstrap: string;
  pid: number | undefined;
  /** Its /metrics URL (metrics.listeners on a free port). */
  metricsUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** `samsa start` in a child process, as the bench runs it. */
async function spawnBroker(dataDir: string, overrides: Record<string, string>): Promise<Member> {
  const port = await freePort();
  const args = [join(ROOT, 'dist/src/cli/samsa.js'), 'start', '--port', String(port), '--data-dir', dataDir, ...Object.entries({ ...METRICS_OVERRIDE, ...overrides }).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  // --prof-dir DIR: each broker process under --cpu-prof (windowed with the printed hrtime span).
  const profDir = arg('--prof-dir');
  const nodeArgs = profDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  // --node-arg X (repeatable): more Node options for each broker process (e.g. --trace-gc).
  process.argv.forEach((a, i) => {
    const v = a === '--node-arg' ? process.argv[i + 1] : undefined;
    if (v !== undefined) nodeArgs.push(v);
  });
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out = (out + d.toString()).slice(-20_000_000)));
  child.stderr.on('data', (d: Buffer) => void (out = (out + d.toString()).slice(-20_000_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = performance.now() + 30_000;
  while (!/is up: PLAINTEXT/.test(out) || metricsUrlOf(out) === undefined) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`broker did not start:\n${out}`);
    await sleep(20);
  }
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    pid: child.pid,
    metricsUrl: metricsUrlOf(out) as string,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident and data-segment sizes of a process now (MB), from /proc/<pid>/status. */
function memoryOf(pid: number | undefined): { rss: number; data: number } {
  if (pid === undefined) return { rss: 0, data: 0 };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, data: kb('VmData') / 1024 };
}

/** CPU seconds (utime + stime) of a process so far; `part` picks one of the two. */
function cpuOf(pid: number | undefined, part: 'user' | 'system' | 'both' = 'both'): number {
  const s = procStat(pid);
  return part === 'user' ? s.user : part === 'system' ? s.system : s.user + s.system;
}

/** etcd's write counters (its /metrics): proposals committed, puts, txns. */
async function etcdWrites(endpoints: string | undefined): Promise<Record<string, number>> {
  if (endpoints === undefined) return {};
  const text = await (await fetch(`${endpoints.split(',')[0] as string}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const name of ['etcd_server_proposals_committed_total', 'etcd_mvcc_put_total', 'etcd_mvcc_txn_total', 'etcd_mvcc_range_total']) {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    out[name] = m ? Number(m[1]) : NaN;
  }
  return out;
}

async function main(): Promise<void> {
  const records = Number(arg('--records') ?? 200_000);
  const profile = arg('--profile');
  const single = process.argv.includes('--single');
  const dirs: string[] = [];
  const brokers: (RunningBroker | Member)[] = [];
  const procs = process.argv.includes('--procs');
  const cpuNow = (): number => {
    if (!procs) {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }
    return brokers.reduce((a, b) => a + cpuOf((b as Member).pid), 0);
  };
  let etcd: EtcdProcess | undefined;
  const quiet = { sink: (): void => undefined, level: 'warn' as const };
  try {
    if (single) {
      const dir = mkdtempSync(join(tmpdir(), 'samsa-cpu-single-'));
      dirs.push(dir);
      brokers.push(procs ? await spawnBroker(dir, overrides()) : await startBroker({ port: 0, dataDir: dir, logger: quiet, config: overrides() }));
    } else {
      etcd = await startEtcd();
      for (let id = 1; id <= 3; id++) {
        const dir = mkdtempSync(join(tmpdir(), `samsa-cpu-${id}-`));
        dirs.push(dir);
        brokers.push(procs ? await spawnBroker(dir, { ...overrides(), 'node.id': String(id), 'etcd.endpoints': etcd.endpoints }) : await startBroker({ port: 0, dataDir: dir, logger: quiet, config: { ...overrides(), 'node.id': id, 'etcd.endpoints': etcd.endpoints } }));
      }
    }
    const ports = brokers.map((b) => b.port);
    let topic = 'cpu';
    await createReplicatedTopic([ports[0] as number], topic, PARTITIONS, single ? 1 : 3, single ? [] : [{ name: 'min.insync.replicas', value: '2' }]);
    if (!single) await waitReplicated(ports, topic, PARTITIONS, 3);
    const bootstrap = brokers.map((b) => b.bootstrap).join(',');
    // Warm-up: connections, JIT.
    // --cold: measured on the topic just created, as the bench's runs are.
    if (!process.argv.includes('--cold')) {
      await produce(bootstrap, topic, 20_000);
      await sleep(500);
    }
    const latency = arg('--latency');
    if (latency !== undefined && process.argv.includes('--after-load')) await produce(bootstrap, topic, records);
    if (latency !== undefined) {
      // --fresh-topic: measured on a topic created just before (as the bench does).
      if (process.argv.includes('--fresh-topic')) {
        topic = 'cpu-latency';
        await createReplicatedTopic([ports[0] as number], topic, PARTITIONS, single ? 1 : 3, single ? [] : [{ name: 'min.insync.replicas', value: '2' }]);
        if (!single) await waitReplicated(ports, topic, PARTITIONS, 3);
      }
      // Produce→ack latency at a fixed rate (rdkafka_performance -l prints its own summary).
      const file = join(dirs[0] as string, 'latency.txt');
      const cfile = join(dirs[0] as string, 'consumer.txt');
      // --consumer: a consumer reads along (as the bench's end-to-end measurement does).
      const consumer = process.argv.includes('--consumer')
        ? spawn(PERF, ['-C', '-l', '-A', cfile, '-t', topic, ...Array.from({ length: PARTITIONS }, (_, i) => ['-p', String(i)]).flat(), '-b', bootstrap, '-o', 'end', '-c', String(Number(latency) * 3), '-q', '-X', 'log_level=3', '-X', 'linger.ms=0', '-X', 'fetch.wait.max.ms=100'], { stdio: 'ignore' })
        : null;
      if (consumer !== null) await sleep(3000);
      await produce(bootstrap, topic, Number(latency) * 3, ['-l', '-A', file, '-r', latency, '-X', 'linger.ms=0']);
      const us = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number).sort((a, b) => a - b);
      const q = (f: number): string => ((us[Math.min(us.length - 1, Math.floor(f * us.length))] ?? 0) / 1000).toFixed(2);
      console.log(`produce→ack latency, ${us.length} records: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
      if (consumer !== null) {
        const deadline = performance.now() + 15_000;
        while (consumer.exitCode === null && performance.now() < deadline) await sleep(100);
        consumer.kill('SIGKILL');
        const cs = readFileSync(cfile, 'utf8').split('\n').filter((l) => l !== '').map(Number).sort((a, b) => a - b);
        const cq = (f: number): string => ((cs[Math.min(cs.length - 1, Math.floor(f * cs.length))] ?? 0) / 1000).toFixed(2);
        console.log(`produce→consume latency, ${cs.length} records: p50 ${cq(0.5)} ms, p90 ${cq(0.9)} ms, p99 ${cq(0.99)} ms, max ${cq(1)} ms`);
      }
      return;
    }
    const session = new Session();
    if (profile !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    // --heap-profile FILE: sampled allocations of the workload window, garbage included (in-process only).
    const heapProfile = arg('--heap-profile');
    if (heapProfile !== undefined) {
      if (profile === undefined) session.connect();
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    // The brokers' replication counters (their objects in-process, their /metrics as processes).
    const counters = (): Promise<ReplicationCounters> => (procs ? scrapeCounters(brokers.map((b) => (b as Member).metricsUrl)) : Promise.resolve(inProcessCounters(brokers.map((b) => (b as RunningBroker).broker))));
    const counters0 = await counters();
    const etcd0 = await etcdWrites(etcd?.endpoints);
    const hr0 = process.hrtime.bigint() / 1000n;
    const cpuStart = cpuNow();
    const userStart = procs ? brokers.reduce((a, b) => a + cpuOf((b as Member).pid, 'user'), 0) : 0;
    const perBroker0 = procs ? brokers.map((b) => [cpuOf((b as Member).pid, 'user'), cpuOf((b as Member).pid, 'system')] as const) : [];
    const faults0 = procs ? brokers.map((b) => procStat((b as Member).pid).minorFaults) : [];
    const memory0 = procs ? brokers.map((b) => memoryOf((b as Member).pid)) : [];
    const cpu0 = process.cpuUsage();
    // Each in-process broker counts its own zero-copy sends: summed over the three.
    const zeroCopy = (): ZeroCopyStats => {
      const sum = newZeroCopyStats();
      if (!procs) for (const b of brokers) for (const k of ['answers', 'fileBytes', 'copiedBytes', 'waits'] as const) sum[k] += (b as RunningBroker).broker.zeroCopyStats[k];
      return sum;
    };
    const zc0 = zeroCopy();
    const t0 = performance.now();
    const out = await produce(bootstrap, topic, records);
    if (process.argv.includes('--show')) console.log(out);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const procCpu = cpuNow() - cpuStart;
    const procUser = procs ? brokers.reduce((a, b) => a + cpuOf((b as Member).pid, 'user'), 0) - userStart : 0;
    const perBroker1 = procs ? brokers.map((b) => [cpuOf((b as Member).pid, 'user'), cpuOf((b as Member).pid, 'system')] as const) : [];
    const faults1 = procs ? brokers.map((b) => procStat((b as Member).pid).minorFaults) : [];
    const memory1 = procs ? brokers.map((b) => memoryOf((b as Member).pid)) : [];
    console.log(`  workload window (µs, monotonic): ${hr0} ${process.hrtime.bigint() / 1000n}`);
    const etcd1 = await etcdWrites(etcd?.endpoints);
    if (etcd !== undefined) console.log(`  etcd during the workload: ${Object.keys(etcd1).map((k) => `${k.replace(/^etcd_/, '')} +${(etcd1[k] as number) - (etcd0[k] as number)}`).join(', ')}`);
    const stats = diffCounters(await counters(), counters0);
    if (heapProfile !== undefined) {
      const { profile: heap } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(heapProfile, JSON.stringify(heap));
    }
    if (profile !== undefined) {
      const { profile: prof } = await session.post('Profiler.stop');
      writeFileSync(profile, JSON.stringify(prof));
    }
    if (profile !== undefined || heapProfile !== undefined) session.disconnect();
    const m = /(\d+) messages produced \((\d+) bytes\), (\d+) delivered .* in (\d+)ms/g;
    const all = [...out.matchAll(m)];
    const last = all[all.length - 1];
    const gb = (records * 1024) / 1e9;
    const cpuSec = procs ? procCpu : (cpu.user + cpu.system) / 1e6;
    console.log(`${single ? 'single broker' : '3 brokers RF 3'}: ${records} × 1 KiB acks=all in ${wallMs.toFixed(0)} ms (${last ? `${last[3]} delivered, ${Math.round(Number(last[3]) / (Number(last[4]) / 1000))} rec/s` : `no summary: ${out.slice(-300)}`})`);
    console.log(`  CPU ${cpuSec.toFixed(2)} s${procs ? ` (broker processes: user ${procUser.toFixed(2)}, system ${(procCpu - procUser).toFixed(2)})` : ` (user ${(cpu.user / 1e6).toFixed(2)}, system ${(cpu.system / 1e6).toFixed(2)})`} = ${(cpuSec / gb).toFixed(2)} CPU s per GB`);
    if (procs) {
      // Each broker's user/system CPU per GB (the partition leaders are spread over the three).
      const per = brokers.map((_, i) => {
        const [u0, s0] = perBroker0[i] as readonly [number, number];
        const [u1, s1] = perBroker1[i] as readonly [number, number];
        return `broker ${i + 1}: user ${((u1 - u0) / gb).toFixed(2)} + system ${((s1 - s0) / gb).toFixed(2)}`;
      });
      console.log(`  per GB: ${per.join('; ')}`);
      console.log(`  minor page faults per GB: ${faults1.map((f, i) => `broker ${i + 1}: ${Math.round((f - (faults0[i] as number)) / gb)}`).join('; ')}`);
      console.log(`  memory before → after (MB): ${memory1.map((m, i) => `broker ${i + 1}: RSS ${(memory0[i] as { rss: number }).rss.toFixed(0)} → ${m.rss.toFixed(0)}, data ${(memory0[i] as { data: number }).data.toFixed(0)} → ${m.data.toFixed(0)}`).join('; ')}`);
    }
    console.log(`  ${perGbLine(stats, gb)}`);
    // In-process brokers: how the Fetch answers' record bytes went (docs/zero-copy.md).
    const zeroCopyStats = zeroCopy();
    if (!procs) console.log(`  zero copy: ${zeroCopyStats.answers - zc0.answers} answers, ${((zeroCopyStats.fileBytes - zc0.fileBytes) / 1e9).toFixed(2)} GB by sendfile, ${((zeroCopyStats.copiedBytes - zc0.copiedBytes) / 1e6).toFixed(1)} MB copied in ${zeroCopyStats.waits - zc0.waits} waits for a full socket`);
  } finally {
    if (process.argv.includes('--dump')) for (const b of brokers) if ('output' in b) console.log(b.output());
    await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));
    await etcd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
