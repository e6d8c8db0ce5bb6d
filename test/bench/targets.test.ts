/**
 * The bench's acceptance targets (bench/targets.ts): ratios per run pair, median and spread,
 * PASS/FAIL against the goal, and "not measured" for sections that did not run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptanceTargets, spreadOf } from '../../bench/targets.js';
import { emptyResults, type BenchResults, type Throughput } from '../../bench/report.js';

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
