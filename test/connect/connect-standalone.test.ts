/**
 * A standalone Connect worker in front of a real broker: FileStreamSource → topic →
 * FileStreamSink moves a file's lines (and resumes from its stored offset after a restart);
 * a sink with errors.tolerance=all sends a malformed record (converter) and a record its
 * transform cannot handle to the dead letter queue with
 * Kafka's __connect.errors.* headers (read back with kafkajs) while the others flow.
 */
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ConnectWorker } from '../../src/connect/worker.js';
import { connectSuite, expectStatus, fileLines, http, waitFor } from './connect-helpers.js';

const suite = connectSuite('samsa-connect-');

test('FileStreamSource to FileStreamSink through a topic; a restarted worker resumes after the stored offset', { timeout: 120_000 }, async (t) => {
  const src = join(suite.dir, 'in.txt');
  const dst = join(suite.dir, 'out.txt');
  const offsets = join(suite.dir, 'offsets.json');
  writeFileSync(src, Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n');
  const wc = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '200', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' };
  let worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [suite.broker.bootstrap], port: 0, workerConfig: wc, log: () => undefined });
  t.after(() => worker.close());
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'file-in', config: { 'connector.class': 'FileStreamSource', file: src, topic: 'lines', 'tasks.max': '1' } }), 201, 'create source');
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'file-out', config: { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', file: dst, topics: 'lines' } }), 201, 'create sink');
  await waitFor('500 lines in the sink file', () => fileLines(dst).length >= 500);
  assert.deepEqual(fileLines(dst), Array.from({ length: 500 }, (_, i) => `line ${i}`));
  const st = await http('GET', `${worker.url}/connectors/file-in/status`);
  assert.deepEqual((st.json as { connector: { state: string }; tasks: { state: string }[] }).tasks.map((x) => x.state), ['RUNNING']);

  await worker.close();
  appendFileSync(src, Array.from({ length: 100 }, (_, i) => `more ${i}`).join('\n') + '\n');
  worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [suite.broker.bootstrap], port: 0, workerConfig: wc, log: () => undefined });
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'file-in', config: { 'connector.class': 'FileStreamSource', file: src, topic: 'lines' } }), 201, 'create source again');
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'file-out', config: { 'connector.class': 'FileStreamSink', file: dst, topics: 'lines' } }), 201, 'create sink again');
  await waitFor('600 lines in the sink file', () => fileLines(dst).length >= 600);
  assert.deepEqual(fileLines(dst), [...Array.from({ length: 500 }, (_, i) => `line ${i}`), ...Array.from({ length: 100 }, (_, i) => `more ${i}`)]);
});

test('a malformed record goes to the dead letter queue with the __connect.errors.* headers; the others flow', { timeout: 120_000 }, async (t) => {
  const kafka = new Kafka({ brokers: [suite.broker.bootstrap], clientId: 'dlq-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ value: '{"id":1}' }, { value: '{"id":2' }, { value: '[5]' }, { value: '{"id":3}' }] });
  await producer.disconnect();

  const dst = join(suite.dir, 'orders.txt');
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [suite.broker.bootstrap], port: 0, log: () => undefined });
  t.after(() => worker.close());
  const config = {
    'connector.class': 'FileStreamSink',
    file: dst,
    topics: 'orders',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    transforms: 'id',
    'transforms.id.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
    'transforms.id.field': 'id',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': 'orders-dlq',
    'errors.deadletterqueue.topic.replication.factor': '1',
    'errors.deadletterqueue.context.headers.enable': 'true',
  };
  expectStatus(await http('PUT', `${worker.url}/connectors/orders-sink/config`, config), 201, 'create');
  await waitFor('two good records in the file', () => fileLines(dst).length >= 2);
  assert.deepEqual(fileLines(dst), ['1', '3']);

  const consumer = kafka.consumer({ groupId: 'dlq-reader' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders-dlq', fromBeginning: true });
  const got: { value: string; headers: Record<string, string> }[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ value: message.value?.toString() ?? '', headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }) });
  await waitFor('the DLQ records', () => got.length >= 2);
  await consumer.disconnect();
  assert.equal(got.length, 2);
  const h = got[0]?.headers ?? {};
  assert.equal(got[0]?.value, '{"id":2');
  assert.equal(h['__connect.errors.topic'], 'orders');
  assert.equal(h['__connect.errors.partition'], '0');
  assert.equal(h['__connect.errors.offset'], '1');
  assert.equal(h['__connect.errors.connector.name'], 'orders-sink');
  assert.equal(h['__connect.errors.task.id'], '0');
  assert.equal(h['__connect.errors.stage'], 'VALUE_CONVERTER');
  assert.equal(h['__connect.errors.class.name'], 'org.apache.kafka.connect.json.JsonConverter');
  assert.equal(h['__connect.errors.exception.class.name'], 'DataException');
  assert.match(h['__connect.errors.exception.message'] ?? '', /Converting byte\[\] to Kafka Connect data failed/);
  assert.ok((h['__connect.errors.exception.stacktrace'] ?? '').length > 0);
  const h2 = got[1]?.headers ?? {};
  assert.equal(got[1]?.value, '[5]');
  assert.deepEqual([h2['__connect.errors.offset'], h2['__connect.errors.stage'], h2['__connect.errors.class.name'], h2['__connect.errors.exception.class.name']], ['2', 'TRANSFORMATION', 'org.apache.kafka.connect.transforms.ExtractField$Value', 'DataException']);
  const st = await http('GET', `${worker.url}/connectors/orders-sink/status`);
  assert.deepEqual((st.json as { tasks: { state: string }[] }).tasks.map((x) => x.state), ['RUNNING']);
});
