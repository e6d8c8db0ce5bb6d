/**
 * Consumer groups with confluent-kafka 2.0.2 (librdkafka 2.0.2, Debian python3), consumers in
 * child processes. The full scenario (three members two partitions each, a fourth joins, one
 * leaves, one is killed, a second group alongside) runs with the eager range assignor; the
 * cooperative-sticky assignor (incremental rebalancing, members keep partitions across
 * rebalances) runs a join-then-leave sequence with the same checks. The full scenario with
 * cooperative-sticky runs in groups-cooperative-confluent.test.ts, with consumers that poll().
 *
 * Why not the full scenario with cooperative-sticky here: this suite's consumer reads with
 * Consumer.consume(num_messages=50) (librdkafka's rd_kafka_consume_batch_queue), and librdkafka
 * 2.0.2 loses records of partitions a member KEEPS across an incremental rebalance with that API.
 * It is the client, not the broker:
 *   - librdkafka 2.0.0 CHANGELOG, Known Issues: "The Consumer Batch APIs rd_kafka_consume_batch()
 *     and rd_kafka_consume_batch_queue() are not thread safe if rkmessages_size is greater than 1
 *     and any of the seek, pause, resume or rebalancing operation is performed in parallel [...]
 *     Some of the messages might be lost". Fixed in 2.1.0 by #4208 (commit 51397194a, "Fixed
 *     issues related to store_offset and app_offset during barrier op in consume batch API");
 *     2.1.0 CHANGELOG: "Fixed rd_kafka_consume_batch() and rd_kafka_consume_batch_queue()
 *     intermittently skipping offsets when pause or resume was being used for a partition".
 *   - Mechanism (2.0.2 sources): rd_kafka_q_serve_rkmessages sets the partition's app offset to
 *     offset+1 (rd_kafka_fetch_op_app_prepare) for each message as it collects the batch; an
 *     incremental rebalance library-pauses the whole assignment (rd_kafka_assignment_pause
 *     "incremental rebalance"), and the pause records next_offset = app offset and bumps the op
 *     version; the version barrier then purges the batch's not-yet-returned messages
 *     (rd_kafka_purge_outdated_messages) and the resume fetches from next_offset: those messages
 *     are never delivered. Eager assignors are unaffected: they revoke everything and restart from
 *     the committed offsets.
 *   - Reproduced (full scenario, cooperative-sticky, debug=cgrp,fetch,consumer,topic): 32-44
 *     records lost per run in 3 of 3 runs, 0 in 3 of 3 runs when the same consumer polls one
 *     message at a time. Every lost range had been fetched and enqueued by librdkafka, e.g. member
 *     c, partition 5 (kept across the rebalance; the app had been handed up to offset 35):
 *       Enqueue 2 message(s) ... on coop [5] fetch queue (qlen 14, v8, last_offset 51, ...)
 *       Pausing fetchers for 1 assigned partition(s): incremental rebalance
 *       Pause coop [5]: at offset 52 (state active, v9)
 *       Resuming coop [5]: at offset 52 (state active, v10)
 *     and the app's next record from partition 5 was offset 52 (36..51 never returned). Over
 *     1748 fetch responses in those six runs each started exactly at the requested offset, and
 *     the broker-side rules the protocol depends on are pinned in test/group/incremental-rebalance.test.ts.
 *   The join-then-leave test below happens to pass with the batch API because records arrive in
 *   bursts while no rebalance is under way; with librdkafka >= 2.1.0 it would be safe regardless.
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
