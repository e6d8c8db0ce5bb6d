/**
 * The REST proxy's v2 API against a real broker over TCP, driven with Node's fetch as curl would:
 * produce and consume binary and JSON records, topic and partition metadata and offsets,
 * consumer instances (subscribe, assign, seek, commit, committed, delete, idle timeout), the
 * error bodies and the bounds on untrusted input.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { RestProxy } from '../../src/rest/server.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectError, expectStatus, getWithBody, http, pollRecords } from './rest-helpers.js';

let broker: RunningBroker;
let proxy: RestProxy;
let base: string;

const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';

async function createTopic(name: string, partitions: number): Promise<void> {
  const clusters = await http('GET', `${base}/v3/clusters`);
  const id = (clusters.json as { data: { cluster_id: string }[] }).data[0]?.cluster_id as string;
  const a = await http('POST', `${base}/v3/clusters/${id}/topics`, { topic_name: name, partitions_count: partitions, replication_factor: 1 }, { 'content-type': 'application/json' });
  expectStatus(a, 201, `create ${name}`);
}

before(async () => {
  broker = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG, 'auto.create.topics.enable': false } });
  proxy = await RestProxy.start({ bootstrap: [broker.bootstrap], port: 0, consumerInstanceTimeoutMs: 60_000, maxRequestBytes: 256 * 1024, maxRecordsPerRequest: 100, maxConsumerInstances: 5 });
  base = proxy.url;
});

after(async () => {
  await proxy?.close();
  await broker?.stop();
});

test('binary records: produce to a topic and a partition, consume through a subscribed instance, commit and read the commit back', { timeout: 90_000 }, async () => {
  await createTopic('bin', 2);
  const p = await http('POST', `${base}/topics/bin`, { records: [{ key: Buffer.from('k1').toString('base64'), value: Buffer.from('v1').toString('base64') }, { value: Buffer.from('v2').toString('base64'), partition: 1 }] }, { 'content-type': BINARY });
  expectStatus(p, 200, 'produce');
  const offsets = (p.json as { offsets: { partition: number; offset: number; error_code: unknown }[]; key_schema_id: unknown }).offsets;
  assert.equal(offsets.length, 2);
  assert.deepEqual(offsets.map((o) => o.error_code), [null, null]);
  assert.equal(offsets[1]?.partition, 1);
  const pp = await http('POST', `${base}/topics/bin/partitions/0`, { records: [{ value: Buffer.from('v3').toString('base64') }] }, { 'content-type': BINARY });
  expectStatus(pp, 200, 'produce to partition 0');
  assert.equal((pp.json as { offsets: { partition: number }[] }).offsets[0]?.partition, 0);

  const c = await http('POST', `${base}/consumers/g-bin`, { name: 'c1', format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
  expectStatus(c, 200, 'create instance');
  const instance = c.json as { instance_id: string; base_uri: string };
  assert.equal(instance.instance_id, 'c1');
  assert.equal(instance.base_uri, `${base}/consumers/g-bin/instances/c1`);
  expectError(await http('POST', `${base}/consumers/g-bin`, { name: 'c1', format: 'binary' }), 409, 40902, 'same name again');
  expectStatus(await http('POST', `${instance.base_uri}/subscription`, { topics: ['bin'] }), 204, 'subscribe');
  const sub = await http('GET', `${instance.base_uri}/subscription`);
  assert.deepEqual(sub.json, { topics: ['bin'] });

  expectError(await http('GET', `${instance.base_uri}/records`, undefined, { accept: JSON_V2 }), 406, 40601, 'wrong format');
  const records = await pollRecords(instance.base_uri, 'binary', 3);
  const values = records.map((r) => Buffer.from(r['value'] as string, 'base64').toString()).sort();
  assert.deepEqual(values, ['v1', 'v2', 'v3']);
  const k1 = records.find((r) => Buffer.from(r['value'] as string, 'base64').toString() === 'v1');
  assert.equal(Buffer.from(k1?.['key'] as string, 'base64').toString(), 'k1');
  assert.equal(k1?.['topic'], 'bin');
  const assignment = await http('GET', `${instance.base_uri}/assignments`);
  assert.equal((assignment.json as { partitions: unknown[] }).partitions.length, 2);

  // Commit the last record read of partition 1 explicitly (Kafka stores offset + 1), everything else by position.
  const last1 = Math.max(...records.filter((r) => r['partition'] === 1).map((r) => r['offset'] as number));
  expectStatus(await http('POST', `${instance.base_uri}/offsets`, { offsets: [{ topic: 'bin', partition: 1, offset: last1 }] }), 200, 'commit partition 1');
  let committed = await getWithBody(`${instance.base_uri}/offsets`, { partitions: [{ topic: 'bin', partition: 0 }, { topic: 'bin', partition: 1 }] });
  expectStatus(committed, 200, 'committed');
  assert.deepEqual((committed.json as { offsets: unknown[] }).offsets, [{ topic: 'bin', partition: 1, offset: last1 + 1, metadata: '' }]);
  expectStatus(await http('POST', `${instance.base_uri}/offsets`), 200, 'commit positions');
  committed = await http('POST', `${instance.base_uri}/offsets/committed`, { partitions: [{ topic: 'bin', partition: 0 }] });
  assert.deepEqual((committed.json as { offsets: { offset: number }[] }).offsets.map((o) => o.offset), [records.filter((r) => r['partition'] === 0).length]);

  expectStatus(await http('DELETE', instance.base_uri), 204, 'delete');
  expectError(await http('GET', `${instance.base_uri}/records`, undefined, { accept: BINARY }), 404, 40403, 'deleted instance');
});

test('JSON records: any JSON value round-trips; manual assignment, seek and seek to the beginning and end', { timeout: 60_000 }, async () => {
  await createTopic('js', 1);
  const values = [{ a: 1, b: ['x', null] }, 'text', 42, null];
  const p = await http('POST', `${base}/topics/js`, { records: values.map((value, i) => ({ key: { id: i }, value })) }, { 'content-type': JSON_V2 });
  expectStatus(p, 200, 'produce');
  assert.deepEqual((p.json as { offsets: { offset: number }[] }).offsets.map((o) => o.offset), [0, 1, 2, 3]);

  const c = await http('POST', `${base}/consumers/g-js`, { name: 'j1', format: 'json' });
  const uri = (c.json as { base_uri: string }).base_uri;
  expectError(await http('GET', `${uri}/records`, undefined, { accept: JSON_V2 }), 409, 40903, 'records before subscribing or assigning');
  expectStatus(await http('POST', `${uri}/assignments`, { partitions: [{ topic: 'js', partition: 0 }] }), 204, 'assign');
  expectError(await http('POST', `${uri}/subscription`, { topics: ['js'] }), 409, 40903, 'subscribe after assign');
  expectStatus(await http('POST', `${uri}/positions`, { offsets: [{ topic: 'js', partition: 0, offset: 1 }] }), 204, 'seek');
  let got = await pollRecords(uri, 'json', 3);
  assert.deepEqual(got.map((r) => r['value']), ['text', 42, null]);
  assert.deepEqual(got.map((r) => r['key']), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  expectStatus(await http('POST', `${uri}/positions/beginning`, { partitions: [{ topic: 'js', partition: 0 }] }), 204, 'seek to beginning');
  got = await pollRecords(uri, 'json', 4);
  assert.deepEqual(got[0]?.['value'], { a: 1, b: ['x', null] });
  expectStatus(await http('POST', `${uri}/positions/end`, { partitions: [{ topic: 'js', partition: 0 }] }), 204, 'seek to end');
  const none = await http('GET', `${uri}/records?timeout=200`, undefined, { accept: JSON_V2 });
  assert.deepEqual(none.json, []);
  // max_bytes bounds an answer (at least one record is always returned).
  expectStatus(await http('POST', `${uri}/positions/beginning`, { partitions: [{ topic: 'js', partition: 0 }] }), 204, 'seek to beginning');
  const small = await http('GET', `${uri}/records?timeout=2000&max_bytes=1`, undefined, { accept: JSON_V2 });
  assert.equal((small.json as unknown[]).length, 1);
  expectStatus(await http('DELETE', uri), 204, 'delete');
});

test('topics, partitions, offsets and brokers', { timeout: 30_000 }, async () => {
  await createTopic('meta', 3);
  await http('POST', `${base}/topics/meta/partitions/2`, { records: [{ value: 1 }, { value: 2 }] }, { 'content-type': JSON_V2 });
  const topics = await http('GET', `${base}/topics`);
  assert.ok((topics.json as string[]).includes('meta'));
  assert.ok(!(topics.json as string[]).includes('__consumer_offsets'));
  const t = await http('GET', `${base}/topics/meta`);
  const tj = t.json as { name: string; configs: Record<string, string>; partitions: { partition: number; leader: number; replicas: { broker: number; leader: boolean; in_sync: boolean }[] }[] };
  assert.equal(tj.name, 'meta');
  assert.equal(tj.configs['cleanup.policy'], 'delete');
  assert.equal(tj.partitions.length, 3);
  assert.deepEqual(tj.partitions[0]?.replicas, [{ broker: tj.partitions[0]?.leader, leader: true, in_sync: true }]);
  const p2 = await http('GET', `${base}/topics/meta/partitions/2`);
  assert.equal((p2.json as { partition: number }).partition, 2);
  const off = await http('GET', `${base}/topics/meta/partitions/2/offsets`);
  assert.deepEqual(off.json, { beginning_offset: 0, end_offset: 2 });
  const brokers = await http('GET', `${base}/brokers`);
  assert.equal((brokers.json as { brokers: number[] }).brokers.length, 1);
});

test('errors: unknown topic, partition and instance, missing schema, bad JSON, unknown path', { timeout: 30_000 }, async () => {
  await createTopic('err', 1);
  expectError(await http('GET', `${base}/topics/nope`), 404, 40401, 'unknown topic');
  expectError(await http('POST', `${base}/topics/nope`, { records: [{ value: 1 }] }, { 'content-type': JSON_V2 }), 404, 40401, 'produce to unknown topic');
  expectError(await http('GET', `${base}/topics/err/partitions/7`), 404, 40402, 'unknown partition');
  expectError(await http('POST', `${base}/topics/err/partitions/7`, { records: [{ value: 1 }] }, { 'content-type': JSON_V2 }), 404, 40402, 'produce to unknown partition');
  expectError(await http('POST', `${base}/topics/err`, { records: [{ value: 1, partition: 3 }] }, { 'content-type': JSON_V2 }), 404, 40402, 'record for unknown partition');
  expectError(await http('GET', `${base}/consumers/g/instances/none/records`), 404, 40403, 'unknown instance');
  expectError(await http('POST', `${base}/topics/err`, { records: [{ value: { a: 1 } }] }, { 'content-type': 'application/vnd.kafka.avro.v2+json' }), 422, 42202, 'avro without value schema');
  expectError(await http('POST', `${base}/topics/err`, { records: [{ key: { a: 1 }, value_schema_id: 1 }] }, { 'content-type': 'application/vnd.kafka.avro.v2+json' }), 422, 42201, 'avro without key schema');
  expectError(await http('POST', `${base}/topics/err`, { records: [{ value: 'not base64!' }] }, { 'content-type': BINARY }), 422, 42203, 'binary value not base64');
  expectError(await http('POST', `${base}/topics/err`, '{"records": [', { 'content-type': BINARY }), 400, 400, 'malformed JSON');
  expectError(await http('POST', `${base}/consumers/g`, { format: 'xml' }), 422, 42204, 'unknown format');
  expectError(await http('POST', `${base}/consumers/g`, { 'auto.offset.reset': 'sometimes' }), 422, 42204, 'bad auto.offset.reset');
  expectError(await http('GET', `${base}/no/such/path`), 404, 404, 'unknown path');
});

test('bounds: body size, records per request, consumer instances', { timeout: 30_000 }, async () => {
  await createTopic('bounds', 1);
  const big = Buffer.alloc(300 * 1024, 1).toString('base64');
  expectError(await http('POST', `${base}/topics/bounds`, { records: [{ value: big }] }, { 'content-type': BINARY }), 413, 41301, 'body over 256 KiB');
  const many = { records: Array.from({ length: 101 }, () => ({ value: 1 })) };
  expectError(await http('POST', `${base}/topics/bounds`, many, { 'content-type': JSON_V2 }), 422, 42203, '101 records');
  const made: string[] = [];
  const room = 5 - proxy.consumerInstances;
  for (let i = 0; i < room; i++) {
    const a = await http('POST', `${base}/consumers/g-max`, { name: `m${i}` });
    expectStatus(a, 200, `instance ${i}`);
    made.push((a.json as { base_uri: string }).base_uri);
  }
  expectError(await http('POST', `${base}/consumers/g-max`, { name: 'one-too-many' }), 429, 42901, 'sixth instance');
  for (const uri of made) expectStatus(await http('DELETE', uri), 204, 'delete');
});

test('an idle consumer instance is deleted after consumer.instance.timeout.ms', { timeout: 30_000 }, async () => {
  const short = await RestProxy.start({ bootstrap: [broker.bootstrap], port: 0, consumerInstanceTimeoutMs: 300 });
  try {
    const a = await http('POST', `${short.url}/consumers/g-idle`, { name: 'idle' });
    const uri = (a.json as { base_uri: string }).base_uri;
    expectStatus(await http('GET', `${uri}/subscription`), 200, 'alive');
    // Requests to the instance would keep it alive: watch the proxy's count instead.
    const deadline = Date.now() + 15_000;
    while (short.consumerInstances > 0) {
      assert.ok(Date.now() < deadline, 'the instance was not deleted');
      await new Promise((r) => setTimeout(r, 50));
    }
    expectError(await http('GET', `${uri}/subscription`), 404, 40403, 'expired');
    assert.equal(short.consumerInstances, 0);
  } finally {
    await short.close();
  }
});

test('auto commit: an instance deleted after reading has committed its positions', { timeout: 60_000 }, async () => {
  await createTopic('auto', 1);
  await http('POST', `${base}/topics/auto`, { records: [{ value: 1 }, { value: 2 }, { value: 3 }] }, { 'content-type': JSON_V2 });
  const c = await http('POST', `${base}/consumers/g-auto`, { name: 'a', format: 'json', 'auto.offset.reset': 'earliest' });
  const uri = (c.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/subscription`, { topics: ['auto'] }), 204, 'subscribe');
  await pollRecords(uri, 'json', 3);
  expectStatus(await http('DELETE', uri), 204, 'delete');
  const again = await http('POST', `${base}/consumers/g-auto`, { name: 'b', format: 'json', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
  const uri2 = (again.json as { base_uri: string }).base_uri;
  const committed = await http('POST', `${uri2}/offsets/committed`, { partitions: [{ topic: 'auto', partition: 0 }] });
  assert.deepEqual((committed.json as { offsets: { offset: number }[] }).offsets.map((o) => o.offset), [3]);
  expectStatus(await http('DELETE', uri2), 204, 'delete');
});
