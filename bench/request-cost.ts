/**
 * What one request costs a broker at small batches (a development tool beside the `latency`
 * section, whose percentiles a loaded 2-core machine moves by orders of magnitude; CPU and
 * allocation per request it moves much less).
 *
 *   node dist/bench/request-cost.js [--baseline DIR] [--rounds N] [--rate R] [--seconds S] [--acks 1|all] [--linger MS] [--alloc [--top N]]
 *
 * Per build and round, in a fresh process: one in-process broker (the build's dist/src/index.js,
 * metrics.listeners on a free port, 6 partitions), a consumer (`rdkafka_performance -C`, built by
 * `npm run bench`) reading along and a producer of R records/s of 100 B (default acks=1,
 * linger.ms=0; `--acks all --linger 1` are issue 22's target conditions, as the latency section
 * runs) for S seconds. Reported per request (Produce + Fetch, counted from the broker's own
 * kafka_network_requestmetrics_requests_total): the process's CPU (user, system), the garbage
 * collections during the run (count by kind, time, longest pause) and,
 * with `--alloc`, the JavaScript heap allocated (the inspector's sampling heap profiler with
 * collected objects included, so garbage counts; `--top N` lists the N functions allocating most,
 * bytes per request each). With `--baseline DIR` (a checkout of another
 * commit, built with `tsc`, rdkafka_performance taken from this one) builds alternate round by
 * round; medians and ranges at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PERF = join(ROOT, '.bench-out/build/rdkafka_performance');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The producer's acks (rdkafka_performance -a: 1, or all = -1) and linger.ms. */
const ACKS = arg('--acks') === 'all' || arg('--acks') === '-1' ? '-1' : '1';
const LINGER = arg('--linger') ?? '0';

interface Cost {
  produce: number;
  fetch: number;
  userUs: number;
  systemUs: number;
  /** KB of JavaScript heap per request (--alloc), else null. */
  allocKb: number | null;
  /** Garbage collections in the broker's process during the run: scavenges, mark-compacts, their time (ms) and the longest. */
  gc: { minor: number; major: number; ms: number; maxMs: number };
  /** With --alloc --top N: the N functions allocating most, bytes per request each. */
  topAlloc?: { fn: string; bytes: number }[];
}

interface EmbeddedBroker {
  port: number;
  broker: { observability: { listeners: readonly { url: string }[] } | null };
  stop(): Promise<void>;
}

const run = (args: string[]): Promise<number | null> => new Promise((res) => spawn(PERF, args, { stdio: 'ignore' }).once('exit', (code) => res(code)));

async function requestCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^kafka_network_requestmetrics_requests_total\{request="(\w+)"[^}]*\} (\S+)$/gm)) out[m[1] as string] = (out[m[1] as string] ?? 0) + Number(m[2]);
  return out;
}

interface SamplingNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: SamplingNode[];
}
const totalBytes = (n: SamplingNode): number => n.selfSize + n.children.reduce((a, c) => a + totalBytes(c), 0);

/** Self bytes per allocating function (name, file and line), largest first. */
function topAllocators(head: SamplingNode, n: number, per: number): { fn: string; bytes: number }[] {
  const by = new Map<string, number>();
  const walk = (nd: SamplingNode): void => {
    if (nd.selfSize > 0) {
      const f = nd.callFrame;
      const file = f.url.slice(f.url.lastIndexOf('/', f.url.lastIndexOf('/') - 1) + 1);
      const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
      by.set(key, (by.get(key) ?? 0) + nd.selfSize);
    }
    for (const c of nd.children) walk(c);
  };
  walk(head);
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, n).map(([fn, bytes]) => ({ fn, bytes: bytes / per }));
}

