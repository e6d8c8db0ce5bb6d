/**
 * Broker CPU-seconds per GB of single-broker produce (issue 22, targets 1 and 4), builds
 * alternating: a development tool beside the `produce` bench section, whose throughput ratio a
 * shared 2-core machine moves more than any change to the produce path does.
 *
 *   node dist/bench/produce-cpu.js [--baseline DIR] [--null] [--pairs N] [--records N] [--warmup N] [--size B] [--acks 1|-1] [--ssl] [--consume] [--node-args 'A B']
 *
 * Per round and build: a fresh `samsa start` process (the build's dist/src/cli/samsa.js, a temp
 * data dir, 6 partitions), a warm-up (default 100,000 records), then N records (default 500,000) of B bytes
 * (default 1024) produced by `rdkafka_performance -P` (built by `npm run bench`; linger.ms=5 as the
 * bench's throughput runs) with the given acks, once the page cache holds little dirty data
 * (a run starts when Dirty + Writeback of /proc/meminfo is under 64 MB). Reported: the broker process's user and system
 * CPU over the workload (from /proc/<pid>/stat) per GB of record values, and the throughput. With
 * `--baseline DIR` (another checkout built with `tsc`) the builds alternate round by round, with
 * `--null` the null broker (bench/null-broker.ts) runs in each round too; medians and ranges at the
 * end. With `--ssl` the broker also has an SSL listener (certificates made with openssl, as the
 * `security` bench section's) and rdkafka_performance produces through it: the TLS read path's
 * CPU per GB (issue 22 target 5). `--consume`: then every record is consumed from the beginning
 * (rdkafka_performance -C, 6 partitions) and the broker's CPU per GB of that read is reported too. `--node-args` passes options to the broker processes (e.g.
 * `--cpu-prof --cpu-prof-dir=DIR`; `--trace-gc`: the GCs during the produce run are counted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/common/free-port.js';
import { makeCerts } from './security.js';
import { procStat } from './bench-processes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PERF = join(ROOT, '.bench-out/build/rdkafka_performance');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** [user, system] CPU seconds of a process. */
function cpuOf(pid: number): [number, number] {
  const s = procStat(pid);
  return [s.user, s.system];
}

function run(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(PERF, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? res(out) : rej(new Error(`rdkafka_performance exited ${code}: ${out.slice(-400)}`))));
  });
}

/** Dirty + Writeback of the page cache, in MB. */
function dirtyMb(): number {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(m)?.[1] ?? 0);
  return (kb('Dirty') + kb('Writeback')) / 1024;
}

/**
 * Waits until the kernel wrote back the previous runs' pages: with a few GB dirty, page-cache
 * writes on this VM cost 5-10 times as much system time (see bench/README.md), whatever wrote them.
 */
async function settleDirty(): Promise<void> {
  const deadline = performance.now() + 120_000;
  while (dirtyMb() > 64 && performance.now() < deadline) await sleep(200);
}

interface Result {
  user: number;
  system: number;
  recPerSec: number;
  /** With --consume: the broker's CPU s/GB while the same records are consumed from the beginning. */
  consume: number | null;
  /** GCs during the produce run (counted from --trace-gc output; 0 without it). */
  gc: { young: number; full: number };
}

interface Tls {
  ca: string;
  serverPem: string;
}

