/**
 * The protocol client's fetches with isolation level read_committed (src/client/partition-fetcher.ts)
 * against a real broker: records of a transaction kafkajs aborted are skipped, those of committed
 * transactions and non-transactional records are returned, in offset order; and the client's
 * own TransactionalProducer (src/client/transactional-producer.ts) commits and aborts the same way.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ClusterClient } from '../../src/client/cluster-client.js';
import { GroupConsumer } from '../../src/client/group-consumer.js';
import { produceRecords } from '../../src/client/record-producer.js';
import { TransactionalProducer } from '../../src/client/transactional-producer.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';

let broker: RunningBroker;
let cluster: ClusterClient;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  cluster = new ClusterClient({ bootstrap: [broker.bootstrap], clientId: 'read-committed-test' });
});

after(async () => {
  cluster?.close();
  await broker?.stop();
});

async function readAll(topic: string, isolationLevel: number, count: number): Promise<string[]> {
  const c = new GroupConsumer(cluster, { groupId: `rc-${topic}-${isolationLevel}`, isolationLevel });
  await c.assign([{ topic, partition: 0 }]);
  await c.seekTo([{ topic, partition: 0 }], 'beginning');
  const out: string[] = [];
  const deadline = Date.now() + 30_000;
  while (out.length < count && Date.now() < deadline) for (const r of await c.poll({ maxWaitMs: 200, maxBytes: 1 << 20 })) out.push(r.value?.toString() ?? '');
  await c.close();
  return out;
}

test('read_committed skips the records of aborted kafkajs transactions', { timeout: 90_000 }, async () => {
  const kafka = new Kafka({ clientId: 'rc', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'rc-topic', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId: 'rc-txn', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  try {
    const t1 = await producer.transaction();
    await t1.send({ topic: 'rc-topic', messages: [{ value: 'c1' }, { value: 'c2' }] });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: 'rc-topic', messages: [{ value: 'a1' }, { value: 'a2' }, { value: 'a3' }] });
    await t2.abort();
    const t3 = await producer.transaction();
    await t3.send({ topic: 'rc-topic', messages: [{ value: 'c3' }] });
    await t3.commit();
  } finally {
    await producer.disconnect();
  }
  await produceRecords(cluster, 'rc-topic', [{ partition: 0, key: null, value: Buffer.from('plain') }]);
  assert.deepEqual(await readAll('rc-topic', 1, 4), ['c1', 'c2', 'c3', 'plain']);
  assert.deepEqual(await readAll('rc-topic', 0, 7), ['c1', 'c2', 'a1', 'a2', 'a3', 'c3', 'plain']);
});

test('the client TransactionalProducer: committed records are read, aborted ones skipped, under read_committed', { timeout: 90_000 }, async () => {
  const kafka = new Kafka({ clientId: 'rc2', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'rc-own', numPartitions: 1 }] });
  await admin.disconnect();
  const p = new TransactionalProducer(cluster, 'rc-own-txn');
  await p.init();
  const send = (v: string): Promise<unknown> => produceRecords(cluster, 'rc-own', [{ partition: 0, key: null, value: Buffer.from(v) }], { transaction: p });
  await send('x1');
  await p.abort();
  await send('y1');
  await send('y2');
  await p.commit();
  assert.deepEqual(await readAll('rc-own', 1, 2), ['y1', 'y2']);
  // A second producer with the same transactional id fences the first.
  const q = new TransactionalProducer(cluster, 'rc-own-txn');
  await q.init();
  await assert.rejects(async () => {
    const res = await produceRecords(cluster, 'rc-own', [{ partition: 0, key: null, value: Buffer.from('zombie') }], { transaction: p });
    if (res[0]?.errorCode !== 0) throw new Error(`fenced: ${res[0]?.errorMessage}`);
    await p.commit();
  });
});
