/**
 * The HTTP sink (Confluent HTTP Sink's keys) against a real node:http server of the test's own:
 * records go in batches of batch.max.size as JSON arrays with the configured method, URL
 * (${topic}) and headers; a 503 is retried with backoff until the server takes the batch; a
 * batch the server refuses with a status not in retry.on.status.codes goes to the dead letter
 * queue record by record with the error context headers (stage TASK_PUT), and the task runs on.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ConnectWorker } from '../../src/connect/worker.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectStatus, http, waitFor } from './connect-helpers.js';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG } });
});

after(async () => {
  await broker?.stop();
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

test('HTTP sink: batches, method, headers, retries on 503, a refused batch to the DLQ', { timeout: 120_000 }, async (t) => {
  const seen: Seen[] = [];
  let unavailable = 2;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      let status = 200;
      if (unavailable > 0) {
        unavailable--;
        status = 503;
      } else if (body.includes('poison')) status = 400;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"error":"no"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;

  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'http-sink-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'http-in', numPartitions: 1 }] });
  await admin.disconnect();
  const values = [...Array.from({ length: 5 }, (_, i) => `{"id":${i}}`), '{"id":"poison"}', ...Array.from({ length: 5 }, (_, i) => `{"id":${i + 5}}`)];
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'http-in', messages: values.map((value) => ({ value })) });
  await producer.disconnect();

  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [broker.bootstrap], port: 0, log: () => undefined });
  t.after(() => worker.close());
  expectStatus(
    await http('POST', `${worker.url}/connectors`, {
      name: 'http-out',
      config: {
        'connector.class': 'io.confluent.connect.http.HttpSinkConnector',
        topics: 'http-in',
        'http.api.url': `http://127.0.0.1:${port}/ingest/\${topic}`,
        'request.method': 'PUT',
        headers: 'X-Api-Key:secret|X-Team:data',
        'batch.max.size': '4',
        'request.body.format': 'json',
        'retry.backoff.ms': '50',
        'max.retries': '5',
        'retry.on.status.codes': '500-',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'http-dlq',
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
    }),
    201,
    'create',
  );

  const consumer = kafka.consumer({ groupId: 'http-dlq-reader' });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'http-dlq', fromBeginning: true });
  const dead: { value: string; headers: Record<string, string> }[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void dead.push({ value: message.value?.toString() ?? '', headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }) });

  const accepted = (): string[] => seen.filter((s) => s.status === 200).flatMap((s) => (JSON.parse(s.body) as unknown[]).map((v) => JSON.stringify(v)));
  await waitFor('every record accepted or in the DLQ', () => accepted().length + dead.length >= values.length, 60_000);
  // The first batch was refused twice with 503 and sent again: the same body three times.
  assert.deepEqual(seen.slice(0, 3).map((s) => s.status), [503, 503, 200]);
  assert.equal(new Set(seen.slice(0, 3).map((s) => s.body)).size, 1);
  for (const s of seen) {
    assert.equal(s.method, 'PUT');
    assert.equal(s.url, '/ingest/http-in');
    assert.equal(s.headers['x-api-key'], 'secret');
    assert.equal(s.headers['x-team'], 'data');
    assert.match(s.headers['content-type'] ?? '', /application\/json/);
    assert.ok((JSON.parse(s.body) as unknown[]).length <= 4, `batch of at most 4: ${s.body}`);
  }
  // The refused batch (with the poison record) went to the DLQ, whole, in order; the rest was accepted, in order.
  const refused = seen.filter((s) => s.status === 400);
  assert.equal(refused.length, 1, 'a 400 is not retried');
  const refusedValues = (JSON.parse(refused[0]?.body ?? '[]') as unknown[]).map((v) => JSON.stringify(v));
  assert.deepEqual(dead.map((d) => d.value), refusedValues);
  assert.ok(refusedValues.includes('{"id":"poison"}'));
  assert.deepEqual([...accepted(), ...refusedValues].sort(), [...values].sort());
  assert.deepEqual(accepted(), values.filter((v) => !refusedValues.includes(v)));
  const h = dead[0]?.headers ?? {};
  assert.equal(h['__connect.errors.stage'], 'TASK_PUT');
  assert.equal(h['__connect.errors.class.name'], 'io.confluent.connect.http.HttpSinkConnector');
  assert.equal(h['__connect.errors.topic'], 'http-in');
  assert.match(h['__connect.errors.exception.message'] ?? '', /HTTP 400/);
  const st = (await http('GET', `${worker.url}/connectors/http-out/status`)).json as { tasks: { state: string }[] };
  assert.deepEqual(st.tasks.map((x) => x.state), ['RUNNING']);
});

test('HTTP sink: retries run out with errors.tolerance=none, the task fails after max.retries + 1 attempts', { timeout: 120_000 }, async (t) => {
  let attempts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      attempts++;
      res.writeHead(500).end('down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as { port: number }).port;
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'http-sink-test-2', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'http-down', messages: [{ value: 'one' }] });
  await producer.disconnect();
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [broker.bootstrap], port: 0, log: () => undefined });
  t.after(() => worker.close());
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'http-down', config: { 'connector.class': 'HttpSink', topics: 'http-down', 'http.api.url': `http://127.0.0.1:${port}/x`, 'max.retries': '2', 'retry.backoff.ms': '10', 'value.converter': 'StringConverter' } }), 201, 'create');
  const failed = await waitFor('the task FAILED', async () => {
    const st = (await http('GET', `${worker.url}/connectors/http-down/status`)).json as { tasks: { state: string; trace?: string }[] };
    return st.tasks[0]?.state === 'FAILED' ? st.tasks[0] : null;
  });
  assert.match(failed.trace ?? '', /HTTP 500/);
  assert.equal(attempts, 3);
});
