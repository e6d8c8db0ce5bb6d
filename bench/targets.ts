/**
 * The report's acceptance targets, computed from a run's results: every target of the
 * performance issue (22) and the cluster issue's bench goal (13, must-show 6) as a row with its
 * goal, the median of the runs and their spread (min–max over n runs), and PASS/FAIL.
 *
 * Ratios are formed per run pair (run k of Samsa ÷ run k of the baseline, measured one after the
 * other in the same run of the bench) and then summarised, so a drift in machine load during the
 * run widens the spread rather than favouring one side. Rows a section did not run say so
 * ("not measured") instead of disappearing.
 */
import type { BenchResults, Target, Throughput } from './report.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median (the lower middle for an even count), min and max; null for no values. */
export function spreadOf(values: readonly number[]): Spread | null {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  return { median: xs[Math.floor((xs.length - 1) / 2)] as number, min: xs[0] as number, max: xs[xs.length - 1] as number, n: xs.length };
}

function show(s: Spread | null, digits: number, unit = ''): string {
  if (s === null) return 'n/a';
  const f = (x: number): string => x.toFixed(digits);
  return s.n === 1 ? `${f(s.median)}${unit} (1 run)` : `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)}, ${s.n} runs)`;
}

type Compare = 'atLeast' | 'below' | 'atMost';

function row(name: string, goal: number, compare: Compare, s: Spread | null, digits: number, unit = ''): Target {
  const sign = compare === 'atLeast' ? '≥' : compare === 'below' ? '<' : '≤';
  const pass = s === null ? null : compare === 'atLeast' ? s.median >= goal : compare === 'below' ? s.median < goal : s.median <= goal;
  return { name, target: `${sign} ${goal}${unit}`, measured: show(s, digits, unit), pass };
}

const ok = (t: Throughput | null | undefined): t is Throughput => t !== null && t !== undefined && t.error === undefined && t.recordsPerSec > 0;

/** Per-run-pair ratios of a workload's Samsa and null-broker runs, `pick` choosing the figure. */
function pairRatios(r: BenchResults, workload: string, pick: (x: BenchResults['runs'][number]) => number | null): number[] {
  const byRun = new Map<number, { samsa?: number | null; nul?: number | null }>();
  for (const x of r.runs) {
    if (x.workload !== workload) continue;
    const e = byRun.get(x.run) ?? {};
    if (x.broker === 'samsa') e.samsa = pick(x);
    else e.nul = pick(x);
    byRun.set(x.run, e);
  }
  const out: number[] = [];
  for (const e of byRun.values()) if (typeof e.samsa === 'number' && typeof e.nul === 'number' && e.nul > 0) out.push(e.samsa / e.nul);
  return out;
}

/** Broker CPU-seconds per GB of record values moved by one run (null without a CPU figure). */
function cpuPerGb(cpuMs: number | null | undefined, t: Throughput | null | undefined): number | null {
  if (cpuMs === null || cpuMs === undefined || !ok(t) || t.bytes <= 0) return null;
  return cpuMs / 1000 / (t.bytes / 1e9);
}

