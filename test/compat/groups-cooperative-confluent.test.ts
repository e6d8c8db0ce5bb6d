/**
 * The full rebalance scenario (test/group/scenario.ts: three members, a fourth joins, one leaves,
 * one is killed, a second group alongside) with confluent-kafka consumers using the
 * cooperative-sticky assignor: incremental rebalances in which members keep partitions and go on
 * fetching and committing them. Every record must be consumed, none after its commit.
 *
 * With cooperative-sticky the suite's confluent consumer takes one message at a time
 * (Consumer.poll): librdkafka 2.0.2's batch API loses records of partitions kept across an
 * incremental rebalance (fixed in librdkafka 2.1.0; the evidence is in
 * test/compat/groups-confluent.test.ts). The broker side is identical either way.
 */
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG, runRebalanceScenario } from '../group/scenario.js';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
});

after(async () => {
  await broker?.stop();
});

test('confluent-kafka (cooperative-sticky): join, leave, crash and two groups on one topic, nothing skipped', { timeout: 110_000 }, async (t) => {
  const stats = await runRebalanceScenario('confluent', broker.bootstrap, { strategy: 'cooperative-sticky' });
  t.diagnostic(JSON.stringify(stats));
});
