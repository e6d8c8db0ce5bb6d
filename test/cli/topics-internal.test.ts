/**
 * Issue 11 item 8 (and the kafka-topics.sh flag style of item 10): once a group has committed
 * offsets (kafkajs), `samsa topics describe` with no --topic describes every topic including the
 * internal `__consumer_offsets`, `topics list` shows its real partition count, and
 * `--exclude-internal` leaves it out of both.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': 5, 'group.initial.rebalance.delay.ms': 0 } });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'cli-internal', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await admin.setOffsets({ groupId: 'g-internal', topic: 'orders', partitions: [{ partition: 0, offset: '0' }] });
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  await broker?.stop();
});

test('topics describe without --topic describes __consumer_offsets once a group has committed', async () => {
  const r = await samsaCli(['topics', 'describe', '--json'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics describe');
  const topics = JSON.parse(r.stdout) as { name: string; internal: boolean; partitionCount: number }[];
  const co = topics.find((t) => t.name === '__consumer_offsets');
  assert.ok(co, `__consumer_offsets described: ${r.stdout}`);
  assert.equal(co.internal, true);
  assert.equal(co.partitionCount, 5);
  assert.equal(topics.find((t) => t.name === 'orders')?.partitionCount, 2);

  const text = await samsaCli(['topics', 'describe'], { bootstrap: broker.bootstrap });
  assertOk(text, 'topics describe (text)');
  assert.match(text.stdout, /Topic: __consumer_offsets\s+TopicId: \S+\s+PartitionCount: 5\s+ReplicationFactor: 1/);
  assert.match(text.stdout, /Configs: .*cleanup\.policy=compact/);
});

test('topics list shows the internal topic with its partitions; --exclude-internal hides it in list and describe', async () => {
  let r = await samsaCli(['topics', 'list'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics list');
  assert.match(r.stdout, /\n__consumer_offsets\s+5\s+1\s+\S+/);

  r = await samsaCli(['topics', 'list', '--exclude-internal', '--json'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics list --exclude-internal');
  assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((t) => t.name), ['orders']);

  r = await samsaCli(['topics', 'describe', '--exclude-internal', '--json'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics describe --exclude-internal');
  assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((t) => t.name), ['orders']);
});

test("kafka-topics.sh's --list, --create, --describe, --alter and --delete flags work like the subcommands", async () => {
  let r = await samsaCli(['topics', '--create', '--topic', 'flagged', '--partitions', '2'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics --create');
  assert.match(r.stdout, /Created topic flagged \(2 partitions/);
  r = await samsaCli(['topics', '--bootstrap-server', broker.bootstrap, '--list', '--exclude-internal']);
  assertOk(r, 'topics --list');
  assert.match(r.stdout, /\nflagged\s+2\s+1/);
  r = await samsaCli(['topics', '--alter', '--topic', 'flagged', '--partitions', '3'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics --alter');
  r = await samsaCli(['topics', '--describe', '--topic', 'flagged'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics --describe');
  assert.match(r.stdout, /Topic: flagged\s+TopicId: \S+\s+PartitionCount: 3/);
  r = await samsaCli(['topics', '--delete', '--topic', 'flagged'], { bootstrap: broker.bootstrap });
  assertOk(r, 'topics --delete');
  r = await samsaCli(['topics', '--list', '--describe'], { bootstrap: broker.bootstrap });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot be combined/);
});
