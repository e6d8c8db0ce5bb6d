/**
 * Consumer groups with confluent-kafka 2.0.2 (librdkafka 2.0.2, Debian python3), consumers in
 * child processes. The full scenario (three members two partitions each, a fourth joins, one
 * leaves, one is killed, a second group alongside) runs with the eager range assignor; the
 * cooperative-sticky assignor (incremental rebalancing, members keep partitions across
 * rebalances) runs a join-then-leave sequence with the same checks.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GroupConsumer, verifyGroup, waitForAssignment, waitUntil } from '../group/group-harness.js';
import { GROUP_TEST_BROKER_CONFIG, SESSION_TIMEOUT_MS, runRebalanceScenario } from '../group/scenario.js';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
});

after(async () => {
  await broker?.stop();
});

test('confluent-kafka (range): join, leave, crash and two groups on one topic', { timeout: 110_000 }, async (t) => {
  const stats = await runRebalanceScenario('confluent', broker.bootstrap, { strategy: 'range' });
  t.diagnostic(JSON.stringify(stats));
});

test('confluent-kafka (cooperative-sticky): members keep partitions across incremental rebalances', { timeout: 60_000 }, async (t) => {
  const topic = 'coop-topic';
  const kafka = new Kafka({ clientId: 'coop', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  const consumers: GroupConsumer[] = [];
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const produced = new Set<string>();
    let n = 0;
    const send = async (count: number): Promise<void> => {
      const messages = Array.from({ length: count }, () => {
        const i = n++;
        return { partition: i % 6, value: `coop-${i}` };
      });
      await producer.send({ topic, messages });
      for (const m of messages) produced.add(m.value);
    };
    await send(120);
    const job = (id: string) => ({ bootstrap: broker.bootstrap, group: 'coop-group', topic, id, session: SESSION_TIMEOUT_MS, strategy: 'cooperative-sticky' });
    const [a, b] = [GroupConsumer.start('confluent', job('a')), GroupConsumer.start('confluent', job('b'))];
    consumers.push(a, b);
    await waitForAssignment(consumers, 6, [3, 3]);
    const before = new Map(consumers.map((c) => [c.id, new Set(c.assignment)]));
    const seen = new Map(consumers.map((c) => [c.id, c.events.length]));
    await send(60);
    const c = GroupConsumer.start('confluent', job('c'));
    consumers.push(c);
    await waitForAssignment(consumers, 6, [2, 2, 2]);
    // Incremental: a and b each kept two of their three partitions and never lost them all.
    for (const m of [a, b]) {
      const kept = [...(before.get(m.id) ?? [])].filter((p) => m.assignment.has(p));
      assert.equal(kept.length, 2, `${m.id} keeps two of its partitions`);
      const fullRevocations = m.events.slice(seen.get(m.id)).filter((e) => e.ev === 'revoke' && (e.parts ?? []).length === 3);
      assert.equal(fullRevocations.length, 0, `${m.id} never had all partitions revoked`);
    }
    await send(60);
    await c.stop();
    await waitForAssignment(consumers, 6, [3, 3]);
    await send(60);
    await waitUntil(() => verifyGroup(consumers).consumed.size >= produced.size, 30_000, () => `all ${produced.size} records consumed (${verifyGroup(consumers).consumed.size})`);
    await Promise.all(consumers.map((x) => x.stop()));
    const v = verifyGroup(consumers);
    assert.deepEqual(v.violations, []);
    assert.deepEqual([...v.consumed].sort(), [...produced].sort());
    const committed = await admin.fetchOffsets({ groupId: 'coop-group', topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    for (const e of ends) assert.equal(committed[0]?.partitions.find((p) => p.partition === e.partition)?.offset, e.high, `partition ${e.partition} committed to the end`);
    t.diagnostic(`records ${produced.size}, duplicates ${v.duplicates}`);
  } finally {
    await Promise.all(consumers.map((x) => x.kill()));
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
});