async function once(kind: string, root: string, records: number, size: number, acks: string, warmup: number, tls: Tls | null, nodeArgs: string[]): Promise<Result> {
  const port = await freePort();
  const sslPort = tls === null ? 0 : await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-produce-cpu-'));
  const args =
    kind === 'null'
      ? [join(ROOT, 'dist/bench/null-broker.js'), String(port)]
      : [join(root, 'dist/src/cli/samsa.js'), 'start', '--port', String(port), '--data-dir', dataDir, '--override', 'num.partitions=6', '--override', 'auto.create.topics.enable=true'];
  if (tls !== null && kind !== 'null') {
    const o = (k: string, v: string): string[] => ['--override', `${k}=${v}`];
    args.splice(args.indexOf('--port'), 2);
    args.push(...o('listeners', `PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${sslPort}`), ...o('ssl.keystore.type', 'PEM'), ...o('ssl.keystore.location', tls.serverPem));
  }
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  let out = '';
  // With --node-args --trace-gc: V8's GC lines counted as they come (young and full collections).
  const gcs = { young: 0, full: 0 };
  child.stdout?.on('data', (d: Buffer) => {
    const text = d.toString();
    gcs.young += text.split(' Scavenge ').length - 1;
    gcs.full += text.split(' Mark-Compact ').length - 1;
    out = (out + text).slice(-10_000);
  });
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-10_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await settleDirty();
    const deadline = performance.now() + 30_000;
    while (!/is up: PLAINTEXT/.test(out)) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`${kind} did not start:\n${out}`);
      await sleep(10);
    }
    const pid = child.pid as number;
    const ssl = tls !== null && kind !== 'null';
    const through = ssl ? ['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${(tls as Tls).ca}`] : ['-b', `127.0.0.1:${port}`];
    const common = ['-P', '-t', 'pc', ...through, '-s', String(size), '-a', acks, '-X', 'log_level=3', '-X', 'linger.ms=5'];
    await run([...common, '-c', String(warmup)]);
    const [u0, s0] = cpuOf(pid);
    const gc0 = { ...gcs };
    const t0 = performance.now();
    await run([...common, '-c', String(records)]);
    const secs = (performance.now() - t0) / 1000;
    const [u1, s1] = cpuOf(pid);
    const gc = { young: gcs.young - gc0.young, full: gcs.full - gc0.full };
    const gb = (records * size) / 1e9;
    let consume: number | null = null;
    if (consumeToo) {
      const parts = Array.from({ length: 6 }, (_, i) => ['-p', String(i)]).flat();
      const all = warmup + records;
      await run(['-C', '-t', 'pc', ...parts, ...through, '-o', 'beginning', '-c', String(all), '-e', '-X', 'log_level=3']);
      const [u2, s2] = cpuOf(pid);
      consume = (u2 - u1 + (s2 - s1)) / ((all * size) / 1e9);
    }
    return { user: (u1 - u0) / gb, system: (s1 - s0) / gb, recPerSec: records / secs, consume, gc };
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const consumeToo = process.argv.includes('--consume');
const certDir = process.argv.includes('--ssl') ? mkdtempSync(join(tmpdir(), 'samsa-produce-cpu-certs-')) : null;

async function main(): Promise<void> {
  const baseline = arg('--baseline');
  const pairs = Number(arg('--pairs') ?? 5);
  const records = Number(arg('--records') ?? 500_000);
  const size = Number(arg('--size') ?? 1024);
  const acks = arg('--acks') ?? '1';
  const warmup = Number(arg('--warmup') ?? 100_000);
  const tls = certDir === null ? null : makeCerts(certDir);
  const nodeArgs = (arg('--node-args') ?? '').split(' ').filter((a) => a !== '');
  const builds: [string, string][] = [['new', ROOT]];
  if (baseline !== undefined) builds.unshift(['old', resolve(baseline)]);
  if (process.argv.includes('--null')) builds.push(['null', ROOT]);
  const results = new Map<string, Result[]>(builds.map(([k]) => [k, []]));
  console.log(`${records} × ${size} B, acks=${acks}, ${tls === null ? 'PLAINTEXT' : 'SSL'}, warm-up ${warmup} records, ${pairs} rounds, node ${process.version}`);
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 === 0 ? builds : [...builds].reverse();
    for (const [kind, root] of order) {
      const r = await once(kind, root, records, size, acks, warmup, tls, nodeArgs);
      results.get(kind)?.push(r);
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(`  round ${i + 1} ${kind.padEnd(4)} CPU ${(r.user + r.system).toFixed(3)} s/GB (user ${r.user.toFixed(3)}, system ${r.system.toFixed(3)}), ${Math.round(r.recPerSec)} rec/s${r.gc.young + r.gc.full > 0 ? `, GCs ${r.gc.young} young ${r.gc.full} full` : ''}${r.consume !== null ? `, consume CPU ${r.consume.toFixed(3)} s/GB` : ''}, load ${load}`);
    }
  }
  for (const [kind, rs] of results) {
    const tot = rs.map((r) => r.user + r.system);
    console.log(
      `${kind.padEnd(4)} CPU s/GB median ${median(tot).toFixed(3)} (${Math.min(...tot).toFixed(3)}–${Math.max(...tot).toFixed(3)}), user ${median(rs.map((r) => r.user)).toFixed(3)}, system ${median(rs.map((r) => r.system)).toFixed(3)}; rec/s median ${Math.round(median(rs.map((r) => r.recPerSec)))}${consumeToo ? `; consume CPU s/GB median ${median(rs.map((r) => r.consume ?? 0)).toFixed(3)}` : ''}`,
    );
  }
}

try {
  await main();
} finally {
  if (certDir !== null) rmSync(certDir, { recursive: true, force: true });
}
