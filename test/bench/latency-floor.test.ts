/**
 * The latency section's same-run floor in the report (bench/report.ts) and the targets table
 * (bench/targets.ts): the null broker serving from memory, per run, beside Samsa's end-to-end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptanceTargets } from '../../bench/targets.js';
import { emptyResults, renderMarkdown, type BenchResults, type LatencyRow } from '../../bench/report.js';

const s = (p50: number, p99: number, p999: number) => ({ count: 1, mean: p50, p50, p99, p999, max: p999 });

function withLatency(): BenchResults {
  const r = emptyResults({ date: '', scale: 'test', node: '', librdkafka: '', cpus: 2, cpuModel: '', loadAvgAtStart: [], commit: '', durationSec: 0, notes: [] }, 0);
  // Samsa's p99 per run 1.5, 1.8, 9; the floor's 0.9, 1.1, 2.5 (p99.9 3×).
  const runs = [[1.5, 0.9], [1.8, 1.1], [9, 2.5]].map(([e, f]) => ({ endToEnd: s(1, e as number, (e as number) * 2), produceAck: null, nullProduceAck: null, floorEndToEnd: s(0.4, f as number, (f as number) * 3) }));
  const row: LatencyRow = { rate: 10_000, records: 100, samsaEndToEnd: s(1.11, 1.8, 3.6), samsaProduceAck: null, nullProduceAck: null, floorEndToEnd: s(0.44, 1.1, 3.3), received: 100, runs };
  r.latency.push(row);
  return r;
}

test('targets: floor rows for the latency target from each run of the null broker serving from memory; Samsa\'s rows and goals unchanged', () => {
  const t = acceptanceTargets(withLatency());
  const name = 'End-to-end latency at 10,000 rec/s (100 B, acks=all, linger 1 ms)';
  const samsaP99 = t.find((x) => x.name === `${name}: p99 (issue 22, target 2)`);
  assert.equal(samsaP99?.measured, '1.80 ms (1.50–9.00, 3 runs)');
  const p99 = t.find((x) => x.name === `${name}: p99, floor (null broker serving from memory, same run)`);
  assert.deepEqual(p99, { name: p99?.name, target: '< 2 ms', measured: '1.10 ms (0.90–2.50, 3 runs)', pass: true });
  const p999 = t.find((x) => x.name === `${name}: p99.9, floor (null broker serving from memory, same run)`);
  assert.equal(p999?.target, '< 5 ms');
  assert.equal(p999?.measured, '3.30 ms (2.70–7.50, 3 runs)');
  assert.equal(p999?.pass, true);
  // The floor rows sit right after Samsa's rows of the same rate.
  const i = t.findIndex((x) => x === samsaP99);
  assert.deepEqual(t.slice(i, i + 4).map((x) => x.name.slice(name.length)), [': p99 (issue 22, target 2)', ': p99.9 (issue 22, target 2)', ': p99, floor (null broker serving from memory, same run)', ': p99.9, floor (null broker serving from memory, same run)']);
  // A rate that did not run: not measured.
  const at50k = t.find((x) => x.name.startsWith('End-to-end latency at 50,000') && x.name.includes('p99, floor'));
  assert.equal(at50k?.pass, null);
});

test('report: the latency table has the floor\'s p50/p99/p99.9 columns beside Samsa\'s, and a floor run\'s error', () => {
  const r = withLatency();
  r.targets = acceptanceTargets(r);
  let md = renderMarkdown(r);
  assert.match(md, /\| Rate \(rec\/s\) \| Records \| Samsa e2e p50 \| p99 \| p99\.9 \| Floor e2e p50 \| p99 \| p99\.9 \| Samsa ack p50 \|/);
  assert.match(md, /\| 10,000 \| 100 \| 1\.11 \| 1\.80 \| 3\.60 \| 0\.44 \| 1\.10 \| 3\.30 \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \|/);
  assert.match(md, /null broker serving the produced batches from memory/);
  assert.match(md, /p99, floor \(null broker serving from memory, same run\) \| < 2 ms \| 1\.10 ms \(0\.90–2\.50, 3 runs\) \| PASS/);
  (r.latency[0] as LatencyRow).floorError = 'consumer saw 90 of 100 in run 2';
  md = renderMarkdown(r);
  assert.match(md, /\| 0\.44 \(consumer saw 90 of 100 in run 2\) \| 1\.10 \|/);
});
