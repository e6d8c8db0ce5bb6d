/**
 * The partitions100k section's report (bench/many-topics-report.ts): one column per step of the
 * growth curve, the cost per partition between counts (so super-linear growth shows), and the
 * issue 22 target 6 rows that flag it. Pure rendering of given figures, no broker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COST_MEASURES, manyTopicsTargets, marginalCost, renderManyTopics } from '../../bench/many-topics-report.js';
import type { ManyTopicsResult } from '../../bench/many-topics.js';

function step(topics: number, createMs: number, cleanStartMs: number, createOneMs: number): ManyTopicsResult {
  const s = { openFds: 100, rssMB: 100 + topics / 100 };
  return {
    topics, fdLimit: 20_000, createMs, createOneMs, writeMs: topics, afterWrite: s, cleanStopMs: topics, cleanStartMs, afterCleanStart: s,
    readAfterCleanMs: 1, secondWriteMs: 1, killStartMs: topics * 2, afterKillStart: s, readAfterKillMs: 1, afterRead: s, maxOpenFds: 100, maxRssMB: 200, errors: 0, loadAvg: [1, 2],
  };
}

test('the curve is rendered per step with the cost per partition between steps', () => {
  // Create is linear (1 ms per topic); the clean start is quadratic (n² / 1,000,000 ms).
  const curve = { steps: [step(1_000, 1_000, 1, 10), step(10_000, 10_000, 100, 11), step(100_000, 100_000, 10_000, 12)] };
  const create = COST_MEASURES.find((m) => m.label === 'Create');
  const start = COST_MEASURES.find((m) => m.label === 'Start after clean stop');
  assert.ok(create && start);
  const [a, b, c] = curve.steps as [ManyTopicsResult, ManyTopicsResult, ManyTopicsResult];
  assert.equal(marginalCost(create, a), 1);
  assert.equal(marginalCost(create, c, b), 1);
  assert.equal(marginalCost(start, b, a), 99 / 9_000);
  assert.equal(marginalCost(start, c, b), 9_900 / 90_000);
  const md = renderManyTopics(curve, (h, rows) => [h.join(' | '), ...rows.map((r) => r.join(' | '))].join('\n'));
  assert.match(md, /Step \| 1,000 topics \| 10,000 topics \| 100,000 topics/);
  assert.match(md, /Create \(ms per partition\) \| 1\.000 \| 1\.000 \| 1\.000/);
  assert.match(md, /1,000 → 10,000 \| 10,000 → 100,000/);

  const targets = manyTopicsTargets(curve);
  const row = (prefix: string) => targets.find((t) => t.name.startsWith(prefix));
  assert.equal(row('100,000 single-partition topics')?.pass, true);
  assert.equal(row('Create:')?.pass, true);
  assert.equal(row('Start after clean stop:')?.pass, false);
  assert.equal(row('Start after clean stop:')?.measured, '10.00');
  assert.equal(row('One-topic CreateTopics')?.pass, true);
});

test('a failed step is reported and left out of the costs; one step gives no growth rows', () => {
  const failed = { ...step(100_000, 1, 1, 1), error: 'EMFILE' };
  const md = renderManyTopics({ steps: [step(1_000, 1_000, 1, 10), failed] }, (h, rows) => [h.join(' | '), ...rows.map((r) => r.join(' | '))].join('\n'));
  assert.match(md, /Step 100,000 failed: EMFILE/);
  const targets = manyTopicsTargets({ steps: [step(1_000, 1_000, 1, 10), failed] });
  assert.equal(targets.length, 1);
  assert.equal(targets[0]?.pass, false);
  assert.equal(manyTopicsTargets({ steps: [] }).length, 0);
});
