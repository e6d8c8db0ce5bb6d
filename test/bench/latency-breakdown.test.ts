/**
 * The latency section's broker side (bench/latency-breakdown.ts): two scrapes of a real broker's
 * metrics around a known workload read back as the request time split per API (one observation
 * per request), the garbage collections in between (nodejs_gc_runs_total) and the Markdown rows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { breakdown, renderBreakdown, scrapeSnapshot, type LatencyBreakdown } from '../../bench/latency-breakdown.js';
import { WireClient, waitFor } from '../helpers/wire.js';

let broker: RunningBroker;
let url: string;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0' } });
  const bound = broker.broker.observability?.listeners[0];
  assert.ok(bound);
  url = `${bound.url}/metrics`;
});

after(async () => {
  await broker?.stop();
});

test('two scrapes around 3 Produce and 2 Fetch requests: the split per API, the GCs in between, the report rows', { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic('split-bench', 1), 0);
    const before = await scrapeSnapshot(url);
    for (let i = 0; i < 3; i++) assert.equal((await c.produce('split-bench', 0, encodeRecordBatch({ records: [{ key: 'k', value: `v${i}` }] }), -1)).errorCode, 0);
    for (let i = 0; i < 2; i++) assert.equal((await c.fetchOnce('split-bench', 0, 0n)).errorCode, 0);
    // A full collection in the broker's process (the test runs it in-process).
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    let b: LatencyBreakdown | undefined;
    await waitFor(async () => {
      b = breakdown(before, await scrapeSnapshot(url));
      const sent = b.apis.every((a) => (a.parts.find((p) => p.part === 'send')?.meanMs ?? -1) >= 0);
      return sent && b.gc.some((g) => g.kind === 'major') && b.apis.find((a) => a.api === 'Fetch')?.requests === 2;
    }, 10_000, 'the scrape after the workload');
    const got = b as LatencyBreakdown;
    assert.deepEqual(got.apis.map((a) => [a.api, a.requests]), [['Produce', 3], ['Fetch', 2]]);
    for (const a of got.apis) {
      assert.deepEqual(a.parts.map((p) => p.part), ['queue', 'local', 'remote', 'response queue', 'send', 'total (read → answer ready)']);
      for (const p of a.parts) assert.ok(p.meanMs >= 0 && p.p99Ms >= 0 && p.p99Ms < 30_000, `${a.api} ${p.part}: ${p.meanMs} / ${p.p99Ms}`);
    }
    const major = got.gc.find((g) => g.kind === 'major');
    assert.ok(major !== undefined && major.runs >= 1 && major.ms > 0, 'the forced collection is counted with its time');
    assert.ok(got.cpuSeconds >= 0);
    const md = renderBreakdown([{ rate: 1000, breakdown: got }], (head, rows) => [head.join('|'), ...rows.map((r) => r.join('|'))].join('\n'));
    assert.match(md, /1,000\|Produce\|3\|/);
    assert.match(md, /1,000\|Fetch\|2\|/);
    assert.match(md, /major: \d+, /);
  } finally {
    c.close();
  }
});

test('event-loop stalls between two scrapes are read back per cause and shown in the report rows', { timeout: 60_000 }, async () => {
  const before = await scrapeSnapshot(url);
  let b: LatencyBreakdown | undefined;
  await waitFor(async () => {
    // The broker runs in this process: a 40 ms spin stalls its event loop (cpu, unless the OS took the CPU away).
    const end = performance.now() + 40;
    while (performance.now() < end) {
      // spin
    }
    await new Promise((r) => setTimeout(r, 30));
    b = breakdown(before, await scrapeSnapshot(url));
    return (b.stalls.find((s) => s.cause === 'cpu')?.count ?? 0) >= 1;
  }, 20_000, 'a cpu stall in the scrape');
  const got = b as LatencyBreakdown;
  assert.deepEqual(got.stalls.map((s) => s.cause), ['gc', 'cpu', 'no_cpu', 'blocked']);
  assert.ok((got.stalls.find((s) => s.cause === 'cpu')?.ms ?? 0) >= 25);
  const md = renderBreakdown([{ rate: 1000, breakdown: got }], (head, rows) => [head.join('|'), ...rows.map((r) => r.join('|'))].join('\n'));
  assert.match(md, /Stalls > 5 ms/);
  assert.match(md, /cpu: \d+, \d+/);
});
