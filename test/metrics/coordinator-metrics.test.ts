/**
 * Coordinator, cleaner and quota metrics: a kafkajs transactional producer commits one
 * transaction and the broker exports its transactional id by state; the log cleaner's gauges and
 * totals are exported; a quota manager that throttles Produce shows in the ThrottleTimeMs
 * histogram, with nothing observed for the requests it left alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type QuotaManager, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { scrape } from '../helpers/metrics.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const THROTTLE_MS = 20;
const throttleProduce: QuotaManager = { throttleTimeMs: (ctx) => (ctx.apiKey === 0 ? THROTTLE_MS : 0) };

let broker: RunningBroker;
let url: string;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: { 'metrics.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': 1, 'transaction.state.log.num.partitions': 1, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 },
    gate: { quotas: throttleProduce },
  });
  url = broker.broker.observability?.listeners[0]?.url ?? '';
});

after(async () => {
  await broker?.stop();
});

test('a committed kafkajs transaction shows as a transactional id in state CompleteCommit', { timeout: 90_000 }, async () => {
  const kafka = new Kafka({ clientId: 'txn-metrics', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'txn-metrics', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId: 'metrics-tx', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  try {
    const tx = await producer.transaction();
    await tx.send({ topic: 'txn-metrics', messages: [{ value: 'a' }, { value: 'b' }] });
    await tx.commit();
  } finally {
    await producer.disconnect();
  }
  const m = await waitFor(async () => {
    const s = await scrape(url);
    return s.value('samsa_transaction_coordinator_transactional_ids', { state: 'CompleteCommit' }) === 1 ? s : undefined;
  }, 20_000, 'the transaction to complete');
  assert.equal(m.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'txn-metrics' }), 2);
  // The cleaner's figures are exported (nothing compacted here).
  assert.equal(m.value('samsa_log_cleaner_cleanings_total'), 0);
  assert.equal(m.value('kafka_log_logcleaner_cleaner_recopy_percent'), 0);
});

test('throttled requests show in the ThrottleTimeMs histogram of their API', { timeout: 60_000 }, async () => {
  const before = (await scrape(url)).sample('kafka_network_requestmetrics_throttletimems', { request: 'Produce' });
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic('throttled', 1), 0);
    for (let i = 0; i < 3; i++) {
      const r = await c.produce('throttled', 0, encodeRecordBatch({ records: [{ key: 'k', value: `v${i}` }] }), -1);
      assert.equal(r.errorCode, 0);
    }
  } finally {
    c.close();
  }
  const m = await scrape(url);
  const h = m.sample('kafka_network_requestmetrics_throttletimems', { request: 'Produce' });
  assert.equal(Number(h?.count) - Number(before?.count ?? 0), 3);
  assert.equal(Number(h?.sum) - Number(before?.sum ?? 0), 3 * THROTTLE_MS);
  assert.equal(m.sample('kafka_network_requestmetrics_throttletimems', { request: 'CreateTopics' }), undefined, 'requests not throttled are not observed');
});
