/**
 * kafkajs idempotent and transactional producers against a Samsa broker over TCP:
 * - an idempotent producer whose first produce response is lost (a proxy drops it and cuts the
 *   connection) retries the same batch, and the broker stores it once;
 * - committed transactions are visible to read_committed readers, aborted ones only to
 *   read_uncommitted readers; the last stable offset waits for open transactions;
 * - a second producer with the same transactional id fences the first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { latestOffset, readPartition, startDropProxy, visibleRecords, type DropProxy } from '../txn/helpers.js';

let broker: RunningBroker;
let proxy: DropProxy;
let kafka: Kafka;
let viaProxy: Kafka;

before(async () => {
  let brokerPort = 0;
  proxy = await startDropProxy(() => brokerPort);
  broker = await startBroker({
    port: 0,
    config: {
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`,
      'transaction.state.log.num.partitions': 4,
      'offsets.topic.num.partitions': 4,
      'num.partitions': 1,
    },
  });
  brokerPort = broker.port;
  const opts = { clientId: 'txn-kafkajs', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 8 } };
  kafka = new Kafka({ ...opts, brokers: [`127.0.0.1:${proxy.port}`] });
  viaProxy = kafka;
});

after(async () => {
  await broker?.stop();
  await proxy?.close();
});

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

test('kafkajs idempotent producer: a lost produce response is retried and stored exactly once', async () => {
  const topic = 'kjs-idempotent';
  await createTopic(topic);
  const producer = viaProxy.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: 'warm-up' }] });
    proxy.dropNext(0, 1);
    const res = await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    assert.equal(proxy.dropped, 1, 'the proxy dropped one produce response');
    assert.equal(res[0]?.baseOffset, '1', 'the retry is answered with the original offset');
    await producer.send({ topic, acks: -1, messages: [{ value: 'after' }] });
  } finally {
    await producer.disconnect();
  }
  const read = await readPartition(broker.port, topic, 0, 0);
  const values = visibleRecords(read, false).map((r) => r.value);
  assert.deepEqual(values, ['warm-up', ...Array.from({ length: 10 }, (_, i) => `v${i}`), 'after']);
  assert.equal(read.highWatermark, 12n);
});

test('kafkajs transactions: committed records are read_committed-visible, aborted ones only read_uncommitted', async () => {
  const topic = 'kjs-txn';
  await createTopic(topic, 2);
  const producer = kafka.producer({ transactionalId: 'kjs-txn-1', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000 });
  await producer.connect();
  try {
    const t1 = await producer.transaction();
    await t1.send({ topic, messages: [{ partition: 0, value: 'c1' }, { partition: 1, value: 'c2' }] });
    await t1.send({ topic, messages: [{ partition: 0, value: 'c3' }] });
    await t1.commit();

    const t2 = await producer.transaction();
    await t2.send({ topic, messages: [{ partition: 0, value: 'a1' }, { partition: 1, value: 'a2' }] });
    // While t2 is open the last stable offset of partition 0 stays at its first record.
    const lsoOpen = await latestOffset(broker.port, topic, 0, 1);
    const hwOpen = await latestOffset(broker.port, topic, 0, 0);
    assert.ok(lsoOpen < hwOpen, `LSO ${lsoOpen} must be below HW ${hwOpen} while a transaction is open`);
    assert.equal(visibleRecords(await readPartition(broker.port, topic, 0, 1), true).map((r) => r.value).join(','), 'c1,c3');
    await t2.abort();

    const t3 = await producer.transaction();
    await t3.send({ topic, messages: [{ partition: 0, value: 'c4' }] });
    await t3.commit();
  } finally {
    await producer.disconnect();
  }
  for (const [partition, committed, all] of [
    [0, 'c1,c3,c4', 'c1,c3,a1,c4'],
    [1, 'c2', 'c2,a2'],
  ] as const) {
    const rc = await readPartition(broker.port, topic, partition, 1);
    assert.equal(rc.lastStableOffset, rc.highWatermark, 'no open transaction left');
    assert.equal(visibleRecords(rc, true).map((r) => r.value).join(','), committed, `read_committed partition ${partition}`);
    assert.equal(rc.aborted.length, 1, 'one aborted transaction reported');
    const ru = await readPartition(broker.port, topic, partition, 0);
    assert.equal(visibleRecords(ru, false).map((r) => r.value).join(','), all, `read_uncommitted partition ${partition}`);
    assert.equal(await latestOffset(broker.port, topic, partition, 1), rc.highWatermark);
  }
});

test('kafkajs: a second producer with the same transactional id fences the first and aborts its open transaction', async () => {
  const topic = 'kjs-fence';
  await createTopic(topic);
  const first: Producer = kafka.producer({ transactionalId: 'kjs-fence-id', idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 20 } });
  await first.connect();
  const t1 = await first.transaction();
  await t1.send({ topic, messages: [{ value: 'zombie' }] });

  const second = kafka.producer({ transactionalId: 'kjs-fence-id', idempotent: true, maxInFlightRequests: 1 });
  await second.connect();
  try {
    // kafkajs initializes the transactional producer id on its first transaction(): that fences
    // the first producer and aborts its open transaction.
    const t2 = await second.transaction();
    const rc = await readPartition(broker.port, topic, 0, 1);
    assert.equal(rc.highWatermark, 2n, 'the zombie record and the abort marker');
    assert.equal(rc.lastStableOffset, rc.highWatermark);
    assert.deepEqual(visibleRecords(rc, true), []);

    await assert.rejects(t1.send({ topic, messages: [{ value: 'zombie-2' }] }), (e: Error & { type?: string }) => {
      assert.match(`${e.type ?? ''} ${e.message}`, /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|fenced|epoch/i);
      return true;
    });
    await assert.rejects(t1.commit());

    await t2.send({ topic, messages: [{ value: 'winner' }] });
    await t2.commit();
  } finally {
    await second.disconnect();
    await first.disconnect().catch(() => undefined);
  }
  const rc = await readPartition(broker.port, topic, 0, 1);
  assert.deepEqual(visibleRecords(rc, true).map((r) => r.value), ['winner']);
});
