/**
 * samsa/streams word count (examples/word-count.ts) against a real in-process broker: the output
 * topic, read back with kafkajs, ends as the table of word counts computed here from the same
 * input; the topology description names the repartition topic and the count store; after a clean
 * stop, more input and a wiped state directory, a restarted instance restores the count store
 * from its changelog and the counts continue from where they were.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { wordCountTopology } from '../../examples/word-count.js';
import { KafkaStreams, StreamsState } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, tableEquals, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const LINES_1 = ['all streams lead to kafka', 'hello kafka streams', 'join kafka summit', 'the quick brown fox', 'Streams, streams and MORE streams!'];
const LINES_2 = ['kafka kafka kafka', 'a fox jumps over the lazy dog', 'hello again streams'];

function expectedCounts(lines: readonly string[]): Map<string, string | null> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.toLowerCase().split(/[^a-z0-9_]+/)) if (w !== '') counts.set(w, (counts.get(w) ?? 0) + 1);
  return new Map([...counts].map(([w, n]) => [w, String(n)]));
}

test('the word-count topology describes two sub-topologies joined by the count repartition topic', () => {
  const text = wordCountTopology('in', 'out').describe();
  assert.match(text, /Sub-topology: 0\n {4}Source: KSTREAM-SOURCE-0000000000 \(topics: \[in\]\)/);
  assert.match(text, /Sink: KSTREAM-SINK-\d+ \(topic: counts-repartition\)/);
  assert.match(text, /Sub-topology: 1\n {4}Source: KSTREAM-SOURCE-\d+ \(topics: \[counts-repartition\]\)/);
  assert.match(text, /Processor: KSTREAM-AGGREGATE-\d+ \(stores: \[counts\]\)/);
  assert.match(text, /Sink: KSTREAM-SINK-\d+ \(topic: out\)/);
});

test('word count: the output table equals the counts of the input; a restart restores the store from its changelog and continues', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'wc-in', numPartitions: 3 }, { topic: 'wc-out', numPartitions: 2 }] });
  await env.producer.send({ topic: 'wc-in', messages: LINES_1.map((value, i) => ({ key: `line-${i}`, value })) });
  const config = { applicationId: 'wc-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 };
  const errors: unknown[] = [];
  const first = new KafkaStreams(wordCountTopology('wc-in', 'wc-out'), { ...config, onError: (e) => errors.push(e) });
  await first.start();
  const want1 = expectedCounts(LINES_1);
  let got = await readUntil(env.kafka, 'wc-out', (rs) => tableEquals(lastValues(rs), want1), 90_000);
  assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want1));
  assert.equal(first.state, StreamsState.RUNNING);
  assert.deepEqual(first.activeTasks(), ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2']);
  assert.equal(first.get<string, number>('counts', 'streams'), 5);
  await first.close();
  assert.equal(first.state, StreamsState.NOT_RUNNING);

  // The internal topics carry the application id.
  const topics = await env.admin.listTopics();
  assert.ok(topics.includes('wc-app-counts-repartition') && topics.includes('wc-app-counts-changelog'), topics.join(', '));

  // More input while stopped, and the local state gone: the restarted instance restores from the changelog.
  await env.producer.send({ topic: 'wc-in', messages: LINES_2.map((value, i) => ({ key: `more-${i}`, value })) });
  rmSync(env.stateDir, { recursive: true, force: true });
  const second = new KafkaStreams(wordCountTopology('wc-in', 'wc-out'), { ...config, onError: (e) => errors.push(e) });
  await second.start();
  const want2 = expectedCounts([...LINES_1, ...LINES_2]);
  got = await readUntil(env.kafka, 'wc-out', (rs) => tableEquals(lastValues(rs), want2), 90_000);
  assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want2));
  await until('the restored store to answer', () => String(second.get<string, number>('counts', 'kafka')) === want2.get('kafka'));
  assert.ok(second.restoredRecords >= want1.size, `restored ${second.restoredRecords} changelog records, expected at least ${want1.size}`);
  await second.close();
  assert.deepEqual(errors, []);
});
