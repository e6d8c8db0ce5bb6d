/**
 * The full rebalance scenario (test/group/scenario.ts: three members, a fourth joins, one leaves,
 * one is killed, a second group alongside) with confluent-kafka consumers using the
 * cooperative-sticky assignor: incremental rebalances in which members keep partitions and go on
 * fetching and committing them. Every record must be consumed, none after its commit.
 *
 * The consumers here take one message at a time (Consumer.poll, librdkafka's
 * rd_kafka_consumer_poll) instead of the suite's Consumer.consume(num_messages=50)
 * (rd_kafka_consume_batch_queue): librdkafka 2.0.2's batch API loses records of partitions kept
 * across an incremental rebalance (fixed in librdkafka 2.1.0; the evidence is in
 * test/compat/groups-confluent.test.ts). The broker side is identical either way.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { CONFLUENT_CONSUMER } from '../group/consumer-scripts.js';
import { GroupConsumer, type ClientKind, type ConsumerJob } from '../group/group-harness.js';
import { GROUP_TEST_BROKER_CONFIG, runRebalanceScenario } from '../group/scenario.js';
import { DEBIAN_PYTHON } from '../helpers/run-process.js';

const BATCH_CONSUME = 'msgs = c.consume(num_messages=50, timeout=0.1)';
/** The suite's confluent consumer, polling one message per loop (then committing it) instead of consuming batches. */
const POLLING_CONSUMER = CONFLUENT_CONSUMER.replace(BATCH_CONSUME, 'm1 = c.poll(0.1)\n    msgs = [m1] if m1 is not None else []');

let broker: RunningBroker;
const originalStart = GroupConsumer.start.bind(GroupConsumer);

before(async () => {
  assert.notEqual(POLLING_CONSUMER, CONFLUENT_CONSUMER, 'the confluent consumer script still consumes in batches where expected');
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  // runRebalanceScenario starts its consumers through GroupConsumer.start: hand it polling ones.
  GroupConsumer.start = (kind: ClientKind, job: ConsumerJob): GroupConsumer => {
    if (kind !== 'confluent') return originalStart(kind, job);
    const child = spawn(DEBIAN_PYTHON, ['-c', POLLING_CONSUMER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new GroupConsumer(kind, job, child);
  };
});

after(async () => {
  GroupConsumer.start = originalStart;
  await broker?.stop();
});

test('confluent-kafka (cooperative-sticky): join, leave, crash and two groups on one topic, nothing skipped', { timeout: 110_000 }, async (t) => {
  const stats = await runRebalanceScenario('confluent', broker.bootstrap, { strategy: 'cooperative-sticky' });
  t.diagnostic(JSON.stringify(stats));
});
