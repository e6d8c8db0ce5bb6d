/**
 * The bench's acceptance targets (bench/targets.ts): ratios per run pair, median and spread,
 * PASS/FAIL against the goal, and "not measured" for sections that did not run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptanceTargets, spreadOf } from '../../bench/targets.js';
import { emptyResults, renderMarkdown, type BenchResults, type Throughput } from '../../bench/report.js';
import type { SecurityRun } from '../../bench/security.js';

const tp = (recordsPerSec: number, bytes = 1e9): Throughput => ({ records: 1, bytes, elapsedMs: 1, recordsPerSec, mbPerSec: 1 });

function empty(): BenchResults {
  return emptyResults({ date: '', scale: 'test', node: '', librdkafka: '', cpus: 2, cpuModel: '', loadAvgAtStart: [], commit: '', durationSec: 0, notes: [] }, 0);
}

test('spreadOf: median (lower middle), min, max and count; nothing for no values', () => {
  assert.deepEqual(spreadOf([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(spreadOf([4, 1, 3, 2]), { median: 2, min: 1, max: 4, n: 4 });
  assert.equal(spreadOf([]), null);
});

test('produce and CPU targets pair run k of Samsa with run k of the null broker', () => {
  const r = empty();
  const w = '1 KiB, acks=1';
  // Samsa's runs 100, 90, 80; the null broker's 100, 100, 50 → ratios 1.0, 0.9, 1.6 → median 1.0.
  for (const [run, s, n] of [[1, 100, 100], [2, 90, 100], [3, 80, 50]] as const) {
    r.runs.push({ workload: w, broker: 'samsa', run, produce: tp(s), consume: null, produceCpuMs: 2000, consumeCpuMs: null });
    r.runs.push({ workload: w, broker: 'null', run, produce: tp(n), consume: null, produceCpuMs: 1000, consumeCpuMs: null });
  }
  const t = acceptanceTargets(r);
  const produce = t.find((x) => x.name.startsWith('Produce 1 KiB, acks=1'));
  assert.equal(produce?.measured, '1.00 (0.90–1.60, 3 runs)');
  assert.equal(produce?.pass, true);
  const cpu = t.find((x) => x.name.startsWith('Broker CPU-s per GB, produce 1 KiB, acks=1'));
  assert.equal(cpu?.measured, '2.00× (2.00–2.00, 3 runs)');
  assert.equal(cpu?.pass, false, '2× the null broker fails ≤ 1.5×');
  // acks=all did not run: still a row, not measured... only when the section ran at all.
  assert.equal(t.find((x) => x.name.startsWith('Produce 1 KiB, acks=all'))?.measured, 'n/a');
  assert.equal(t.find((x) => x.name.startsWith('Launch → first acknowledged produce, empty'))?.pass, null);
});

test('latency targets use each run\'s percentiles; the cluster rows pair runs by number', () => {
  const r = empty();
  const s = (p99: number, p999: number) => ({ count: 1, mean: 1, p50: 1, p99, p999, max: p999 });
  r.latency.push({ rate: 10_000, records: 1, samsaEndToEnd: null, samsaProduceAck: null, nullProduceAck: null, received: 1, runs: [1.5, 1.8, 9].map((p) => ({ endToEnd: s(p, p * 2), produceAck: null, nullProduceAck: null })) });
  r.cluster = { brokers: 3, partitions: 6, replicationFactor: 3, minInsyncReplicas: 2, recordSize: 1024, records: 1, etcdStartMs: null, clusterReadyMs: null, single: null, cluster: null, ratio: null, latency: null, runs: [
    { target: 'single', run: 1, produce: tp(100), brokerCpuSec: 1 },
    { target: 'cluster', run: 1, produce: tp(55), brokerCpuSec: 1 },
    { target: 'single', run: 2, produce: tp(200), brokerCpuSec: 1 },
    { target: 'cluster', run: 2, produce: tp(90), brokerCpuSec: 1 },
  ] };
  const t = acceptanceTargets(r);
  const p99 = t.find((x) => x.name.includes('10,000 rec/s') && x.name.includes('p99 ('));
  assert.equal(p99?.measured, '1.80 ms (1.50–9.00, 3 runs)');
  assert.equal(p99?.pass, true);
  const p999 = t.find((x) => x.name.includes('10,000 rec/s') && x.name.includes('p99.9'));
  assert.equal(p999?.pass, true, 'median 3.6 ms < 5 ms');
  const c13 = t.find((x) => x.name.includes('issue 13'));
  assert.equal(c13?.measured, '0.45 (0.45–0.55, 2 runs)');
  assert.equal(c13?.pass, false);
});

test('floors (targets 1 and 4): store-only ÷ null broker and Samsa ÷ store-only per run pair; store runs leave Samsa ÷ null broker alone', () => {
  const r = empty();
  const w = '1 KiB, acks=1';
  // Per run: Samsa, null broker, store-only (records/s, broker CPU ms for 1 GB).
  for (const [run, s, n, st, sCpu, nCpu, stCpu] of [[1, 80, 100, 90, 2400, 1000, 1800], [2, 70, 100, 80, 2200, 1000, 2000], [3, 90, 100, 100, 2600, 1000, 1600]] as const) {
    r.runs.push({ workload: w, broker: 'samsa', run, produce: tp(s), consume: null, produceCpuMs: sCpu, consumeCpuMs: null });
    r.runs.push({ workload: w, broker: 'null', run, produce: tp(n), consume: null, produceCpuMs: nCpu, consumeCpuMs: null });
    r.runs.push({ workload: w, broker: 'store', run, produce: tp(st), consume: null, produceCpuMs: stCpu, consumeCpuMs: null });
  }
  const t = acceptanceTargets(r);
  const by = (prefix: string) => t.find((x) => x.name.startsWith(prefix));
  assert.equal(by('Produce 1 KiB, acks=1: Samsa ÷ null broker')?.measured, '0.80 (0.70–0.90, 3 runs)', 'the store runs are not null-broker runs');
  const floor = by('Produce 1 KiB, acks=1: store-only broker ÷ null broker');
  assert.match(floor?.name ?? '', /floor \(store-only broker, same run\) \(issue 22, target 1\)$/);
  assert.equal(floor?.measured, '0.90 (0.80–1.00, 3 runs)');
  assert.equal(floor?.floor, true);
  assert.equal(floor?.pass, false, 'a floor of 0.90 does not reach ≥ 0.95');
  assert.equal(by('Produce 1 KiB, acks=1: Samsa ÷ store-only broker')?.measured, '0.89 (0.88–0.90, 3 runs)');
  assert.equal(by('Broker CPU-s per GB, produce 1 KiB, acks=1: Samsa ÷ null broker')?.measured, '2.40× (2.20–2.60, 3 runs)');
  const cpuFloor = by('Broker CPU-s per GB, produce 1 KiB, acks=1: store-only broker ÷ null broker');
  assert.equal(cpuFloor?.measured, '1.80× (1.60–2.00, 3 runs)');
  assert.equal(cpuFloor?.pass, false, '1.8× is above the ≤ 1.5× goal: out of reach for a broker that stores');
  assert.equal(by('Broker CPU-s per GB, produce 1 KiB, acks=1: Samsa ÷ store-only broker')?.measured, '1.33× (1.10–1.63, 3 runs)');
  // acks=all had no runs: its floor rows are there, not measured... and the report prints them.
  assert.equal(by('Produce 1 KiB, acks=all: store-only broker ÷ null broker')?.measured, 'n/a');
  const md = renderMarkdown({ ...r, targets: t });
  assert.match(md, /\| Produce 1 KiB, acks=1: store-only broker ÷ null broker — floor \(store-only broker, same run\) \(issue 22, target 1\) \| ≥ 0\.95 \| 0\.90 \(0\.80–1\.00, 3 runs\) \| floor: below goal \|/);
  assert.match(md, /\| Broker CPU-s per GB, produce 1 KiB, acks=1: Samsa ÷ store-only broker \(issue 22, target 4\) \| reported \| 1\.33× \(1\.10–1\.63, 3 runs\) \| reported \|/);
  assert.match(md, /## Produce floor: the store-only broker \(same run\)/);
  assert.match(md, /\| 1 KiB, acks=1 \| 90 \(80–100, 3 runs\) \| 0\.90 \(0\.80–1\.00, 3 runs\) \| 0\.89 \(0\.88–0\.90, 3 runs\) \| 1\.000 \(1\.000–1\.000, 3 runs\) \| 1\.800 \(1\.600–2\.000, 3 runs\) \| 2\.400 \(2\.200–2\.600, 3 runs\) \|/);
});

test('floors (target 5): null broker TLS ÷ PLAINTEXT against the goal, Samsa SSL ÷ null SSL; Samsa\'s own row ignores the null broker\'s runs', () => {
  const r = empty();
  const run = (broker: 'samsa' | 'null' | undefined, protocol: 'PLAINTEXT' | 'SSL', n: number, p: number, c: number): SecurityRun => ({ workload: '1 KiB, acks=1', ...(broker ? { broker } : {}), protocol, run: n, produce: tp(p), consume: tp(c) });
  r.security = {
    rows: [],
    runs: [
      // Run 1: Samsa SSL 50/PLAINTEXT 100 (produce), null broker SSL 60/PLAINTEXT 100; the null runs listed first.
      run('null', 'SSL', 1, 60, 40), run('null', 'PLAINTEXT', 1, 100, 100), run('samsa', 'SSL', 1, 50, 70), run('samsa', 'PLAINTEXT', 1, 100, 100),
      // Run 2: an older result's Samsa runs carry no broker field.
      run('null', 'SSL', 2, 65, 50), run('null', 'PLAINTEXT', 2, 100, 100), run(undefined, 'SSL', 2, 60, 80), run(undefined, 'PLAINTEXT', 2, 100, 100),
    ],
    nullRows: [],
    nullSuites: ['TLSv1.3 TLS_AES_256_GCM_SHA384'],
  };
  const t = acceptanceTargets(r);
  const by = (prefix: string) => t.filter((x) => x.name.startsWith(prefix));
  const [samsaProduce, nullProduce] = by('TLS produce ÷ PLAINTEXT');
  assert.equal(samsaProduce?.measured, '0.50 (0.50–0.60, 2 runs)', 'Samsa SSL ÷ Samsa PLAINTEXT only');
  assert.equal(samsaProduce?.pass, false);
  assert.match(nullProduce?.name ?? '', /null broker — floor \(null broker, same run\) \(issue 22, target 5\)$/);
  assert.equal(nullProduce?.measured, '0.60 (0.60–0.65, 2 runs)');
  assert.equal(nullProduce?.pass, false, 'the floor is below 0.7 too');
  assert.equal(by('TLS produce, 100 B and 1 KiB acks=1: Samsa SSL ÷ null broker SSL')[0]?.measured, '0.83 (0.83–0.92, 2 runs)');
  const [samsaConsume, nullConsume] = by('TLS consume ÷ PLAINTEXT');
  assert.equal(samsaConsume?.measured, '0.70 (0.70–0.80, 2 runs)');
  assert.equal(nullConsume?.measured, '0.40 (0.40–0.50, 2 runs)');
  assert.equal(by('TLS consume, 100 B and 1 KiB acks=1: Samsa SSL ÷ null broker SSL')[0]?.measured, '1.60 (1.60–1.75, 2 runs)');
  const md = renderMarkdown({ ...r, targets: t });
  assert.match(md, /\| TLS produce ÷ PLAINTEXT, 100 B and 1 KiB acks=1: null broker — floor \(null broker, same run\) \(issue 22, target 5\) \| ≥ 0\.7 \| 0\.60 \(0\.60–0\.65, 2 runs\) \| floor: below goal \|/);
});

test('target 5, broker CPU per GB: SSL ÷ PLAINTEXT per run pair for Samsa and the null broker, reported; the security tables show CPU-s/GB per protocol', () => {
  const r = empty();
  const w = '1 KiB, acks=1';
  // 1e9 bytes per phase, so CPU ms / 1000 = CPU-s/GB.
  const run = (broker: 'samsa' | 'null', protocol: 'PLAINTEXT' | 'SSL', n: number, produceCpuMs?: number, consumeCpuMs = 0): SecurityRun => ({
    workload: w, broker, protocol, run: n, produce: tp(100), consume: tp(100), ...(produceCpuMs === undefined ? {} : { produceCpuMs, consumeCpuMs }),
  });
  const none = acceptanceTargets(r).filter((x) => x.name.startsWith('Broker CPU-s per GB, TLS'));
  assert.equal(none.length, 4, 'produce and consume, Samsa and the null broker');
  assert.ok(none.every((x) => x.pass === null && x.target === 'reported'), 'not measured without a security section');
  r.security = {
    rows: [
      { workload: w, records: 1, protocol: 'PLAINTEXT', produce: tp(100), consume: tp(100), produceRatio: 1, consumeRatio: 1 },
      { workload: w, records: 1, protocol: 'SSL', produce: tp(100), consume: tp(100), produceRatio: 1, consumeRatio: 1 },
    ],
    runs: [
      // Samsa: produce 1.0 → 1.5 s/GB and 1.0 → 1.8; consume 0.8 → 1.2 and 1.0 → 1.3.
      run('samsa', 'PLAINTEXT', 1, 1000, 800), run('samsa', 'SSL', 1, 1500, 1200), run('samsa', 'PLAINTEXT', 2, 1000, 1000), run('samsa', 'SSL', 2, 1800, 1300),
      // The null broker: produce 0.5 → 1.0 and 0.4 → 1.0; consume 0.2 → 0.5 and 0.25 → 0.5.
      run('null', 'SSL', 1, 1000, 500), run('null', 'PLAINTEXT', 1, 500, 200), run('null', 'SSL', 2, 1000, 500), run('null', 'PLAINTEXT', 2, 400, 250),
      // Run 3 of an older result: no CPU figures, so no pair.
      run('samsa', 'PLAINTEXT', 3), run('samsa', 'SSL', 3), run('null', 'PLAINTEXT', 3), run('null', 'SSL', 3),
    ],
    nullRows: [
      { workload: w, records: 1, protocol: 'PLAINTEXT', produce: tp(100), consume: tp(100), produceRatio: 1, consumeRatio: 1 },
      { workload: w, records: 1, protocol: 'SSL', produce: tp(100), consume: tp(100), produceRatio: 1, consumeRatio: 1 },
    ],
  };
  const t = acceptanceTargets(r);
  const row = (name: string) => t.find((x) => x.name === name);
  const name = (dir: string, who: string): string => `Broker CPU-s per GB, TLS ${dir}, 100 B and 1 KiB acks=1: ${who} SSL ÷ PLAINTEXT (issue 22, target 5)`;
  assert.equal(row(name('produce', 'Samsa'))?.measured, '1.50× (1.50–1.80, 2 runs)');
  assert.equal(row(name('produce', 'null broker'))?.measured, '2.00× (2.00–2.50, 2 runs)');
  assert.equal(row(name('consume', 'Samsa'))?.measured, '1.30× (1.30–1.50, 2 runs)');
  assert.equal(row(name('consume', 'null broker'))?.measured, '2.00× (2.00–2.50, 2 runs)');
  for (const dir of ['produce', 'consume']) for (const who of ['Samsa', 'null broker']) assert.equal(row(name(dir, who))?.pass, true);
  const md = renderMarkdown({ ...r, targets: t });
  assert.match(md, /\| Broker CPU-s per GB, TLS produce, 100 B and 1 KiB acks=1: Samsa SSL ÷ PLAINTEXT \(issue 22, target 5\) \| reported \| 1\.50× \(1\.50–1\.80, 2 runs\) \| reported \|/);
  assert.match(md, /\| Broker CPU-s per GB, TLS consume, 100 B and 1 KiB acks=1: null broker SSL ÷ PLAINTEXT \(issue 22, target 5\) \| reported \| 2\.00× \(2\.00–2\.50, 2 runs\) \| reported \|/);
  // The security tables: Samsa's and the null broker's CPU-s/GB per protocol, produce and consume.
  assert.match(md, /\| Workload \| Protocol \| Produce \| ÷ PLAINTEXT \| Produce CPU-s\/GB \| Consume \| ÷ PLAINTEXT \| Consume CPU-s\/GB \|/);
  assert.match(md, /\| 1 KiB, acks=1 \| PLAINTEXT \| [^|]+ \| 1\.00 \| 1\.00 \(1\.00–1\.00, 2 runs\) \| [^|]+ \| 1\.00 \| 0\.80 \(0\.80–1\.00, 2 runs\) \|/);
  assert.match(md, /\| 1 KiB, acks=1 \| SSL \| [^|]+ \| 1\.00 \| 1\.50 \(1\.50–1\.80, 2 runs\) \| [^|]+ \| 1\.00 \| 1\.20 \(1\.20–1\.30, 2 runs\) \|/);
  assert.match(md, /\| 1 KiB, acks=1 \| PLAINTEXT \| [^|]+ \| 1\.00 \| 0\.40 \(0\.40–0\.50, 2 runs\) \| [^|]+ \| 1\.00 \| 0\.20 \(0\.20–0\.25, 2 runs\) \|/);
  assert.match(md, /\| 1 KiB, acks=1 \| SSL \| [^|]+ \| 1\.00 \| 1\.00 \(1\.00–1\.00, 2 runs\) \| [^|]+ \| 1\.00 \| 0\.50 \(0\.50–0\.50, 2 runs\) \|/);
});
