/**
 * The `streams` bench section (bench/streams.ts, issue 21 must-show 4) at smoke size against an
 * in-process broker: every workload (the consumer → producer baseline, the stateless and count
 * topologies, the count under exactly_once_v2) reads the whole input and commits it, and each gets
 * a records/s figure and a ratio to the baseline. No speed is asserted (the figures come from
 * `npm run bench -- --only streams`).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runStreamsWorkloads, STREAMS_WORKLOADS } from '../../bench/streams.js';
import { startEnv, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

test('bench streams section: every workload processes and commits the whole input, with a ratio to the baseline', { timeout: 300_000 }, async () => {
  const rows = await runStreamsWorkloads(env.broker.bootstrap, 20_000, join(env.stateDir, 'bench'), () => undefined);
  assert.equal(rows.length, STREAMS_WORKLOADS.length);
  for (const r of rows) {
    assert.equal(r.error, undefined, `${r.workload}: ${r.error}`);
    assert.ok(r.recordsPerSec > 0 && r.ratio !== null && r.ratio > 0, JSON.stringify(r));
  }
  process.stdout.write(`# bench streams smoke (20,000 records): ${rows.map((r) => `${r.workload} ${Math.round(r.recordsPerSec)} rec/s`).join('; ')}\n`);
});
