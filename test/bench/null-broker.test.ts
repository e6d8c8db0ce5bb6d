/**
 * Smoke tests for the benchmark's pieces (the benchmark itself is `npm run bench`, not a test):
 * the null broker answers a real client, and the report writer produces its three files.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { NullBroker } from '../../bench/null-broker.js';
import { renderLatencySvg, renderMarkdown, seriesFrom, writeReport, type BenchResults } from '../../bench/report.js';
import { WireClient } from '../../bench/wire-client.js';
import { LatencyHistogram } from '../../src/cli/stats.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';

let nb: NullBroker;

before(async () => {
  nb = new NullBroker({ defaultPartitions: 3 });
  await nb.start();
});

after(async () => {
  await nb.stop();
});

test('null broker: ApiVersions and Metadata over the wire', async () => {
  const c = await WireClient.connect(nb.port);
  try {
    const av = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    assert.equal(av.errorCode, 0);
    assert.deepEqual(av.apiKeys.map((k) => k.apiKey).sort((a, b) => a - b), [0, 1, 2, 3, 18, 19]);
    const md = await c.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true });
    assert.equal(md.brokers[0]?.port, nb.port);
    assert.equal(md.topics[0]?.errorCode, 0);
    assert.equal(md.topics[0]?.partitions.length, 3);
    const none = await c.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: 'nope' }], allowAutoTopicCreation: false });
    assert.equal(none.topics[0]?.errorCode, 3);
  } finally {
    c.close();
  }
});

test('null broker: a real client creates, produces (offsets advance) and reads back synthetic records', async () => {
  const admin = new Admin({ clientId: 't', bootstrapBrokers: [nb.bootstrap] });
  const producer = new Producer({ clientId: 't', bootstrapBrokers: [nb.bootstrap], acks: 1 });
  const consumer = new Consumer({ clientId: 't', groupId: 'g', bootstrapBrokers: [nb.bootstrap] });
  try {
    await admin.createTopics({ topics: ['nb'], partitions: 2, replicas: 1 });
    const value = Buffer.alloc(50, 1);
    const r1 = await producer.send({ messages: Array.from({ length: 10 }, () => ({ topic: 'nb', value, partition: 1 })) });
    const r2 = await producer.send({ messages: [{ topic: 'nb', value, partition: 1 }] });
    assert.equal(r1.offsets?.[0]?.offset, 0n);
    assert.equal(r2.offsets?.[0]?.offset, 10n);
    assert.equal(nb.stats.records, 11);

    const md = await consumer.metadata({ topics: ['nb'] });
    const topicId = md.topics.get('nb')?.id as string;
    const res = await consumer.fetch({ node: 1, maxWaitTime: 10, topics: [{ topicId, partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 4n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }] });
    const pd = res.responses[0]?.partitions[0];
    assert.equal(pd?.errorCode, 0);
    assert.equal(pd?.highWatermark, 11n);
    const batch = pd?.records?.[0];
    assert.equal(batch?.firstOffset, 4n);
    assert.equal(batch?.records.length, 7);
    assert.equal(batch?.records[0]?.value?.length, 50, 'replays the produced value size');

    const offs = await consumer.listOffsets({ topics: ['nb'], timestamp: -1n });
    assert.deepEqual(offs.get('nb'), [0n, 11n]);
  } finally {
    await Promise.all([admin.close(), producer.close(), consumer.close(true)]);
  }
});

function sampleResults(): BenchResults {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i / 100);
  const t = (rps: number) => ({ records: 1000, bytes: 100_000, elapsedMs: 1000 / rps, recordsPerSec: rps, mbPerSec: rps / 1e4 });
  return {
    meta: { date: '2024-01-01T00:00:00Z', scale: 'test', node: 'v20', librdkafka: '2.0.2', cpus: 2, cpuModel: 'cpu', loadAvgAtStart: [0.5, 0.5, 0.5], commit: 'abc', durationSec: 1, notes: ['a note'] },
    disk: { path: '/tmp', bytes: 1048576, writeMBps: 500 },
    produce: [{ name: '1 KiB, acks=1', recordSize: 1024, acks: '1', records: 1000, samsa: t(800), nullBroker: t(1000), ratio: 0.8 }],
    runs: [],
    consume: [{ name: '1 KiB', recordSize: 1024, records: 1000, samsa: t(900), nullBroker: t(1000), ratio: 0.9 }],
    latency: [{ rate: 1000, records: 1000, received: 1000, samsaEndToEnd: { count: 1000, mean: 5, p50: 5, p99: 9.9, p999: 10, max: 10 }, samsaProduceAck: null, nullProduceAck: null }],
    latencySeries: [seriesFrom('Samsa produce→consume', h), seriesFrom('Null broker produce→ack', new LatencyHistogram())],
    startup: { samsaColdMs: 250, samsaWarmMs: 240, nullMs: 100 },
    memory: { samsaIdleMB: 60, samsaLoadMB: 120, nullIdleMB: 50, nullLoadMB: 70 },
    partitions: { count: 10, samsa: { createMs: 5, rssMB: 60, openFds: 40, produceMs: 3, producedPartitions: 10, errors: 0 }, nullBroker: null },
    profiles: [{ workload: 'w', totalMs: 100, top: [{ functionName: 'f', location: 'x.js:1', selfMs: 50, selfPct: 50 }], byFile: [{ functionName: '', location: 'x.js', selfMs: 50, selfPct: 50 }] }],
    targets: [{ name: 'Idle RSS', target: '< 100 MB', measured: '60.0 MB', pass: true }],
  };
}

test('report writer: Markdown tables, JSON and an SVG chart', () => {
  const r = sampleResults();
  const md = renderMarkdown(r);
  assert.match(md, /\| 1 KiB, acks=1 \| 1,000 \| 800 rec\/s, 0\.1 MB\/s \| 1,000 rec\/s, 0\.1 MB\/s \| 0\.80 \|/);
  assert.match(md, /\| Idle RSS \| < 100 MB \| 60\.0 MB \| PASS \|/);
  assert.match(md, /\| 1,000 \| 1,000 \| 5\.00 \| 9\.90 \| 10\.00 \| n\/a/);
  assert.match(md, /\*\*500 MB\/s\*\*/);
  assert.match(md, /## Where the broker's time goes: w\n/);
  assert.match(md, /\| `f` \| x\.js:1 \| 50 \| 50\.0 \|/);
  const svg = renderLatencySvg(r.latencySeries);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 1, 'one curve per non-empty series');
  assert.match(svg, /Samsa produce→consume/);
  const dir = mkdtempSync(join(tmpdir(), 'samsa-report-'));
  try {
    const paths = writeReport(dir, r);
    assert.deepEqual(JSON.parse(readFileSync(paths.json, 'utf8')), JSON.parse(JSON.stringify(r)));
    assert.equal(readFileSync(paths.markdown, 'utf8'), md);
    assert.match(readFileSync(paths.svg, 'utf8'), /<\/svg>\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('latency histogram: quantiles within 2% and curve points', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 100_000; i++) h.record(i / 1000); // 0.001 .. 100 ms
  for (const [q, want] of [[0.5, 50], [0.99, 99], [0.999, 99.9]] as const) {
    const got = h.quantile(q);
    assert.ok(Math.abs(got - want) / want < 0.02, `q${q}: ${got} vs ${want}`);
  }
  assert.equal(h.count, 100_000);
  assert.ok(Math.abs(h.mean() - 50.0005) < 1e-6);
  const s = seriesFrom('x', h);
  assert.equal(s.points[0]?.[0], 0);
  assert.ok(s.points.every(([, v], i, a) => i === 0 || v >= (a[i - 1] as [number, number])[1]), 'monotonic');
});
