/**
 * Consumer lag from /metrics (issue 16, must-show 2): a group consumes part of a topic with a real
 * client (a kafkajs consumer commits what it read; kafkajs admin sets another partition's
 * offset); the lag the broker exports per group and partition equals what `samsa groups
 * --describe` prints (LOG-END-OFFSET - CURRENT-OFFSET), and follows new records at the next scrape.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { scrape, type Scrape } from '../helpers/metrics.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';
import { waitFor } from '../helpers/wire.js';

const TOPIC = 'lag-topic';
const GROUP = 'lag-group';
const PER_PARTITION = [12, 7, 20];

let broker: RunningBroker;
let url: string;
let kafka: Kafka;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } });
  url = broker.broker.observability?.listeners[0]?.url ?? '';
  kafka = new Kafka({ clientId: 'lag-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await broker?.stop();
});

interface DescribedRow {
  topic: string;
  partition: number;
  committedOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
}

async function describe(): Promise<DescribedRow[]> {
  const r = await samsaCli(['groups', '--describe', '--group', GROUP, '--offsets', '--json'], { bootstrap: broker.bootstrap });
  assertOk(r, 'groups --describe');
  return (JSON.parse(r.stdout) as { partitions: DescribedRow[] }).partitions;
}

function lagOf(m: Scrape, partition: number): number | undefined {
  return m.value('kafka_consumergroup_lag', { consumergroup: GROUP, topic: TOPIC, partition: String(partition) });
}

test('the lag exported per group and partition equals samsa groups --describe', { timeout: 120_000 }, async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    for (const [p, n] of PER_PARTITION.entries()) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
    }
    await producer.disconnect();

    // A consumer reads partition 0 and 1 entirely (auto commit on each batch), then stops.
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    let seen = 0;
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ autoCommit: true, autoCommitThreshold: 1, eachMessage: async () => void seen++ });
    await waitFor(() => seen >= PER_PARTITION.reduce((a, b) => a + b, 0), 60_000, 'the consumer to read everything');
    await consumer.disconnect();
    // Then the group's offsets are set as an operator would: partition 0 at 5, 1 at 7 (its end), 2 at 3.
    await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }, { partition: 2, offset: '3' }] });
  } finally {
    await admin.disconnect();
  }

  const rows = await describe();
  const m = await scrape(url);
  assert.deepEqual(rows.map((r) => [r.partition, r.committedOffset, r.logEndOffset, r.lag]), [
    [0, 5, 12, 7],
    [1, 7, 7, 0],
    [2, 3, 20, 17],
  ]);
  for (const r of rows) {
    assert.equal(lagOf(m, r.partition), r.lag, `lag of partition ${r.partition}`);
    assert.equal(m.value('kafka_consumergroup_current_offset', { consumergroup: GROUP, topic: TOPIC, partition: String(r.partition) }), r.committedOffset);
  }
  assert.equal(m.value('kafka_consumergroup_lag_sum', { consumergroup: GROUP, topic: TOPIC }), 24);
  assert.equal(m.value('kafka_coordinator_group_groupmetadatamanager_numgroups'), 1);
  assert.equal(m.value('kafka_coordinator_group_groupmetadatamanager_numgroupsempty'), 1);
  assert.equal(m.value('kafka_coordinator_group_groupmetadatamanager_numoffsets'), 3);
  assert.ok((m.value('kafka_server_group_coordinator_metrics_group_completed_rebalance_total') ?? 0) >= 1, 'the consumer joined: a rebalance completed');

  // New records: the next scrape's lag follows the log end offset.
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 4 }, (_, i) => ({ partition: 1, value: `more-${i}` })) });
  await producer.disconnect();
  const after = await describe();
  const m2 = await scrape(url);
  assert.equal(after.find((r) => r.partition === 1)?.lag, 4);
  assert.equal(lagOf(m2, 1), 4);
});
