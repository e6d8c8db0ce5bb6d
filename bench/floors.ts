/**
 * Same-run floors for the targets that sit at this machine's limits (issue 22, targets 1, 4 and 5):
 * what a broker doing only the unavoidable part of the work reaches, measured in the same run as
 * Samsa and the null broker, so the report shows whether a goal is reachable at all here.
 *
 * - Produce (targets 1 and 4): the store-only broker (the null broker in store mode,
 *   null-store.ts: CRC32C of every batch, every byte written to one file per partition) runs in the
 *   produce section's rotation beside Samsa and the null broker. Rows: store-only ÷ null broker
 *   (throughput, CPU-seconds per GB) against the goal, and Samsa ÷ store-only.
 * - TLS (target 5): the null broker with an SSL listener (null-tls.ts: Samsa's TLS settings and
 *   read path) runs in the security section's rotation. Rows: null broker SSL ÷ PLAINTEXT against
 *   the goal, and Samsa SSL ÷ null broker SSL; reported beside them, each broker's CPU-seconds per
 *   GB over SSL ÷ over PLAINTEXT (produce and consume).
 *
 * Ratios pair run k of one broker with run k of the other, as bench/targets.ts does. A floor row
 * carries `floor: true`; the report reads its result as whether the floor itself meets the goal.
 * The store-only rows bound Samsa (it does all of that work and more); the null broker's TLS ratio
 * is TLS's cost with no broker work beside it, the lowest such ratio, so for TLS the row to read
 * is Samsa SSL ÷ null broker SSL (bench/README.md, Same-run floors).
 */
import type { BenchResults, Target, Throughput } from './report.js';
import type { SecurityRun } from './security.js';

/** The store-only broker's name in results.runs. */
export const STORE_BROKER = 'store';

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

export function showSpread(s: Spread | null, digits: number, unit = ''): string {
  if (s === null) return 'n/a';
  const f = (x: number): string => x.toFixed(digits);
  return s.n === 1 ? `${f(s.median)}${unit} (1 run)` : `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)}, ${s.n} runs)`;
}

export type Compare = 'atLeast' | 'below' | 'atMost';

export function targetRow(name: string, goal: number, compare: Compare, s: Spread | null, digits: number, unit = ''): Target {
  const sign = compare === 'atLeast' ? '≥' : compare === 'below' ? '<' : '≤';
  const pass = s === null ? null : compare === 'atLeast' ? s.median >= goal : compare === 'below' ? s.median < goal : s.median <= goal;
  return { name, target: `${sign} ${goal}${unit}`, measured: showSpread(s, digits, unit), pass };
}

/** A reported ratio (no goal of its own). */
function reportedRow(name: string, s: Spread | null, digits: number, unit = ''): Target {
  return { name, target: 'reported', measured: showSpread(s, digits, unit), pass: s === null ? null : true };
}

export const ok = (t: Throughput | null | undefined): t is Throughput => t !== null && t !== undefined && t.error === undefined && t.recordsPerSec > 0;

type Run = BenchResults['runs'][number];

/** Per-run-pair ratios `a ÷ b` of a workload's runs on brokers `a` and `b`, `pick` choosing the figure. */
export function pairRatios(r: BenchResults, workload: string, a: string, b: string, pick: (x: Run) => number | null): number[] {
  const byRun = new Map<number, { a?: number | null; b?: number | null }>();
  for (const x of r.runs) {
    if (x.workload !== workload || (x.broker !== a && x.broker !== b)) continue;
    const e = byRun.get(x.run) ?? {};
    if (x.broker === a) e.a = pick(x);
    else e.b = pick(x);
    byRun.set(x.run, e);
  }
  const out: number[] = [];
  for (const e of byRun.values()) if (typeof e.a === 'number' && typeof e.b === 'number' && e.b > 0) out.push(e.a / e.b);
  return out;
}

/** Broker CPU-seconds per GB of record values moved by one run (null without a CPU figure). */
export function cpuPerGb(cpuMs: number | null | undefined, t: Throughput | null | undefined): number | null {
  if (cpuMs === null || cpuMs === undefined || !ok(t) || t.bytes <= 0) return null;
  return cpuMs / 1000 / (t.bytes / 1e9);
}

const produceRate = (x: Run): number | null => (ok(x.produce) ? x.produce.recordsPerSec : null);
const produceCpu = (x: Run): number | null => cpuPerGb(x.produceCpuMs, x.produce);

