/**
 * Issue 10 item 9: committed offsets of a deleted topic are removed (Kafka's
 * onPartitionsDeleted writes offset tombstones), so a re-created topic of the same name is read
 * from its start by a group that had committed offsets on the old one. Two kafkajs groups commit
 * offsets past what the new topic will hold at the start; the topic is deleted and re-created,
 * more records are produced; one group consumes before and the other after a broker SIGKILL and
 * restart: both see every new record, from offset 0.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wire.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';

const TOPIC = 'reborn';
const PARTITIONS = 2;
const OLD_RECORDS = 20;
const NEW_RECORDS = 30;
const dataDir = tempDir('samsa-reborn-');
let broker: BrokerProcess | undefined;

after(async () => {
  await broker?.kill();
  removeDir(dataDir);
});

function kafka(b: BrokerProcess, id: string): Kafka {
  return new Kafka({ clientId: id, brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

async function produce(b: BrokerProcess, prefix: string, count: number): Promise<void> {
  const p = kafka(b, 'reborn-producer').producer();
  await p.connect();
  await p.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ partition: i % PARTITIONS, value: `${prefix}-${i}` })) });
  await p.disconnect();
}

async function committed(b: BrokerProcess, groupId: string): Promise<number[]> {
  const admin = kafka(b, 'reborn-admin').admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return (t?.partitions ?? []).sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

/** A kafkajs consumer of `groupId` (auto.offset.reset earliest) until it has `count` records and committed them. */
async function consume(b: BrokerProcess, groupId: string, count: number): Promise<{ value: string; offset: number }[]> {
  const consumer = kafka(b, `reborn-${groupId}`).consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
  const seen: { value: string; offset: number }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ value: message.value!.toString(), offset: Number(message.offset) });
      },
    });
    await waitFor(() => seen.length >= count, 40_000, `${count} records for ${groupId} (have ${seen.length})`);
  } finally {
    await consumer.disconnect();
  }
  const total = (await committed(b, groupId)).reduce((a, o) => a + Math.max(o, 0), 0);
  assert.equal(total, count, `${groupId} committed everything it read`);
  return seen;
}

test('a re-created topic is read from offset 0 by groups that committed offsets on the deleted one, also after a restart', { timeout: 110_000 }, async (t) => {
  broker = await startBrokerProcess({ dataDir, overrides: GROUP_TEST_BROKER_CONFIG });
  const admin = kafka(broker, 'reborn-admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await produce(broker, 'old', OLD_RECORDS);
  for (const g of ['before-restart', 'after-restart']) {
    assert.equal((await consume(broker, g, OLD_RECORDS)).length, OLD_RECORDS);
    assert.deepEqual(await committed(broker, g), [OLD_RECORDS / PARTITIONS, OLD_RECORDS / PARTITIONS]);
  }

  await admin.deleteTopics({ topics: [TOPIC] });
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  for (const g of ['before-restart', 'after-restart']) assert.deepEqual(await committed(broker, g), [-1, -1], `${g}: no offsets on the new topic`);
  await produce(broker, 'new', NEW_RECORDS);

  const expected = Array.from({ length: NEW_RECORDS }, (_, i) => `new-${i}`).sort();
  const first = await consume(broker, 'before-restart', NEW_RECORDS);
  assert.deepEqual(first.map((r) => r.value).sort(), expected);
  assert.equal(Math.min(...first.map((r) => r.offset)), 0);

  // The tombstones are in __consumer_offsets: after a crash the old offsets stay deleted.
  await broker.kill();
  broker = await startBrokerProcess({ dataDir, overrides: GROUP_TEST_BROKER_CONFIG });
  assert.deepEqual(await committed(broker, 'after-restart'), [-1, -1], 'no offsets on the new topic after the restart');
  const second = await consume(broker, 'after-restart', NEW_RECORDS);
  assert.deepEqual(second.map((r) => r.value).sort(), expected);
  assert.ok(second.every((r) => r.value.startsWith('new-')));
  t.diagnostic(`before restart read ${first.length}, after restart read ${second.length} records of the re-created topic`);
});