/** One measurement of the build at `root` (in this process). */
async function child(root: string, rate: number, seconds: number, alloc: boolean, top: number): Promise<Cost> {
  const { startBroker } = (await import(pathToFileURL(join(root, 'dist/src/index.js')).href)) as { startBroker(o: object): Promise<EmbeddedBroker> };
  const dir = mkdtempSync(join(tmpdir(), 'samsa-request-cost-'));
  const b = await startBroker({ port: 0, dataDir: dir, logger: { sink: () => undefined, level: 'warn' }, config: { 'num.partitions': 6, 'metrics.listeners': 'http://127.0.0.1:0' } });
  try {
    const url = b.broker.observability?.listeners[0]?.url;
    if (url === undefined) throw new Error('no metrics listener');
    const bootstrap = `127.0.0.1:${b.port}`;
    const quiet = ['-X', 'log_level=3'];
    await run(['-P', '-t', 'cost', '-b', bootstrap, '-s', '100', '-c', '6', ...quiet]);
    const records = rate * seconds;
    const consumer = run(['-C', '-t', 'cost', ...[0, 1, 2, 3, 4, 5].flatMap((p) => ['-p', String(p)]), '-b', bootstrap, '-o', 'end', '-c', String(records), '-q', ...quiet, '-X', 'fetch.wait.max.ms=100']);
    await sleep(2000);
    const session = new Session();
    if (alloc) {
      session.connect();
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    const before = await requestCounts(url);
    const gc = { minor: 0, major: 0, ms: 0, maxMs: 0 };
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (Reflect.get(e, 'detail') as { kind?: number } | undefined)?.kind ?? 0;
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
        else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
        gc.ms += e.duration;
        gc.maxMs = Math.max(gc.maxMs, e.duration);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const cpu0 = process.cpuUsage();
    await run(['-P', '-t', 'cost', '-b', bootstrap, '-s', '100', '-a', ACKS, '-r', String(rate), '-c', String(records), '-q', ...quiet, '-X', `linger.ms=${LINGER}`]);
    const cpu = process.cpuUsage(cpu0);
    obs.disconnect();
    const after = await requestCounts(url);
    let allocKb: number | null = null;
    let topAlloc: { fn: string; bytes: number }[] | undefined;
    const produce = (after['Produce'] ?? 0) - (before['Produce'] ?? 0);
    const fetches = (after['Fetch'] ?? 0) - (before['Fetch'] ?? 0);
    const n = Math.max(1, produce + fetches);
    if (alloc) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      session.disconnect();
      allocKb = totalBytes(profile.head as SamplingNode) / n / 1000;
      if (top > 0) topAlloc = topAllocators(profile.head as SamplingNode, top, n);
    }
    await Promise.race([consumer, sleep(10_000)]);
    return { produce, fetch: fetches, userUs: cpu.user / n, systemUs: cpu.system / n, allocKb, gc, ...(topAlloc !== undefined ? { topAlloc } : {}) };
  } finally {
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(root: string, rate: number, seconds: number, alloc: boolean, top: number): Cost {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', root, '--rate', String(rate), '--seconds', String(seconds), '--top', String(top), '--acks', ACKS, '--linger', LINGER, ...(alloc ? ['--alloc'] : [])], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Cost;
  } catch {
    throw new Error(`request-cost child failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

async function main(): Promise<void> {
  const rate = Number(arg('--rate') ?? 50_000);
  const seconds = Number(arg('--seconds') ?? 6);
  const alloc = process.argv.includes('--alloc');
  const top = Number(arg('--top') ?? 0);
  const childRoot = arg('--child');
  if (childRoot !== undefined) {
    process.stdout.write(`${JSON.stringify(await child(childRoot, rate, seconds, alloc, top))}\n`);
    process.exit(0);
  }
  const rounds = Number(arg('--rounds') ?? 3);
  const baseline = arg('--baseline');
  const builds: [string, string][] = baseline !== undefined ? [['baseline', resolve(baseline)], ['this build', ROOT]] : [['this build', ROOT]];
  const results = new Map<string, Cost[]>(builds.map(([name]) => [name, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, root] of i % 2 === 0 ? builds : [...builds].reverse()) {
      const c = measure(root, rate, seconds, alloc, top);
      results.get(name)?.push(c);
      console.log(`${name}: ${c.produce} Produce + ${c.fetch} Fetch; per request ${(c.userUs + c.systemUs).toFixed(1)} µs CPU (user ${c.userUs.toFixed(1)}, system ${c.systemUs.toFixed(1)})${c.allocKb !== null ? `, ${c.allocKb.toFixed(2)} KB allocated` : ''}; GC ${c.gc.minor} scavenges + ${c.gc.major} mark-compacts, ${c.gc.ms.toFixed(0)} ms (longest ${c.gc.maxMs.toFixed(1)})`);
      for (const t of c.topAlloc ?? []) console.log(`  ${t.bytes.toFixed(0).padStart(6)} B/request  ${t.fn}`);
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const span = (xs: number[]): string => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  console.log(`\n| build | CPU µs per request (median, range) | user | system |${alloc ? ' KB allocated per request |' : ''}`);
  console.log(`|:---|---:|---:|---:|${alloc ? '---:|' : ''}`);
  for (const [name, cs] of results) {
    const tot = cs.map((c) => c.userUs + c.systemUs);
    const kb = cs.map((c) => c.allocKb ?? 0);
    console.log(`| ${name} | ${med(tot).toFixed(1)} (${span(tot)}) | ${med(cs.map((c) => c.userUs)).toFixed(1)} | ${med(cs.map((c) => c.systemUs)).toFixed(1)} |${alloc ? ` ${med(kb).toFixed(2)} (${span(kb)}) |` : ''}`);
  }
}

await main();
