/**
 * The /metrics body rendered in slices (src/metrics/sliced-scrape.ts): the same text as
 * prom-client's Registry.metrics(), and a broker's scrape gives the event loop a turn between
 * metric families once a slice's time is used up (old: every family collected and formatted in
 * one macrotask, a `cpu` stall of the loop for the whole scrape).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { renderInSlices } from '../../src/metrics/sliced-scrape.js';
import { metricsBrokerForFile } from '../helpers/metrics.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: the loop's thread stays busy, as a slow collect() would keep it
  }
};

describe('renderInSlices', () => {
  it('gives the same text as Registry.metrics(), also when it yields between every family', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ node: '1' });
    const c = new Counter({ name: 'demo_requests_total', help: 'Requests "quoted"\nhelp', labelNames: ['api'], registers: [registry] });
    c.inc({ api: 'Produce' }, 3);
    c.inc({ api: 'Fetch\\"x' }, 1);
    new Gauge({ name: 'demo_collected', help: 'Set at collect time', registers: [registry], collect() {
      this.set(42);
    } });
    const h = new Histogram({ name: 'demo_seconds', help: 'A histogram', buckets: [0.1, 1], labelNames: ['kind'], registers: [registry] });
    h.observe({ kind: 'a' }, 0.05);
    h.observe({ kind: 'b' }, 2);
    const expected = await registry.metrics();
    assert.equal(await renderInSlices(registry), expected);
    assert.equal(await renderInSlices(registry, 0), expected);
    assert.equal(await renderInSlices(new Registry()), await new Registry().metrics());
  });
});

describe('a broker scrape', () => {
  const fx = metricsBrokerForFile({ 'offsets.topic.num.partitions': 1 });

  it('lets the event loop run between slow metric families (not one macrotask for the whole scrape)', async () => {
    const registry = fx.broker.broker.observability?.registry;
    assert.ok(registry);
    // A turn counter the loop advances whenever it gets to run its check phase.
    let turn = 0;
    let spinning = true;
    const spin = (): void => {
      turn++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      new Gauge({ name: `test_slow_family_${i}`, help: 'A family whose collection keeps the loop busy 3 ms', registers: [registry], collect() {
        busy(3);
        seen.push(turn);
        this.set(i);
      } });
    }
    try {
      const text = await (await fetch(`${fx.url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
      for (let i = 0; i < 4; i++) assert.match(text, new RegExp(`^test_slow_family_${i} ${i}$`, 'm'));
      assert.match(text, /^samsa_eventloop_stall_seconds_count\{cause="cpu"\} /m, 'the broker families are still there');
      assert.equal(seen.length, 4);
      // Each family took longer than a slice: the loop ran between every two of them.
      assert.equal(new Set(seen).size, 4, `turns seen by the four families: ${seen.join(', ')}`);
    } finally {
      spinning = false;
      for (let i = 0; i < 4; i++) registry.removeSingleMetric(`test_slow_family_${i}`);
    }
  });
});
