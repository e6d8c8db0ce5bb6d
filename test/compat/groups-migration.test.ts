/**
 * KIP-848 online upgrade (issue 18, must-show 2): a classic group of three confluent-kafka
 * consumers (Debian's librdkafka 2.0.2, eager `range`, then again with `cooperative-sticky`) on
 * a 6-partition topic under continuous produce; the members are restarted one at a time with
 * `group.protocol=consumer` (librdkafka 2.12). The first consumer-protocol member converts the live classic group into a consumer group
 * (the remaining classic members keep using JoinGroup/SyncGroup/Heartbeat against it); at the end
 * the group is a consumer group (ListGroups v5 type), every produced record was consumed, and no
 * committed record was delivered again. And the way back (KIP-848's downgrade): a consumer group of
 * three librdkafka 2.12 members restarted one at a time as classic (eager) members becomes a
 * classic group when its last consumer-protocol member leaves.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { modernLibrdkafkaEnv } from '../helpers/modern-librdkafka.js';
import { GroupConsumer, verifyGroup, waitForAssignment, waitUntil } from '../group/group-harness.js';

const TOPIC = 'migrate-topic';
const GROUP = 'migrate-group';
const PARTITIONS = 6;
const OVERRIDES = {
  'group.consumer.heartbeat.interval.ms': 500,
  'group.consumer.session.timeout.ms': 15000,
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 4,
};

const brokers: BrokerProcess[] = [];
const consumers: GroupConsumer[] = [];

after(async () => {
  for (const c of consumers) await c.kill();
  for (const b of brokers) {
    await b.kill();
    removeDir(b.dataDir);
  }
});

/** Produces one record per partition every 50 ms until stopped; returns the values sent. */
function startProducing(bootstrap: string): { stop(): Promise<string[]> } {
  const kafka = new Kafka({ clientId: 'migrate-producer', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer();
  const sent: string[] = [];
  let running = true;
  const loop = (async () => {
    await producer.connect();
    for (let n = 0; running; n++) {
      const values = Array.from({ length: PARTITIONS }, (_, p) => `m-${n}-${p}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, partition) => ({ partition, value })) });
      sent.push(...values);
      await new Promise((r) => setTimeout(r, 50));
    }
    await producer.disconnect();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

async function groupType(bootstrap: string): Promise<string | undefined> {
  const listed = await runProcess(process.execPath, [CLI, 'groups', '--list', '--json', '--bootstrap-server', bootstrap], { timeoutMs: 30_000 });
  assert.equal(listed.code, 0, String(listed.stderr));
  return (JSON.parse(listed.stdout.toString('utf8')) as { group: string; type: string }[]).find((g) => g.group === GROUP)?.type;
}

async function migrateOnline(strategy: 'range' | 'cooperative-sticky', direction: 'upgrade' | 'downgrade'): Promise<void> {
  const env = await modernLibrdkafkaEnv();
  const b = await startBrokerProcess({ overrides: OVERRIDES });
  brokers.push(b);
  const bootstrap = b.bootstrap;
  const admin = new Kafka({ clientId: 'migrate-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();

  const mine: GroupConsumer[] = [];
  const startClassic = (id: string): GroupConsumer => {
    const c = GroupConsumer.start('confluent', { bootstrap, group: GROUP, topic: TOPIC, id, session: 10000, strategy });
    consumers.push(c);
    mine.push(c);
    return c;
  };
  const startModern = (id: string): GroupConsumer => {
    const c = GroupConsumer.start('confluent', { bootstrap, group: GROUP, topic: TOPIC, id, session: 10000, protocol: 'consumer' }, env);
    consumers.push(c);
    mine.push(c);
    return c;
  };
  const producing = startProducing(bootstrap);
  const [from, to, fromType, toType] = direction === 'upgrade' ? [startClassic, startModern, 'classic', 'consumer'] : [startModern, startClassic, 'consumer', 'classic'];
  const live = [from('a'), from('b'), from('c')];
  await waitForAssignment(live, PARTITIONS, [2, 2, 2], 60_000);
  assert.equal(await groupType(bootstrap), fromType);

  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const old = live[i] as GroupConsumer;
    const t0 = Date.now();
    await old.stop();
    live[i] = to(`${old.id}2`);
    await waitForAssignment(live, PARTITIONS, [2, 2, 2], 90_000);
    times.push(Date.now() - t0);
    // Upgrade: the first consumer-protocol member converted the live classic group. Downgrade:
    // the group stays a consumer group until its last consumer-protocol member leaves.
    assert.equal(await groupType(bootstrap), direction === 'upgrade' || i === 2 ? toType : fromType, `after restarting ${old.id}`);
  }

  const sent = await producing.stop();
  await waitUntil(
    () => {
      const got = new Set(mine.flatMap((m) => m.records().map((r) => r.v as string)));
      return sent.every((v) => got.has(v));
    },
    60_000,
    () => `all ${sent.length} records consumed; ${live.map((m) => m.describe()).join('\n')}`,
  );
  const verdict = verifyGroup(mine);
  assert.deepEqual(verdict.violations, [], 'no committed record delivered again');

  const admin2 = new Kafka({ clientId: 'migrate-admin2', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin2.connect();
  try {
    const groups = await admin2.listGroups();
    assert.deepEqual(groups.groups.filter((g) => g.groupId === GROUP), [{ groupId: GROUP, protocolType: 'consumer' }], 'both kinds list the consumer protocol type');
    assert.equal(await groupType(bootstrap), toType);
  } finally {
    await admin2.disconnect();
  }
  for (const m of live) await m.stop();
  console.log(
    `online ${direction} (classic ${strategy}): restarts took ${times.join(', ')} ms (stop → all 6 partitions owned again); ${sent.length} records produced, ` +
      `${verdict.consumed.size} consumed, ${verdict.duplicates} delivered again (uncommitted when their owner left)`,
  );
}

test('online upgrade classic (eager range) → consumer: members restarted one at a time with group.protocol=consumer, no loss', { timeout: 300_000 }, () => migrateOnline('range', 'upgrade'));

test('online upgrade classic (cooperative-sticky) → consumer: members restarted one at a time with group.protocol=consumer, no loss', { timeout: 300_000 }, () => migrateOnline('cooperative-sticky', 'upgrade'));

test('online downgrade consumer → classic (eager range): members restarted one at a time with group.protocol=classic, no loss', { timeout: 300_000 }, () => migrateOnline('range', 'downgrade'));