/** Target 1's floor rows for one workload: store-only ÷ null broker against the goal, and Samsa ÷ store-only. */
export function produceFloorTargets(r: BenchResults, workload: string, measured: boolean): Target[] {
  const s = (xs: number[]): Spread | null => (measured ? spreadOf(xs) : null);
  return [
    { ...targetRow(`Produce ${workload}: store-only broker ÷ null broker — floor (store-only broker, same run) (issue 22, target 1)`, 0.95, 'atLeast', s(pairRatios(r, workload, STORE_BROKER, 'null', produceRate)), 2), floor: true },
    reportedRow(`Produce ${workload}: Samsa ÷ store-only broker (issue 22, target 1)`, s(pairRatios(r, workload, 'samsa', STORE_BROKER, produceRate)), 2),
  ];
}

/** Target 4's floor rows for one workload: CPU per GB, store-only ÷ null broker against the goal, and Samsa ÷ store-only. */
export function cpuFloorTargets(r: BenchResults, workload: string, measured: boolean): Target[] {
  const s = (xs: number[]): Spread | null => (measured ? spreadOf(xs) : null);
  return [
    { ...targetRow(`Broker CPU-s per GB, produce ${workload}: store-only broker ÷ null broker — floor (store-only broker, same run) (issue 22, target 4)`, 1.5, 'atMost', s(pairRatios(r, workload, STORE_BROKER, 'null', produceCpu)), 2, '×'), floor: true },
    reportedRow(`Broker CPU-s per GB, produce ${workload}: Samsa ÷ store-only broker (issue 22, target 4)`, s(pairRatios(r, workload, 'samsa', STORE_BROKER, produceCpu)), 2, '×'),
  ];
}

/** Whose run a security run is (runs written before the null broker took part are Samsa's). */
export const securityBroker = (x: SecurityRun): 'samsa' | 'null' => x.broker ?? 'samsa';

/** A security run's figure for one direction: records per second, or broker CPU-seconds per GB. */
type SecurityPick = (x: SecurityRun, dir: 'produce' | 'consume') => number | null;
const securityRate: SecurityPick = (x, dir) => {
  const t = x[dir];
  return ok(t) ? t.recordsPerSec : null;
};
/** Broker CPU-seconds per GB of one security run and direction (null in results written before it was measured). */
export const securityCpu: SecurityPick = (x, dir) => cpuPerGb(dir === 'produce' ? x.produceCpuMs : x.consumeCpuMs, x[dir]);

/** Per-run ratios of `dir` figures (throughput unless `pick` says otherwise): `a` ÷ `b`, each picked from the same workload and run number. */
function securityRatios(runs: readonly SecurityRun[], dir: 'produce' | 'consume', a: (x: SecurityRun) => boolean, b: (x: SecurityRun) => boolean, pick: SecurityPick = securityRate): number[] {
  const out: number[] = [];
  for (const x of runs) {
    if (!a(x)) continue;
    const y = runs.find((z) => b(z) && z.workload === x.workload && z.run === x.run);
    const p = pick(x, dir);
    const q = y === undefined ? null : pick(y, dir);
    if (p !== null && q !== null && q > 0) out.push(p / q);
  }
  return out;
}

/** SSL ÷ PLAINTEXT per run pair of one broker (target 5's ratio; broker CPU per GB with `pick` = securityCpu). */
export function tlsRatios(runs: readonly SecurityRun[], dir: 'produce' | 'consume', broker: 'samsa' | 'null', pick: SecurityPick = securityRate): number[] {
  const on = (protocol: string) => (x: SecurityRun): boolean => securityBroker(x) === broker && x.protocol === protocol;
  return securityRatios(runs, dir, on('SSL'), on('PLAINTEXT'), pick);
}

/** Target 5's floor rows for one direction: null broker SSL ÷ PLAINTEXT against the goal, and Samsa SSL ÷ null broker SSL. */
export function tlsFloorTargets(r: BenchResults, dir: 'produce' | 'consume'): Target[] {
  const sec = r.security;
  const runs = sec?.runs ?? [];
  const s = (xs: number[]): Spread | null => (sec === undefined ? null : spreadOf(xs));
  const ssl = (broker: 'samsa' | 'null') => (x: SecurityRun): boolean => securityBroker(x) === broker && x.protocol === 'SSL';
  return [
    { ...targetRow(`TLS ${dir} ÷ PLAINTEXT, 100 B and 1 KiB acks=1: null broker — floor (null broker, same run) (issue 22, target 5)`, 0.7, 'atLeast', s(tlsRatios(runs, dir, 'null')), 2), floor: true },
    reportedRow(`TLS ${dir}, 100 B and 1 KiB acks=1: Samsa SSL ÷ null broker SSL (issue 22, target 5)`, s(securityRatios(runs, dir, ssl('samsa'), ssl('null'))), 2),
  ];
}

