/**
 * The report's acceptance targets, computed from a run's results: every target of the
 * performance issue (22) and the cluster issue's bench goal (13, must-show 6) as a row with its
 * goal, the median of the runs and their spread (min–max over n runs), and PASS/FAIL.
 *
 * Ratios are formed per run pair (run k of Samsa ÷ run k of the baseline, measured one after the
 * other in the same run of the bench) and then summarised, so a drift in machine load during the
 * run widens the spread rather than favouring one side. Rows a section did not run say so
 * ("not measured") instead of disappearing. Beside targets 1, 4 and 5 stand their same-run floors
 * (bench/floors.ts): the store-only broker's and the null broker's TLS ratios against the same goal.
 */
import { cpuFloorTargets, cpuPerGb, ok, pairRatios, produceFloorTargets, spreadOf, showSpread as show, targetRow as row, tlsCpuTargets, tlsFloorTargets, tlsRatios } from './floors.js';
import type { BenchResults, LatencySummary, Target, Throughput } from './report.js';
import type { Spread } from './floors.js';

export { spreadOf, type Spread } from './floors.js';

export function acceptanceTargets(r: BenchResults): Target[] {
  const targets: Target[] = [];
  const measuredProduce = r.runs.length > 0;

  // Issue 22 target 1: produce 1 KiB ≥ 0.95 × the null broker (acks=1 and acks=all).
  for (const acks of ['1', 'all']) {
    const w = `1 KiB, acks=${acks}`;
    const ratios = pairRatios(r, w, 'samsa', 'null', (x) => (ok(x.produce) ? x.produce.recordsPerSec : null));
    targets.push(row(`Produce ${w}: Samsa ÷ null broker (issue 22, target 1)`, 0.95, 'atLeast', measuredProduce ? spreadOf(ratios) : null, 2));
    targets.push(...produceFloorTargets(r, w, measuredProduce));
  }

  // Issue 22 target 2: 100 B, acks=all, linger 1 ms, at 10k and 50k records/s.
  for (const rate of [10_000, 50_000]) {
    const l = r.latency.find((x) => x.rate === rate);
    const runs = l?.runs ?? [];
    const label = `End-to-end latency at ${rate.toLocaleString('en-US')} rec/s (100 B, acks=all, linger 1 ms)`;
    targets.push(row(`${label}: p99 (issue 22, target 2)`, 2, 'below', l ? spreadOf(runs.flatMap((x) => (x.endToEnd ? [x.endToEnd.p99] : []))) : null, 2, ' ms'));
    targets.push(row(`${label}: p99.9 (issue 22, target 2)`, 5, 'below', l ? spreadOf(runs.flatMap((x) => (x.endToEnd ? [x.endToEnd.p999] : []))) : null, 2, ' ms'));
    // The same-run floor: the same pair against the null broker serving from memory (null-serve.ts).
    const floor = (pick: (s: LatencySummary) => number): Spread | null => (l ? spreadOf(runs.flatMap((x) => (x.floorEndToEnd ? [pick(x.floorEndToEnd)] : []))) : null);
    targets.push(row(`${label}: p99, floor (null broker serving from memory, same run)`, 2, 'below', floor((s) => s.p99), 2, ' ms'));
    targets.push(row(`${label}: p99.9, floor (null broker serving from memory, same run)`, 5, 'below', floor((s) => s.p999), 2, ' ms'));
  }

  // Issue 22 target 3: start-up.
  const su = r.startupRuns;
  targets.push(row('Launch → first acknowledged produce, empty data dir (issue 22, target 3)', 150, 'below', su ? spreadOf(su.samsaCold) : null, 0, ' ms'));
  targets.push(row('Launch → first acknowledged produce, data dir of 1,000 partitions (issue 22, target 3)', 500, 'below', su ? spreadOf(su.samsaWarm1k) : null, 0, ' ms'));

  // Issue 22 target 4: broker CPU per GB, Samsa ÷ null broker, 1 KiB produce; consume reported.
  for (const acks of ['1', 'all']) {
    const w = `1 KiB, acks=${acks}`;
    const ratios = pairRatios(r, w, 'samsa', 'null', (x) => cpuPerGb(x.produceCpuMs, x.produce));
    targets.push(row(`Broker CPU-s per GB, produce ${w}: Samsa ÷ null broker (issue 22, target 4)`, 1.5, 'atMost', measuredProduce ? spreadOf(ratios) : null, 2, '×'));
    targets.push(...cpuFloorTargets(r, w, measuredProduce));
  }
  for (const size of ['100 B', '1 KiB']) {
    const w = `${size}, acks=1`;
    const samsa = spreadOf(r.runs.filter((x) => x.workload === w && x.broker === 'samsa').flatMap((x) => { const v = cpuPerGb(x.consumeCpuMs, x.consume); return v === null ? [] : [v]; }));
    const ratios = spreadOf(pairRatios(r, w, 'samsa', 'null', (x) => cpuPerGb(x.consumeCpuMs, x.consume)));
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
    const sec = r.security;
    targets.push(row(`TLS ${dir} ÷ PLAINTEXT, 100 B and 1 KiB acks=1 (issue 22, target 5)`, 0.7, 'atLeast', sec ? spreadOf(tlsRatios(sec.runs ?? [], dir, 'samsa')) : null, 2));
    targets.push(...tlsFloorTargets(r, dir));
    targets.push(...tlsCpuTargets(r, dir));
  }

  // Issue 22 target 6: the partition-scale curve is its own section (partitions100k); its rows are listed there.
  const idle = r.memory.samsaIdleMB;
  targets.push({ name: 'Idle RSS', target: '< 100 MB', measured: idle === null ? 'n/a' : `${idle.toFixed(1)} MB`, pass: idle === null ? null : idle < 100 });
  for (const m of r.metricsCost?.rows ?? []) {
    targets.push({ name: `Metrics cost, produce ${m.workload} (metrics.listeners on, scraped every second ÷ off)`, target: '< 3 %', measured: m.cost === null ? 'n/a' : `${(m.cost * 100).toFixed(1)} %`, pass: m.cost === null ? null : m.cost < 0.03 });
  }
  return targets;
}
