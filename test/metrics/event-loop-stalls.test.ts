/**
 * Event-loop stalls by cause (src/metrics/event-loop-stalls.ts): a broker with a metrics listener
 * counts a loop kept busy 40 ms as a `cpu` stall and a loop blocked 40 ms in a waiting call
 * (Atomics.wait, as a synchronous fsync would) as a `blocked` one, with their lateness; the
 * classification rule itself on its own (gc, cpu, no_cpu: waiting for a CPU, blocked).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { STALL_THRESHOLD_MS, stallCause } from '../../src/metrics/event-loop-stalls.js';
import { waitFor } from '../helpers/wire.js';
import { metricsBrokerForFile } from '../helpers/metrics.js';

const fx = metricsBrokerForFile({ 'offsets.topic.num.partitions': 1 });

/** count and sum (in ms) of samsa_eventloop_stall_seconds for one cause. */
async function stalls(cause: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${fx.url}/metrics`)).text();
  const num = (suffix: string): number => Number(new RegExp(`^samsa_eventloop_stall_seconds_${suffix}\\{cause="${cause}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: num('count'), sum: num('sum') * 1000 };
}

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: the event loop's thread stays on a CPU
  }
};
const blocked = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

describe('event-loop stalls', () => {
  it('a loop kept busy for 40 ms is counted as a cpu stall of about that lateness', async () => {
    const before = await stalls('cpu');
    // Classified one tick after the stall ends. On a loaded machine the OS may take the CPU away
    // for most of a spin (then it is no_cpu, rightly): spin again until one counts.
    await waitFor(async () => {
      busy(40);
      await sleep(30);
      return (await stalls('cpu')).count > before.count;
    }, 20_000, 'a cpu stall counted');
    const now = await stalls('cpu');
    assert.ok(now.sum - before.sum >= 25, `lateness recorded: ${now.sum - before.sum} ms`);
  });

  it('a loop blocked 40 ms in a waiting call (neither on a CPU nor waiting for one, as in a synchronous fsync) is counted as blocked', async () => {
    const before = await stalls('blocked');
    await waitFor(async () => {
      blocked(40);
      await sleep(30);
      return (await stalls('blocked')).count > before.count;
    }, 20_000, 'a blocked stall counted');
  });

  it('the rule: GC pauses covering half the lateness make it gc; else the thread busy half the gap cpu; else a run-queue wait of half the lateness no_cpu; else blocked', () => {
    assert.equal(stallCause(20, 30, 12, 0, 0), 'gc');
    assert.equal(stallCause(20, 30, 5, 20, 0), 'cpu');
    assert.equal(stallCause(20, 30, 5, 3, 15), 'no_cpu');
    assert.equal(stallCause(20, 30, 5, 3, 2), 'blocked');
    assert.ok(STALL_THRESHOLD_MS <= 5, 'stalls that break a 5 ms p99.9 are counted');
  });
});
