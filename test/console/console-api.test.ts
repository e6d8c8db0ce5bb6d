/**
 * The console's JSON API (docs/console.md) against a real broker, without a browser: input
 * validation (400 with a message, never a stack trace), bounded message reads (preview cut with
 * the real size; "show all" by a larger preview), the filters (key, value, header, JSON path),
 * reads from a timestamp, the `next` offsets a live tail continues from, add partitions, delete
 * records, and the group actions (reset refused while members are active, delete offsets, delete).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { startBroker } from '../../src/index.js';
import { byteCountersOf } from '../../src/console/metrics-source.js';
import { startConsole } from '../../src/console/server.js';
import { startConsoleBroker, type ConsoleBroker } from './console-fixture.js';

const { Kafka, logLevel } = kafkajs;

let cb: ConsoleBroker;
before(async () => {
  cb = await startConsoleBroker();
});
after(async () => {
  await cb?.stop();
});

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

async function call(path: string, method = 'GET', body?: unknown): Promise<Answer> {
  const res = await fetch(`${cb.url}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  assert.doesNotMatch(text, /\.js:\d+:\d+/, `no stack trace in ${method} ${path}`);
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) };
}

interface Rec {
  partition: number;
  offset: number;
  timestamp: number;
  key: { size: number; base64: string; truncated: boolean } | null;
  value: { size: number; base64: string; truncated: boolean } | null;
  headers: { key: string; value: { base64: string } | null }[];
}
const records = (a: Answer): Rec[] => a.body['records'] as Rec[];
const text = (b: { base64: string } | null): string | null => (b === null ? null : Buffer.from(b.base64, 'base64').toString('utf8'));

test('the API validates its input and answers JSON errors', async () => {
  for (const [path, method, body] of [
    ['/api/topics/bad%20name', 'GET', undefined],
    ['/api/topics/' + 'x'.repeat(250), 'GET', undefined],
    ['/api/topics', 'POST', { name: '..' }],
    ['/api/topics', 'POST', { name: 'ok', partitions: 'many' }],
    ['/api/topics', 'POST', { name: 'ok', partitions: 0 }],
    ['/api/topics', 'POST', { name: 'ok', configs: { 'bad name!': '1' } }],
    ['/api/topics', 'POST', '{not json'],
    ['/api/topics', 'POST', [1, 2]],
  ] as const) {
    const a = await call(path, method, body);
    assert.equal(a.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(a.body)}`);
    assert.equal(typeof a.body.error?.message, 'string');
  }
  assert.equal((await call('/api/topics', 'POST', { name: 'api-t', partitions: 2 })).status, 201);
  assert.equal((await call('/api/topics', 'POST', { name: 'api-t', partitions: 2 })).status, 409);
  for (const q of ['limit=0', 'limit=501', 'offset=-1', 'offset=1e9', 'partition=7', 'preview=99999999', 'scan=0', 'mode=sideways', 'jsonPath=$..', 'timestamp=x']) {
    const a = await call(`/api/topics/api-t/messages?${q}`);
    assert.ok(a.status === 400 || a.status === 404, `${q}: ${a.status} ${JSON.stringify(a.body)}`);
  }
  assert.equal((await call('/api/topics/no-such/messages')).status, 404);
  assert.equal((await call('/api/topics/api-t/messages', 'POST', { value: 'x'.repeat(1024 * 1024 + 1) })).status, 400);
  assert.equal((await call('/api/topics/api-t/messages', 'POST', { value: 'x', partition: 2 })).status, 400);
  assert.equal((await call('/api/topics/api-t/messages', 'POST', { value: 'x', headers: [{ key: '' }] })).status, 400);
  assert.equal((await call('/api/groups/' + 'g'.repeat(1001))).status, 400);
  assert.equal((await call('/api/no-such-api')).status, 404);
  const cluster = await call('/api/cluster');
  assert.equal(cluster.body['consoleVersion'], (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  assert.ok(Array.isArray(cluster.body['features']));
  // Another site's page cannot change anything: a foreign Origin is refused, a text body too.
  const foreign = await fetch(`${cb.url}/api/topics/api-t`, { method: 'DELETE', headers: { origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403);
  const plain = await fetch(`${cb.url}/api/topics`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"name":"from-text"}' });
  assert.ok(plain.status === 400 || plain.status === 415, String(plain.status));
  assert.equal((await call('/api/topics/from-text')).status, 404);
  const own = await fetch(`${cb.url}/api/topics/api-t/partitions`, { method: 'POST', headers: { origin: cb.url, 'content-type': 'application/json' }, body: '{"count":3}' });
  assert.equal(own.status, 200);
});

test('message reads: preview and show all, filters, timestamps, next offsets, delete records', async () => {
  assert.equal((await call('/api/topics', 'POST', { name: 'api-m', partitions: 1 })).status, 201);
  const big = 'B'.repeat(10_000);
  const produced: number[] = [];
  const before = Date.now();
  for (const [key, value, headers] of [
    ['a', '{"user":{"id":7,"name":"ann"},"tags":["x","y"]}', [{ key: 'type', value: 'signup' }]],
    ['b', '{"user":{"id":8,"name":"bob"}}', [{ key: 'type', value: 'login' }]],
    ['c', big, []],
    [null, 'plain text', [{ key: 'flag', value: null }]],
  ] as const) {
    const a = await call('/api/topics/api-m/messages', 'POST', { key, value, headers, partition: 0 });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    produced.push(a.body['offset'] as number);
  }
  assert.deepEqual(produced, [0, 1, 2, 3]);

  const all = await call('/api/topics/api-m/messages?partition=0&mode=offset&offset=0');
  assert.equal(records(all).length, 4);
  const r2 = records(all)[2] as Rec;
  assert.equal(r2.value?.size, 10_000);
  assert.equal(r2.value?.truncated, true);
  assert.equal(text(r2.value)?.length, 2048);
  assert.equal(records(all)[3]?.key, null);
  assert.deepEqual(all.body['next'], { '0': 4 });
  const full = await call('/api/topics/api-m/messages?partition=0&mode=offset&offset=2&limit=1&preview=4194304');
  assert.equal(text(records(full)[0]?.value ?? null), big);
  assert.equal(records(full)[0]?.value?.truncated, false);

  const offsets = async (q: string): Promise<number[]> => records(await call(`/api/topics/api-m/messages?${q}`)).map((r) => r.offset);
  assert.deepEqual(await offsets('key=B'), [1]);
  assert.deepEqual(await offsets('value=ANN'), [0]);
  assert.deepEqual(await offsets('header=type'), [0, 1]);
  assert.deepEqual(await offsets('header=type%3Dlogin'), [1]);
  assert.deepEqual(await offsets('header=flag'), [3]);
  assert.deepEqual(await offsets('jsonPath=%24.user.id'), [0, 1]);
  assert.deepEqual(await offsets('jsonPath=%24.user.id&jsonValue=8'), [1]);
  assert.deepEqual(await offsets('jsonPath=user.name&jsonValue=ann'), [0]);
  assert.deepEqual(await offsets('jsonPath=%24.tags%5B1%5D&jsonValue=y'), [0]);
  assert.deepEqual(await offsets('mode=newest&limit=2'), [2, 3]);
  assert.deepEqual(await offsets('mode=offset&offset=1&limit=2'), [1, 2]);
  assert.deepEqual(await offsets(`mode=timestamp&timestamp=${before - 60_000}&limit=1`), [0]);
  assert.deepEqual(await offsets(`mode=timestamp&timestamp=${Date.now() + 60_000}`), []);
  // A tail continues from `next`: nothing new, then the new record.
  const tail = await call('/api/topics/api-m/messages?partition=0&mode=offset&offset=4');
  assert.deepEqual(records(tail), []);
  assert.deepEqual(tail.body['next'], { '0': 4 });
  await call('/api/topics/api-m/messages', 'POST', { value: 'later', partition: 0 });
  assert.deepEqual(await offsets('partition=0&mode=offset&offset=4'), [4]);

  // Delete records below offset 2; add partitions.
  const del = await call('/api/topics/api-m/delete-records', 'POST', { partition: 0, offset: 2 });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assert.equal(del.body['lowWatermark'], 2);
  assert.deepEqual(await offsets('mode=offset&offset=0'), [2, 3, 4]);
  assert.equal((await call('/api/topics/api-m/partitions', 'POST', { count: 3 })).status, 200);
  assert.equal((await call('/api/topics/api-m/partitions', 'POST', { count: 2 })).status, 400);
  const detail = await call('/api/topics/api-m');
  assert.equal((detail.body['partitions'] as unknown[]).length, 3);
  assert.deepEqual((detail.body['partitions'] as { startOffset: number; endOffset: number }[])[0], { ...(detail.body['partitions'] as object[])[0], startOffset: 2, endOffset: 5 });
});

test('group actions: reset refused while active, dry run, delete offsets, delete group', { timeout: 60_000 }, async () => {
  assert.equal((await call('/api/topics', 'POST', { name: 'api-g', partitions: 1 })).status, 201);
  for (let i = 0; i < 4; i++) await call('/api/topics/api-g/messages', 'POST', { value: `v${i}`, partition: 0 });
  const kafka = new Kafka({ clientId: 'api-test', brokers: [cb.broker.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'api-group', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'api-g', fromBeginning: true });
  let n = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({ autoCommitInterval: 100, eachMessage: async () => void (++n === 4 && resolve()) });
  });
  try {
    const active = await call('/api/groups/api-group/reset-offsets', 'POST', { spec: { kind: 'earliest' }, dryRun: true });
    assert.equal(active.status, 409);
    assert.equal((await call('/api/groups/api-group', 'DELETE')).status, 409);
  } finally {
    await consumer.disconnect();
  }
  const g = await call('/api/groups/api-group');
  assert.equal(g.body['state'], 'Empty');
  assert.equal(g.body['totalLag'], 0);
  const list = await call('/api/groups');
  assert.deepEqual((list.body as unknown as { group: string; totalLag: number }[]).find((x) => x.group === 'api-group')?.totalLag, 0);
  for (const [spec, expected] of [
    [{ kind: 'earliest' }, 0],
    [{ kind: 'latest' }, 4],
    [{ kind: 'offset', offset: 2 }, 2],
    [{ kind: 'offset', offset: 99 }, 4],
    [{ kind: 'shift-by', shift: -3 }, 1],
    [{ kind: 'timestamp', timestamp: Date.now() + 60_000 }, 4],
  ] as const) {
    const a = await call('/api/groups/api-group/reset-offsets', 'POST', { topic: 'api-g', spec, dryRun: true });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body['offsets'], [{ topic: 'api-g', partition: 0, currentOffset: 4, newOffset: expected }], JSON.stringify(spec));
  }
  assert.equal((await call('/api/groups/api-group/reset-offsets', 'POST', { spec: { kind: 'shift-by', shift: -1 }, dryRun: false })).status, 200);
  assert.equal((await call('/api/groups/api-group')).body['totalLag'], 1);
  assert.equal((await call('/api/groups/api-group/reset-offsets', 'POST', { spec: { kind: 'sideways' } })).status, 400);
  const delOffsets = await call('/api/groups/api-group/delete-offsets', 'POST', { topic: 'api-g' });
  assert.equal(delOffsets.status, 200, JSON.stringify(delOffsets.body));
  assert.deepEqual((await call('/api/groups/api-group')).body['offsets'], []);
  assert.equal((await call('/api/groups/api-group', 'DELETE')).status, 200);
  assert.equal((await call('/api/groups/api-group')).status, 404);
  assert.equal((await call('/api/groups/never-was', 'DELETE')).status, 404);
});

test('with --metrics, the throughput counters include the brokers\' byte counters', { timeout: 60_000 }, async (t) => {
  assert.deepEqual(byteCountersOf('kafka_server_brokertopicmetrics_bytesin_total 10\nkafka_server_brokertopicmetrics_bytesin_total{topic="a"} 7\nkafka_server_brokertopicmetrics_bytesout_total 3\n# HELP x\n'), { bytesIn: 10, bytesOut: 3 });
  const b = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0' }, logger: { level: 'warn' } });
  t.after(() => b.stop());
  const metricsUrl = `${b.broker.observability?.listeners[0]?.url}/metrics`;
  const running = await startConsole({ bootstrap: [b.bootstrap], port: 0, metricsUrl });
  t.after(() => running.close());
  assert.deepEqual(await (await fetch(`${running.url}/api/features`)).json(), { metrics: true, schemaRegistry: false, connect: false });
  assert.equal((await fetch(`${running.url}/api/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'metered', partitions: 1 }) })).status, 201);
  const res = await fetch(`${running.url}/api/topics/metered/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'y'.repeat(1000) }) });
  assert.equal(res.status, 201);
  const tp = (await (await fetch(`${running.url}/api/throughput`)).json()) as { produced: number; metrics: { bytesIn: number; answered: number } };
  assert.equal(tp.produced, 1);
  assert.equal(tp.metrics.answered, 1);
  assert.ok(tp.metrics.bytesIn >= 1000, JSON.stringify(tp));
});
