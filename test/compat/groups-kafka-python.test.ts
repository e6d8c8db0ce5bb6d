/**
 * Consumer groups with kafka-python 2.0.2 (Debian python3): three members share a
 * 6-partition topic two partitions each, a fourth joins, one leaves, one is killed and its session
 * expires; a second group reads the same topic; every record is consumed, none again after its
 * commit, and the committed offsets reach the log end.
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

test('kafka-python: join, leave, crash and two groups on one topic', { timeout: 110_000 }, async (t) => {
  const stats = await runRebalanceScenario('kafka-python', broker.bootstrap);
  t.diagnostic(JSON.stringify(stats));
});