export function acceptanceTargets(r: BenchResults): Target[] {
  const targets: Target[] = [];
  const measuredProduce = r.runs.length > 0;

  // Issue 22 target 1: produce 1 KiB ≥ 0.95 × the null broker (acks=1 and acks=all).
  for (const acks of ['1', 'all']) {
    const w = `1 KiB, acks=${acks}`;
    const ratios = pairRatios(r, w, (x) => (ok(x.produce) ? x.produce.recordsPerSec : null));
    targets.push(row(`Produce ${w}: Samsa ÷ null broker (issue 22, target 1)`, 0.95, 'atLeast', measuredProduce ? spreadOf(ratios) : null, 2));
  }

  // Issue 22 target 2: 100 B, acks=all, linger 1 ms, at 10k and 50k records/s.
  for (const rate of [10_000, 50_000]) {
    const l = r.latency.find((x) => x.rate === rate);
    const runs = l?.runs ?? [];
    const label = `End-to-end latency at ${rate.toLocaleString('en-US')} rec/s (100 B, acks=all, linger 1 ms)`;
    targets.push(row(`${label}: p99 (issue 22, target 2)`, 2, 'below', l ? spreadOf(runs.flatMap((x) => (x.endToEnd ? [x.endToEnd.p99] : []))) : null, 2, ' ms'));
    targets.push(row(`${label}: p99.9 (issue 22, target 2)`, 5, 'below', l ? spreadOf(runs.flatMap((x) => (x.endToEnd ? [x.endToEnd.p999] : []))) : null, 2, ' ms'));
  }

  // Issue 22 target 3: start-up.
  const su = r.startupRuns;
  targets.push(row('Launch → first acknowledged produce, empty data dir (issue 22, target 3)', 150, 'below', su ? spreadOf(su.samsaCold) : null, 0, ' ms'));
  targets.push(row('Launch → first acknowledged produce, data dir of 1,000 partitions (issue 22, target 3)', 500, 'below', su ? spreadOf(su.samsaWarm1k) : null, 0, ' ms'));

  // Issue 22 target 4: broker CPU per GB, Samsa ÷ null broker, 1 KiB produce; consume reported.
  for (const acks of ['1', 'all']) {
    const w = `1 KiB, acks=${acks}`;
    const ratios = pairRatios(r, w, (x) => cpuPerGb(x.produceCpuMs, x.produce));
    targets.push(row(`Broker CPU-s per GB, produce ${w}: Samsa ÷ null broker (issue 22, target 4)`, 1.5, 'atMost', measuredProduce ? spreadOf(ratios) : null, 2, '×'));
  }
  for (const size of ['100 B', '1 KiB']) {
    const w = `${size}, acks=1`;
    const samsa = spreadOf(r.runs.filter((x) => x.workload === w && x.broker === 'samsa').flatMap((x) => { const v = cpuPerGb(x.consumeCpuMs, x.consume); return v === null ? [] : [v]; }));
    const ratios = spreadOf(pairRatios(r, w, (x) => cpuPerGb(x.consumeCpuMs, x.consume)));
    targets.push({ name: `Broker CPU-s per GB, consume ${size}: Samsa (÷ null broker's synthetic fetch) (issue 22, target 4)`, target: 'reported', measured: samsa === null ? 'n/a' : `${show(samsa, 3, ' s/GB')}; ratio ${show(ratios, 2, '×')}`, pass: samsa === null ? null : true });
  }

  // Issue 22 target 5 (and issue 13 must-show 6): the cluster, and TLS.
  const cl = r.cluster;
  const clusterRatios: number[] = [];
  if (cl !== undefined) {
    const byRun = new Map<number, { single?: Throughput; cluster?: Throughput }>();
    for (const x of cl.runs) byRun.set(x.run, { ...byRun.get(x.run), [x.target]: x.produce });
    for (const e of byRun.values()) if (ok(e.single) && ok(e.cluster)) clusterRatios.push(e.cluster.recordsPerSec / e.single.recordsPerSec);
  }
  const clName = 'Produce 1 KiB acks=all: 3 brokers, RF 3, min.insync.replicas=2 ÷ single broker';
  targets.push(row(`${clName} (issue 13, must-show 6)`, 0.5, 'atLeast', cl ? spreadOf(clusterRatios) : null, 2));
  targets.push(row(`${clName} (issue 22, target 5)`, 0.6, 'atLeast', cl ? spreadOf(clusterRatios) : null, 2));
  for (const dir of ['produce', 'consume'] as const) {
    const ratios: number[] = [];
    const sec = r.security;
    for (const x of sec?.runs ?? []) {
      if (x.protocol !== 'SSL') continue;
      const base = sec?.runs?.find((y) => y.protocol === 'PLAINTEXT' && y.workload === x.workload && y.run === x.run);
      const a = x[dir];
      const b = base?.[dir];
      if (ok(a) && ok(b)) ratios.push(a.recordsPerSec / b.recordsPerSec);
    }
    targets.push(row(`TLS ${dir} ÷ PLAINTEXT, 100 B and 1 KiB acks=1 (issue 22, target 5)`, 0.7, 'atLeast', sec ? spreadOf(ratios) : null, 2));
  }

  // Issue 22 target 6: the partition-scale curve is its own section (partitions100k); its rows are listed there.
  const idle = r.memory.samsaIdleMB;
  targets.push({ name: 'Idle RSS', target: '< 100 MB', measured: idle === null ? 'n/a' : `${idle.toFixed(1)} MB`, pass: idle === null ? null : idle < 100 });
  for (const m of r.metricsCost?.rows ?? []) {
    targets.push({ name: `Metrics cost, produce ${m.workload} (metrics.listeners on, scraped every second ÷ off)`, target: '< 3 %', measured: m.cost === null ? 'n/a' : `${(m.cost * 100).toFixed(1)} %`, pass: m.cost === null ? null : m.cost < 0.03 });
  }
  return targets;
}
