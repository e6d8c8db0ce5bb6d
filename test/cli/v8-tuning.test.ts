/**
 * V8 tiering of `samsa start` (src/cli/v8-tuning.ts): once tuned, a function is optimised after a
 * few hundred calls instead of about a thousand (a broker answers ~1,000 Produce requests per GB
 * of 1 KiB records, so its per-request code otherwise runs unoptimised for gigabytes); a budget
 * given on the command line wins. Each check runs in a child process with V8's test natives and
 * synchronous optimisation (`--no-concurrent-recompilation`), so the answer does not depend on
 * the machine's load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { distUrl } from '../helpers/loaded-modules.js';

/** V8's OptimizationStatus bit "optimized" (runtime-test.cc). */
const OPTIMIZED = 1 << 4;

/** Optimisation status of a small function after `calls` calls, with or without the tuning before them. */
function statusAfter(calls: number, tune: boolean): { status: number; tuned: boolean | null } {
  const script = `
    const { tuneV8ForBroker } = await import(${JSON.stringify(distUrl('cli/v8-tuning.js'))});
    function work(o) { let s = 0; for (const k of ['a', 'b', 'c', 'd']) s += (o[k] ?? 0) * 2 + k.length; return s + (o.x > 3 ? 1 : 0); }
    for (let i = 0; i < 20; i++) work({ a: i, b: 2, c: 3, d: 4, x: i });
    const tuned = ${tune ? 'tuneV8ForBroker()' : 'null'};
    for (let i = 0; i < ${calls}; i++) work({ a: i, b: 2, c: 3, d: 4, x: i });
    console.log(JSON.stringify({ status: %GetOptimizationStatus(work), tuned }));
  `;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { status: number; tuned: boolean | null };
}

test('after tuneV8ForBroker a function is optimised within 400 calls', () => {
  const r = statusAfter(400, true);
  assert.equal(r.tuned, true);
  assert.ok((r.status & OPTIMIZED) !== 0, `status ${r.status.toString(2)}`);
});

test("control: with V8's default budget the same function is not optimised after 400 calls", () => {
  const r = statusAfter(400, false);
  assert.equal(r.status & OPTIMIZED, 0, `status ${r.status.toString(2)}`);
});

test('a budget given on the command line wins', async () => {
  const { tuneV8ForBroker } = (await import(distUrl('cli/v8-tuning.js'))) as { tuneV8ForBroker(a: readonly string[]): boolean };
  assert.equal(tuneV8ForBroker(['--interrupt-budget=100000']), false);
  assert.equal(tuneV8ForBroker(['--interrupt_budget=100000']), false);
});
