/**
 * Instances of one application started at the same moment: each creates the internal topics it
 * needs (CreateTopics; TOPIC_ALREADY_EXISTS when another instance was first), then joins the group
 * and restores its tasks' stores from their changelogs. An instance that lost the race to create a
 * changelog must still find it: its cached metadata, read before the other instance created it,
 * did not hold the topic, and the restore failed with UNKNOWN_TOPIC_OR_PARTITION (the
 * exactly_once_v2 kill test saw an instance go to ERROR so in CI).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { wordCountTopology } from '../../examples/word-count.js';
import { KafkaStreams } from '../../src/streams/index.js';
import { startEnv, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

test('two instances started together both run their tasks: the one whose CreateTopics lost the race still finds the internal topics', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'cs-in', numPartitions: 2 }, { topic: 'cs-out', numPartitions: 2 }] });
  for (let round = 0; round < 3; round++) {
    const errors: string[] = [];
    const make = (name: string): KafkaStreams =>
      new KafkaStreams(wordCountTopology('cs-in', 'cs-out'), {
        applicationId: `cs-app-${round}`,
        bootstrapServers: env.broker.bootstrap,
        stateDir: join(env.stateDir, `${name}-${round}`),
        commitIntervalMs: 200,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 300,
        onError: (e) => errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`),
      });
    const a = make('a');
    const b = make('b');
    try {
      await Promise.all([a.start(), b.start()]);
      await until(
        'both instances running two tasks each',
        () => errors.length > 0 || (a.state === 'RUNNING' && b.state === 'RUNNING' && a.activeTasks().length === 2 && b.activeTasks().length === 2),
        90_000,
        () => `a=${a.state} ${a.activeTasks().join(',')} b=${b.state} ${b.activeTasks().join(',')}`,
      );
      assert.deepEqual(errors, [], `round ${round}`);
      assert.deepEqual([...a.activeTasks(), ...b.activeTasks()].sort(), ['0_0', '0_1', '1_0', '1_1']);
    } finally {
      await a.close();
      await b.close();
    }
  }
});