/**
 * Target 5's CPU rows for one direction (reported, no goal): broker CPU-seconds per GB over SSL ÷
 * over PLAINTEXT per run pair, for Samsa and for the null broker. Steadier than the throughput
 * ratios on a shared machine; the difference of the two is what Samsa's TLS path costs beyond TLS.
 */
export function tlsCpuTargets(r: BenchResults, dir: 'produce' | 'consume'): Target[] {
  const sec = r.security;
  const runs = sec?.runs ?? [];
  const s = (xs: number[]): Spread | null => (sec === undefined ? null : spreadOf(xs));
  return (['samsa', 'null'] as const).map((broker) =>
    reportedRow(`Broker CPU-s per GB, TLS ${dir}, 100 B and 1 KiB acks=1: ${broker === 'samsa' ? 'Samsa' : 'null broker'} SSL ÷ PLAINTEXT (issue 22, target 5)`, s(tlsRatios(runs, dir, broker, securityCpu)), 2, '×'),
  );
}

/** The report's result cell of a target row. */
export function resultOf(t: Target): string {
  if (t.pass === null) return 'not measured';
  if (t.floor === true) return t.pass ? 'floor: goal reachable' : 'floor: below goal';
  if (t.target === 'reported') return 'reported';
  return t.pass ? 'PASS' : 'FAIL';
}

/** The produce section's floor table: store-only broker beside Samsa and the null broker, per workload (medians of the runs). */
export function renderProduceFloors(r: BenchResults, table: (head: string[], rows: string[][]) => string): string {
  const workloads = [...new Set(r.runs.filter((x) => x.broker === STORE_BROKER).map((x) => x.workload))];
  if (workloads.length === 0) return '';
  const out: string[] = ['## Produce floor: the store-only broker (same run)\n'];
  out.push('The null broker in store mode (bench/null-store.ts) checks the CRC32C of every batch with Samsa\'s native CRC and appends every byte received to one file per partition (one write() per partition per request; no offsets, index or fsync), answering as the null broker does. It runs in the produce rotation after Samsa and the null broker. Figures: median (min–max) over the runs; ratios per run pair.\n');
  const cpu = (broker: string, w: string): string => showSpread(spreadOf(r.runs.filter((x) => x.workload === w && x.broker === broker).flatMap((x) => { const v = produceCpu(x); return v === null ? [] : [v]; })), 3);
  const rate = (w: string): string => {
    const s = spreadOf(r.runs.filter((x) => x.workload === w && x.broker === STORE_BROKER).flatMap((x) => { const v = produceRate(x); return v === null ? [] : [v]; }));
    const f = (x: number): string => Math.round(x).toLocaleString('en-US');
    return s === null ? 'n/a' : s.n === 1 ? `${f(s.median)} (1 run)` : `${f(s.median)} (${f(s.min)}–${f(s.max)}, ${s.n} runs)`;
  };
  out.push(
    table(
      ['Workload', 'Store-only rec/s', 'Store-only ÷ null', 'Samsa ÷ store-only', 'CPU-s/GB null', 'CPU-s/GB store-only', 'CPU-s/GB Samsa', 'CPU store-only ÷ null', 'CPU Samsa ÷ store-only'],
      workloads.map((w) => [
        w,
        rate(w),
        showSpread(spreadOf(pairRatios(r, w, STORE_BROKER, 'null', produceRate)), 2),
        showSpread(spreadOf(pairRatios(r, w, 'samsa', STORE_BROKER, produceRate)), 2),
        cpu('null', w),
        cpu(STORE_BROKER, w),
        cpu('samsa', w),
        showSpread(spreadOf(pairRatios(r, w, STORE_BROKER, 'null', produceCpu)), 2, '×'),
        showSpread(spreadOf(pairRatios(r, w, 'samsa', STORE_BROKER, produceCpu)), 2, '×'),
      ]),
    ),
  );
  return out.join('\n');
}
