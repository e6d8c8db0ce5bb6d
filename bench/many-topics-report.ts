/**
 * The report of the `partitions100k` section (bench/many-topics.ts): every step of the growth
 * curve side by side, the cost per partition between consecutive counts (the marginal cost, so a
 * super-linear step shows as a growing figure from left to right), and the section's acceptance
 * rows (issue 22 target 6; the report's target table points to this section for them).
 */
import type { Target } from './report.js';
import type { ManyTopicsCurve, ManyTopicsResult, ProcSample } from './many-topics.js';

type Table = (headers: string[], rows: string[][]) => string;

function n(v: number, d = 0): string {
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

const sec = (ms: number): string => n(ms / 1000, 1);
const proc = (s: ProcSample): string => `${n(s.openFds)} fds, ${n(s.rssMB, 0)} MB`;

/** The measures of one step that have a cost per partition: [label, unit, value]. */
interface CostMeasure {
  label: string;
  unit: 'ms' | 'KB';
  value: (r: ManyTopicsResult) => number;
}

export const COST_MEASURES: readonly CostMeasure[] = [
  { label: 'Create', unit: 'ms', value: (r) => r.createMs },
  { label: 'One record to each', unit: 'ms', value: (r) => r.writeMs },
  { label: 'Clean stop', unit: 'ms', value: (r) => r.cleanStopMs },
  { label: 'Start after clean stop', unit: 'ms', value: (r) => r.cleanStartMs },
  { label: 'Start after kill -9', unit: 'ms', value: (r) => r.killStartMs },
  { label: 'Read every record back (after kill -9)', unit: 'ms', value: (r) => r.readAfterKillMs },
  { label: 'RSS after writing', unit: 'KB', value: (r) => r.afterWrite.rssMB * 1024 },
  { label: 'RSS after clean start', unit: 'KB', value: (r) => r.afterCleanStart.rssMB * 1024 },
];

/**
 * The cost per partition of `m` between steps a and b ((value_b − value_a) ÷ (count_b − count_a));
 * for the first step (a undefined) the average, value ÷ count.
 */
export function marginalCost(m: CostMeasure, b: ManyTopicsResult, a?: ManyTopicsResult): number {
  if (a === undefined) return m.value(b) / b.topics;
  return (m.value(b) - m.value(a)) / (b.topics - a.topics);
}

const ok = (r: ManyTopicsResult): boolean => r.error === undefined;

export function renderManyTopics(curve: ManyTopicsCurve, table: Table): string {
  const steps = curve.steps;
  if (steps.length === 0) return '';
  const out: string[] = [];
  const counts = steps.map((s) => n(s.topics));
  out.push(`## Single-partition topics on one broker: ${counts.join(' / ')} (fd limit ${steps[0]?.fdLimit ?? 'n/a'})\n`);
  out.push('One `samsa start` per step, in a fresh data dir: topics created (1,000 per CreateTopics), one record to each (acks=1, 1,000 per Produce), a clean stop and start, every record read back, a second record to each, kill -9 and start (recovery of every log), everything read back again. Times in seconds; fds and RSS of the broker process after the step.\n');
  for (const s of steps) if (s.error) out.push(`Step ${n(s.topics)} failed: ${s.error}\n`);
  const row = (label: string, f: (r: ManyTopicsResult) => string): string[] => [label, ...steps.map(f)];
  out.push(
    table(
      ['Step', ...counts.map((c) => `${c} topics`)],
      [
        row('Create', (r) => sec(r.createMs)),
        row('One more topic (one per CreateTopics, mean of 20; ms)', (r) => n(r.createOneMs, 1)),
        row('One record to each', (r) => sec(r.writeMs)),
        row('  fds, RSS after', (r) => proc(r.afterWrite)),
        row('Clean stop (SIGTERM)', (r) => sec(r.cleanStopMs)),
        row('Start after clean stop (to listening)', (r) => sec(r.cleanStartMs)),
        row('  fds, RSS after', (r) => proc(r.afterCleanStart)),
        row('Read every record back', (r) => sec(r.readAfterCleanMs)),
        row('Second record to each', (r) => sec(r.secondWriteMs)),
        row('Start after kill -9 (recovery, to listening)', (r) => sec(r.killStartMs)),
        row('  fds, RSS after', (r) => proc(r.afterKillStart)),
        row('Read every record back', (r) => sec(r.readAfterKillMs)),
        row('  fds, RSS after', (r) => proc(r.afterRead)),
        row('Peak fds, RSS', (r) => `${n(r.maxOpenFds)} fds, ${n(r.maxRssMB, 0)} MB`),
        row('Topics answering an error or reading back wrong', (r) => (ok(r) ? n(r.errors) : 'failed')),
        row('Load average (1 min) at start → end', (r) => `${n(r.loadAvg[0], 1)} → ${n(r.loadAvg[1], 1)}`),
      ],
    ),
  );
  const done = steps.filter(ok);
  if (done.length > 0) {
    out.push('Cost per partition: the first column is the step\'s total ÷ its count, the others the marginal cost between two counts, (value at the larger − value at the smaller) ÷ (the difference in partitions). Linear growth keeps a row flat; a row that grows from left to right is super-linear.\n');
    const headers = ['Measure', `per partition at ${n(done[0]?.topics ?? 0)}`, ...done.slice(1).map((s, i) => `${n(done[i]?.topics ?? 0)} → ${n(s.topics)}`)];
    const rows = COST_MEASURES.map((m) => [`${m.label} (${m.unit} per partition)`, ...done.map((s, i) => n(marginalCost(m, s, i === 0 ? undefined : done[i - 1]), m.unit === 'ms' ? 3 : 1))]);
    out.push(table(headers, rows));
  }
  const targets = manyTopicsTargets(curve);
  out.push('Issue 22 target 6 (the report\'s acceptance targets point here):\n');
  out.push(table(['Target', 'Goal', 'Measured', 'Result'], targets.map((t) => [t.name, t.target, t.measured, t.pass === null ? 'not measured' : t.pass ? 'PASS' : 'FAIL'])));
  return out.join('\n');
}

/**
 * Acceptance rows: the largest step ran clean (every record read back after both restarts), and
 * the marginal cost per partition of the last interval against the first (needs three steps).
 * Linear growth gives about 1; the goal (< 2) leaves room for the shared machine's noise.
 */
export function manyTopicsTargets(curve: ManyTopicsCurve): Target[] {
  const targets: Target[] = [];
  const last = curve.steps[curve.steps.length - 1];
  if (last === undefined) return targets;
  targets.push({
    name: `${n(last.topics)} single-partition topics on one broker: created, written, restarted (clean and kill -9), every record read back`,
    target: '0 errors',
    measured: last.error ? 'failed' : `${n(last.errors)} errors`,
    pass: last.error === undefined && last.errors === 0,
  });
  const done = curve.steps.filter(ok);
  if (done.length < 3) return targets;
  const [a, b] = done as [ManyTopicsResult, ManyTopicsResult];
  const [y, z] = done.slice(-2) as [ManyTopicsResult, ManyTopicsResult];
  const one = (r: ManyTopicsResult): number => r.createOneMs;
  if (one(a) > 0) {
    const ratio = one(z) / one(a);
    const growth = z.topics / a.topics;
    targets.push({
      name: `One-topic CreateTopics at ${n(z.topics)} topics ÷ at ${n(a.topics)} (${n(growth)}× the topics)`,
      target: `< ${n(growth / 10)} (a commit must not cost one unit per topic)`,
      measured: ratio.toFixed(1),
      pass: ratio < growth / 10,
    });
  }
  for (const label of ['Create', 'Start after clean stop', 'Start after kill -9', 'RSS after writing']) {
    const m = COST_MEASURES.find((x) => x.label === label) as CostMeasure;
    const first = marginalCost(m, b, a);
    const ratio = first > 0 ? marginalCost(m, z, y) / first : null;
    targets.push({
      name: `${label}: cost per partition ${n(y.topics)} → ${n(z.topics)} ÷ ${n(a.topics)} → ${n(b.topics)}`,
      target: '< 2 (linear ≈ 1)',
      measured: ratio === null ? 'n/a' : ratio.toFixed(2),
      pass: ratio === null ? null : ratio < 2,
    });
  }
  return targets;
}
