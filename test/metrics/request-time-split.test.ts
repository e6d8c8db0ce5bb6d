/**
 * Kafka's RequestMetrics split of a request's time (issue 22, target 2: a latency breakdown per
 * request): request queue, local, remote, response queue and response send time, one histogram
 * each per API, one observation per answered request. A long-poll Fetch spends its wait in remote
 * time; an ApiVersions pipelined behind it on the same connection waits for it in the response
 * queue (answers go out in request order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { createTopicWithRecords } from '../helpers/kafkajs-setup.js';
import { metricsBrokerForFile, scrape, type Scrape } from '../helpers/metrics.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';

const TOPIC = 'time-split';
const SENDS = 4;
const LONG_POLL_MS = 400;
const SPLIT = ['requestqueuetimems', 'localtimems', 'remotetimems', 'responsequeuetimems', 'responsesendtimems'] as const;

const metrics = metricsBrokerForFile({ 'offsets.topic.num.partitions': 1 });

const requests = (m: Scrape, api: string): number => m.values('kafka_network_requestmetrics_requests_total').filter(([l]) => l['request'] === api).reduce((n, [, v]) => n + v, 0);

/** Observations of `api` in a split histogram, and how many took longer than `ms` (a bucket bound). */
function observed(m: Scrape, metric: string, api: string, ms: number): { count: number; sum: number; over: number } {
  const h = m.sample(`kafka_network_requestmetrics_${metric}`, { request: api });
  if (h?.buckets === undefined) return { count: 0, sum: 0, over: 0 };
  const count = Number(h.count);
  return { count, sum: Number(h.sum), over: count - Number(h.buckets[String(ms)] ?? 0) };
}

test('every answered request is split into queue/local/remote/response-queue/send time; a long poll waits in remote time, a request behind it in the response queue', { timeout: 120_000 }, async () => {
  const kafka = new Kafka({ clientId: 'split-test', brokers: [metrics.broker.bootstrap], logLevel: logLevel.NOTHING });
  await createTopicWithRecords(kafka, TOPIC, 1, Array.from({ length: SENDS }, (_, i) => ({ value: `v${i}` })));

  const c = await WireClient.connect(metrics.broker.port);
  try {
    // A Fetch at the end of the partition that needs 1 byte: answered when max_wait_ms runs out.
    const poll = c.request(API.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: LONG_POLL_MS,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(SENDS), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const behind = c.apiVersions();
    const t0 = performance.now();
    const [fetched] = await Promise.all([poll, behind]);
    const waited = performance.now() - t0;
    assert.equal(fetched.responses[0].partitions[0].errorCode, 0);
    assert.ok(waited >= LONG_POLL_MS - 50, `the long poll waited (${waited.toFixed(0)} ms)`);
  } finally {
    c.close();
  }

  // Send times are taken when the socket has taken the answer: poll until every answer counted.
  let m = await scrape(metrics.url);
  await waitFor(async () => {
    m = await scrape(metrics.url);
    return ['Produce', 'Fetch', 'ApiVersions'].every((api) => observed(m, 'responsesendtimems', api, 250).count === requests(m, api));
  }, 10_000, 'every answer timed');
  for (const name of SPLIT) {
    const family = m.family(`kafka_network_requestmetrics_${name}`);
    assert.equal(family?.type, 'HISTOGRAM', `${name} is a histogram`);
    for (const api of ['Produce', 'Fetch', 'Metadata', 'ApiVersions']) {
      const o = observed(m, name, api, 250);
      assert.equal(o.count, requests(m, api), `${name} ${api}: one observation per request`);
      assert.ok(o.sum >= 0, `${name} ${api}: no negative time`);
    }
  }
  assert.ok(observed(m, 'localtimems', 'Produce', 250).sum > 0, 'the local time of Produce was measured');
  // The long poll: at least LONG_POLL_MS in remote time (the 250 ms bucket does not hold it) and
  // little in local time; the ApiVersions answer behind it waited in the response queue.
  assert.ok(observed(m, 'remotetimems', 'Fetch', 250).over >= 1, 'a Fetch waited in remote time');
  assert.equal(observed(m, 'localtimems', 'Fetch', 250).over, 0, 'the wait is not local time');
  assert.ok(observed(m, 'responsequeuetimems', 'ApiVersions', 250).over >= 1, 'the ApiVersions answer waited behind the long poll');
  assert.equal(observed(m, 'remotetimems', 'ApiVersions', 250).over, 0, 'ApiVersions itself answered at once');
});
