/**
 * Resetting a samsa/streams application (src/streams/reset.ts, Kafka's StreamsResetter) against
 * a real broker: refused while an instance runs; once stopped, the input offsets go back to the
 * earliest, the internal topics are deleted, cleanUp() removes the local state, and the restarted
 * application counts the input again from scratch (every word's updates 1..n appear a second
 * time in the output, read with kafkajs).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { wordCountTopology } from '../../examples/word-count.js';
import { KafkaStreams, resetApplication } from '../../src/streams/index.js';
import { readUntil, startEnv, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

test('reset: refused while running; then the application reprocesses its input from scratch', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'rs-in', numPartitions: 2 }, { topic: 'rs-out', numPartitions: 2 }] });
  const lines = ['a b c', 'a b', 'a'];
  await env.producer.send({ topic: 'rs-in', messages: lines.map((value, i) => ({ key: `l${i}`, value })) });
  const config = { applicationId: 'rs-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 };
  const first = new KafkaStreams(wordCountTopology('rs-in', 'rs-out'), config);
  await first.start();
  await readUntil(env.kafka, 'rs-out', (rs) => rs.length >= 6);
  await assert.rejects(resetApplication({ applicationId: 'rs-app', bootstrapServers: env.broker.bootstrap, inputTopics: ['rs-in'] }), /still active/);
  await first.close();

  const result = await resetApplication({ applicationId: 'rs-app', bootstrapServers: env.broker.bootstrap, inputTopics: ['rs-in', 'rs-missing'] });
  assert.deepEqual(result.deletedTopics, ['rs-app-counts-changelog', 'rs-app-counts-repartition']);
  assert.deepEqual(result.missingInputTopics, ['rs-missing']);
  assert.deepEqual(result.reset.map((r) => `${r.topic}-${r.partition}@${r.offset}`).sort(), ['rs-in-0@0', 'rs-in-1@0']);
  assert.ok(!(await env.admin.listTopics()).some((t) => t.startsWith('rs-app-')));
  const offsets = await env.admin.fetchOffsets({ groupId: 'rs-app', topics: ['rs-in'] });
  assert.deepEqual(offsets[0]?.partitions.map((p) => p.offset), ['0', '0']);

  const second = new KafkaStreams(wordCountTopology('rs-in', 'rs-out'), config);
  second.cleanUp();
  assert.ok(!existsSync(join(env.stateDir, 'rs-app')));
  await second.start();
  try {
    const out = await readUntil(env.kafka, 'rs-out', (rs) => rs.length >= 12);
    const updates = (w: string): string[] => out.filter((r) => r.key === w).map((r) => r.value ?? '');
    assert.deepEqual(updates('a'), ['1', '2', '3', '1', '2', '3']);
    assert.deepEqual(updates('b'), ['1', '2', '1', '2']);
    assert.deepEqual(updates('c'), ['1', '1']);
  } finally {
    await second.close();
  }
});
