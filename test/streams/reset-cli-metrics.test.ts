/**
 * `samsa streams reset` (the real binary, as kafka-streams-application-reset.sh) and the Streams
 * metrics API against a real in-process broker: the reset is refused while an instance runs,
 * --dry-run changes nothing, then the input offsets go to the earliest and the internal topics
 * are deleted (checked with kafkajs); the task and processor-node metrics count what the
 * application processed and punctuated, also in Prometheus text.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { wordCountTopology } from '../../examples/word-count.js';
import { KafkaStreams, PunctuationType, Serdes, StreamsBuilder } from '../../src/streams/index.js';
import { isInternalTopicName } from '../../src/streams/reset.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';
import { readUntil, startEnv, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const common = () => ({ bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });

test('samsa streams reset: refused while running, --dry-run changes nothing, then input offsets to earliest and internal topics deleted', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'cr-in', numPartitions: 2 }, { topic: 'cr-out', numPartitions: 2 }] });
  await env.producer.send({ topic: 'cr-in', messages: ['a b', 'b c', 'c a d'].map((value, i) => ({ key: `l${i}`, value })) });
  const app = new KafkaStreams(wordCountTopology('cr-in', 'cr-out'), { ...common(), applicationId: 'cr-app' });
  await app.start();
  const args = ['streams', 'reset', '--application-id', 'cr-app', '--input-topics', 'cr-in,cr-nope', '--to-earliest', '-b', env.broker.bootstrap];
  try {
    await readUntil(env.kafka, 'cr-out', (rs) => rs.length >= 7);
    const live = await samsaCli(args);
    assert.equal(live.code, 1, live.stderr);
    assert.match(live.stderr, /still active/);
  } finally {
    await app.close();
  }
  const internal = ['cr-app-counts-changelog', 'cr-app-counts-repartition'];
  const topics = async (): Promise<string[]> => (await env.admin.listTopics()).filter((t) => t.startsWith('cr-app-')).sort();
  assert.deepEqual(await topics(), internal);

  const dry = await samsaCli([...args, '--dry-run']);
  assert.equal(dry.code, 1, dry.stderr); // a missing input topic makes the exit code 1, as Kafka's tool
  assert.match(dry.stdout, /----Dry run----/);
  assert.match(dry.stdout, /Input topic cr-nope not found\. Skipping\./);
  assert.deepEqual(await topics(), internal);

  const ok = await samsaCli(['streams', 'reset', '--application-id', 'cr-app', '--input-topics', 'cr-in', '--to-earliest', '-b', env.broker.bootstrap]);
  assertOk(ok, 'streams reset');
  assert.match(ok.stdout, /Topic: cr-in Partition: 0 Offset: 0\nTopic: cr-in Partition: 1 Offset: 0/);
  assert.match(ok.stdout, /Deleting inferred internal topics \[cr-app-counts-changelog, cr-app-counts-repartition\]/);
  await until('internal topics deleted', async () => (await topics()).length === 0);
  const offsets = await env.admin.fetchOffsets({ groupId: 'cr-app', topics: ['cr-in'] });
  assert.deepEqual(offsets[0]?.partitions.map((p) => p.offset).sort(), ['0', '0']);

  const json = await samsaCli(['streams', 'reset', '--application-id', 'cr-app', '--json', '--dry-run', '-b', env.broker.bootstrap]);
  assertOk(json, 'streams reset --json');
  assert.deepEqual(JSON.parse(json.stdout), { applicationId: 'cr-app', dryRun: true, reset: [], missingInputTopics: [], deletedTopics: [] });
  // Foreign-key join topics are internal too (Kafka's StreamsResetter matches them by name).
  assert.ok(isInternalTopicName('app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic'));
  assert.ok(isInternalTopicName('app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000012-topic'));
  assert.ok(!isInternalTopicName('app-orders'));
});

test('metrics: per-task process/punctuate totals and rates, per-processor-node totals, Prometheus text', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'mt-in', numPartitions: 2 }, { topic: 'mt-out', numPartitions: 2 }] });
  const N = 200;
  await env.producer.send({ topic: 'mt-in', messages: Array.from({ length: N }, (_, i) => ({ key: `k${i % 13}`, value: `v${i}`, timestamp: String(1_700_000_000_000 + i * 100) })) });
  let punctuated = 0;
  const b = new StreamsBuilder();
  b.stream<string, string>('mt-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .filter((k) => k !== 'k0')
    .process<string, string>(() => ({
      init: (ctx) => void ctx.schedule(1_000, PunctuationType.STREAM_TIME, () => void punctuated++),
      process: (r, ctx) => ctx.forward(r),
    }))
    .to('mt-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'mt-app' });
  await app.start();
  try {
    const passed = Array.from({ length: N }, (_, i) => i % 13).filter((k) => k !== 0).length;
    await readUntil(env.kafka, 'mt-out', (rs) => rs.length >= passed);
    const sum = (group: string, name: string, node?: RegExp): number =>
      app.metrics().filter((m) => m.group === group && m.name === name && (node === undefined || node.test(m.tags['processor-node-id'] ?? ''))).reduce((a, m) => a + m.value, 0);
    await until('every record counted', () => sum('stream-task-metrics', 'process-total') === N);
    assert.equal(sum('stream-processor-node-metrics', 'process-total', /^KSTREAM-FILTER-/), N);
    assert.equal(sum('stream-processor-node-metrics', 'process-total', /^KSTREAM-PROCESSOR-/), passed);
    assert.equal(sum('stream-task-metrics', 'punctuate-total'), punctuated);
    assert.ok(punctuated >= 2, `punctuations: ${punctuated}`);
    assert.ok(sum('stream-task-metrics', 'process-rate') > 0);
    assert.deepEqual([...new Set(app.metrics().map((m) => m.tags['task-id']))].sort(), ['0_0', '0_1']);
    const text = app.metricsText();
    assert.match(text, /# TYPE kafka_streams_stream_task_metrics_process_total counter\n/);
    assert.match(text, /kafka_streams_stream_task_metrics_process_total\{thread_id="mt-app-StreamThread-1",task_id="0_[01]"\} \d+\n/);
    assert.match(text, /kafka_streams_stream_processor_node_metrics_process_total\{thread_id="mt-app-StreamThread-1",task_id="0_[01]",processor_node_id="KSTREAM-FILTER-\d+"\} \d+\n/);
  } finally {
    await app.close();
  }
});
