/**
 * Two samsa/streams instances of one application (word count) against a real in-process broker:
 * the streams assignor splits the six tasks between them; when one closes, the other takes over
 * its tasks, restores their stores from the changelogs and the counts stay exact (output read
 * with kafkajs, compared with counts computed from the input).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { wordCountTopology } from '../../examples/word-count.js';
import { KafkaStreams } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, tableEquals, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

function counts(lines: readonly string[]): Map<string, string | null> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.toLowerCase().split(/[^a-z0-9_]+/)) if (w !== '') m.set(w, (m.get(w) ?? 0) + 1);
  return new Map([...m].map(([k, n]) => [k, String(n)]));
}

test('two instances split the tasks; when one leaves the other takes its tasks over with their state', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'rb-in', numPartitions: 3 }, { topic: 'rb-out', numPartitions: 3 }] });
  const errors: unknown[] = [];
  const make = (name: string): KafkaStreams =>
    new KafkaStreams(wordCountTopology('rb-in', 'rb-out'), { applicationId: 'rb-app', bootstrapServers: env.broker.bootstrap, stateDir: join(env.stateDir, name), commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, onError: (e) => errors.push(e) });
  const a = make('a');
  const b = make('b');
  await a.start();
  await b.start();
  await until('both instances to run three tasks each', () => a.activeTasks().length === 3 && b.activeTasks().length === 3, 60_000, () => `a=${a.activeTasks().join(',')} b=${b.activeTasks().join(',')}`);
  assert.deepEqual([...a.activeTasks(), ...b.activeTasks()].sort(), ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2']);

  const lines1 = Array.from({ length: 40 }, (_, i) => `w${i % 9} w${i % 4} common`);
  await env.producer.send({ topic: 'rb-in', messages: lines1.map((value, i) => ({ key: `l${i}`, value })) });
  const want1 = counts(lines1);
  let got = await readUntil(env.kafka, 'rb-out', (rs) => tableEquals(lastValues(rs), want1), 90_000);
  assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want1));

  await b.close();
  await until('the remaining instance to run all six tasks', () => a.activeTasks().length === 6, 60_000, () => `a=${a.activeTasks().join(',')}`);
  const lines2 = Array.from({ length: 30 }, (_, i) => `w${i % 5} common`);
  await env.producer.send({ topic: 'rb-in', messages: lines2.map((value, i) => ({ key: `m${i}`, value })) });
  const want2 = counts([...lines1, ...lines2]);
  got = await readUntil(env.kafka, 'rb-out', (rs) => tableEquals(lastValues(rs), want2), 90_000);
  assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want2));
  assert.ok(a.restoredRecords > 0, 'the tasks taken over were restored from their changelogs');
  await a.close();
  assert.deepEqual(errors, []);
});
