/**
 * The metrics listener (issue 16, must-show 1): after a known workload — N records in M bytes
 * produced by kafkajs, one produce refused for its size, K fetches — GET /metrics, parsed with a
 * real Prometheus text parser, has counters equal to what was sent (Kafka's BrokerTopicMetrics
 * names as the JMX exporter maps them), request histograms per API, the ReplicaManager and log
 * gauges; two brokers in one process export apart; the health endpoints answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker, BrokerConfig, startBroker } from '../../src/index.js';
import { LocalMetadataStore } from '../../src/cluster/metadata-store.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { DeferredStore } from '../helpers/deferred-store.js';
import { metricsBrokerForFile, metricsUrl, scrape } from '../helpers/metrics.js';
import { WireClient, waitFor } from '../helpers/wire.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOPIC = 'metrics-known';
const SENDS = 5;
const PER_SEND = 10;
const FETCH_ROUNDS = 3;
const MESSAGE_TOO_LARGE = 10;

const metrics = metricsBrokerForFile({ 'offsets.topic.num.partitions': 1 });

test('after a known workload, /metrics counters equal what was sent and every API used has a latency histogram', { timeout: 120_000 }, async () => {
  const kafka = new Kafka({ clientId: 'metrics-test', brokers: [metrics.broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: '4096' }] }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < SENDS; i++) {
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PER_SEND }, (_, j) => ({ partition: i % 2, key: `k${j}`, value: `value-${i}-${j}-${'x'.repeat(i * 7)}` })) });
  }
  await producer.disconnect();

  const c = await WireClient.connect(metrics.broker.port);
  let rejectedBytes: number;
  const partitionBytes: number[] = [];
  try {
    // One produce refused: a batch over the topic's max.message.bytes.
    const big = encodeRecordBatch({ records: [{ key: 'big', value: 'y'.repeat(8000) }] });
    rejectedBytes = big.length;
    assert.equal((await c.produce(TOPIC, 0, big, -1)).errorCode, MESSAGE_TOO_LARGE);
    // K fetches of each partition from offset 0: each answers the whole partition.
    for (let round = 0; round < FETCH_ROUNDS; round++) {
      for (const p of [0, 1]) {
        const r = await c.fetchOnce(TOPIC, p, 0n);
        assert.equal(r.errorCode, 0);
        const bytes = r.records?.length ?? 0;
        if (round === 0) partitionBytes[p] = bytes;
        else assert.equal(bytes, partitionBytes[p], 'each fetch reads the same bytes');
      }
    }
  } finally {
    c.close();
  }
  const storedBytes = (partitionBytes[0] ?? 0) + (partitionBytes[1] ?? 0);
  assert.ok(storedBytes > SENDS * PER_SEND * 10, `bytes stored: ${storedBytes}`);

  const m = await scrape(metrics.url);
  const topic = { topic: TOPIC };
  const N = SENDS * PER_SEND;
  // BrokerTopicMetrics, per topic and for all topics (the series without a topic label).
  assert.equal(m.value('kafka_server_brokertopicmetrics_messagesin_total', topic), N);
  assert.equal(m.value('kafka_server_brokertopicmetrics_messagesin_total'), N);
  // Uncompressed v2 batches are stored as received: the bytes in are the bytes on disk.
  assert.equal(m.value('kafka_server_brokertopicmetrics_bytesin_total', topic), storedBytes);
  assert.equal(m.value('kafka_log_log_size', { topic: TOPIC, partition: '0' }), partitionBytes[0]);
  assert.equal(m.value('kafka_log_log_size', { topic: TOPIC, partition: '1' }), partitionBytes[1]);
  assert.equal(m.value('kafka_log_log_logendoffset', { topic: TOPIC, partition: '0' }), 3 * PER_SEND);
  assert.equal(m.value('kafka_log_log_logendoffset', { topic: TOPIC, partition: '1' }), 2 * PER_SEND);
  assert.equal(m.value('kafka_server_brokertopicmetrics_totalproducerequests_total', topic), SENDS + 1);
  assert.equal(m.value('kafka_server_brokertopicmetrics_failedproducerequests_total', topic), 1);
  assert.equal(m.value('kafka_server_brokertopicmetrics_bytesrejected_total', topic), rejectedBytes);
  assert.equal(m.value('kafka_server_brokertopicmetrics_bytesout_total', topic), FETCH_ROUNDS * storedBytes);
  assert.equal(m.value('kafka_server_brokertopicmetrics_bytesout_total'), FETCH_ROUNDS * storedBytes);
  assert.equal(m.value('kafka_server_brokertopicmetrics_totalfetchrequests_total', topic), FETCH_ROUNDS * 2);
  assert.equal(m.value('kafka_server_brokertopicmetrics_failedfetchrequests_total', topic), 0);

  // RequestMetrics: request counts per API (over versions) and a histogram per API.
  const requests = (api: string): number => m.values('kafka_network_requestmetrics_requests_total').filter(([l]) => l['request'] === api).reduce((n, [, v]) => n + v, 0);
  assert.equal(requests('Produce'), SENDS + 1);
  assert.equal(requests('Fetch'), FETCH_ROUNDS * 2);
  const hist = m.family('kafka_network_requestmetrics_totaltimems');
  assert.equal(hist?.type, 'HISTOGRAM');
  for (const api of ['Produce', 'Fetch', 'Metadata', 'ApiVersions', 'CreateTopics']) {
    const h = m.sample('kafka_network_requestmetrics_totaltimems', { request: api });
    assert.ok(h?.buckets !== undefined, `a histogram for ${api}`);
    assert.equal(Number(h.count), requests(api), `${api}: one observation per request`);
    assert.equal(Number(h.buckets['+Inf']), Number(h.count));
    const counts = Object.entries(h.buckets).map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), Number(n)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < counts.length; i++) assert.ok((counts[i]?.[1] ?? 0) >= (counts[i - 1]?.[1] ?? 0), `${api} buckets are cumulative`);
    assert.ok(Number(h.sum) > 0, `${api}: time was measured`);
  }

  // ReplicaManager and controller gauges of a single node.
  assert.equal(m.value('kafka_server_replicamanager_partitioncount'), 2);
  assert.equal(m.value('kafka_server_replicamanager_leadercount'), 2);
  assert.equal(m.value('kafka_server_replicamanager_underreplicatedpartitions'), 0);
  assert.equal(m.value('kafka_server_replicamanager_underminisrpartitioncount'), 0);
  assert.equal(m.value('kafka_controller_kafkacontroller_activecontrollercount'), 1);
  assert.equal(m.value('kafka_controller_kafkacontroller_offlinepartitionscount'), 0);
  assert.equal(m.value('kafka_controller_kafkacontroller_globalpartitioncount'), 2);
  // Process and event loop.
  assert.ok((m.value('process_cpu_seconds_total') ?? 0) > 0);
  assert.ok((m.value('process_resident_memory_bytes') ?? 0) > 0);
  const idle = m.value('kafka_network_socketserver_networkprocessoravgidle_percent') ?? -1;
  assert.ok(idle >= 0 && idle <= 1, `idle ratio ${idle}`);
  assert.ok(m.value('kafka_server_socketservermetrics_connections', { listener: 'PLAINTEXT' }) !== undefined);
  assert.ok(m.values('samsa_build_info').some(([l, v]) => l['node_id'] === '1' && v === 1));
});

test('two brokers in one process export apart: a registry per broker', { timeout: 60_000 }, async () => {
  const other = await startBroker({ port: 0, config: { 'node.id': 2, 'metrics.listeners': 'http://127.0.0.1:0' } });
  try {
    const otherUrl = metricsUrl(other);
    assert.notEqual(otherUrl, metrics.url);
    const before = (await scrape(metrics.url)).value('kafka_server_brokertopicmetrics_messagesin_total') ?? 0;
    const c = await WireClient.connect(other.port);
    try {
      assert.equal(await c.createTopic('only-on-2', 1), 0);
      assert.equal((await c.produce('only-on-2', 0, encodeRecordBatch({ records: [{ key: 'a', value: 'b' }, { key: 'c', value: 'd' }] }), -1)).errorCode, 0);
    } finally {
      c.close();
    }
    const mine = await scrape(metrics.url);
    const theirs = await scrape(otherUrl);
    assert.equal(theirs.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'only-on-2' }), 2);
    assert.equal(theirs.value('kafka_server_brokertopicmetrics_messagesin_total'), 2);
    assert.equal(mine.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'only-on-2' }), undefined, "broker 1 has no series of broker 2's topic");
    assert.equal(mine.value('kafka_server_brokertopicmetrics_messagesin_total'), before);
    assert.ok(theirs.values('samsa_build_info').some(([l]) => l['node_id'] === '2'));
  } finally {
    await other.stop();
  }
});

test('health: /health/live and /health/ready answer 200 on a running broker; unknown paths 404; nothing after stop', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0' } });
  const u = metricsUrl(b);
  try {
    const live = await fetch(`${u}/health/live`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'live' });
    const ready = await fetch(`${u}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${u}/nope`)).status, 404);
    assert.equal((await fetch(`${u}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await b.stop();
  }
  await assert.rejects(fetch(`${u}/health/live`), 'the listener is closed with the broker');
});

test('health: /health/ready is 503 while the broker starts (live is 200), 200 once it has started', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-ready-'));
  // Commits wait until released: the broker's start-up stops at its registration.
  let store: DeferredStore | undefined;
  const broker2 = new Broker(new BrokerConfig(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir], ['metrics.listeners', 'http://127.0.0.1:0']])), {
    openMetadata: (d, newClusterId) => (store = new DeferredStore(LocalMetadataStore.open(d, newClusterId), { hold: true, deferred: false })),
  });
  const starting = broker2.start();
  try {
    const u = await waitFor(() => broker2.observability?.listeners[0]?.url, 20_000, 'the metrics listener');
    assert.equal((await fetch(`${u}/health/live`)).status, 200);
    const notReady = await fetch(`${u}/health/ready`);
    assert.equal(notReady.status, 503);
    assert.match(((await notReady.json()) as { reason: string }).reason, /starting/);
    store?.release();
    await starting;
    assert.equal((await fetch(`${u}/health/ready`)).status, 200);
  } finally {
    store?.release();
    await starting.catch(() => undefined);
    await broker2.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics.partition.series.max: above it, no per-partition log series (the broker-wide gauges stay)', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0', 'metrics.partition.series.max': 2 } });
  try {
    const u = metricsUrl(b);
    const c = await WireClient.connect(b.port);
    try {
      assert.equal(await c.createTopic('two', 2), 0);
      assert.equal((await scrape(u)).values('kafka_log_log_size').length, 2, 'at the limit: exported');
      assert.equal(await c.createTopic('one-more', 1), 0);
    } finally {
      c.close();
    }
    const m = await scrape(u);
    assert.equal(m.values('kafka_log_log_size').length, 0, 'over the limit: left out');
    assert.equal(m.value('kafka_server_replicamanager_partitioncount'), 3);
  } finally {
    await b.stop();
  }
});
