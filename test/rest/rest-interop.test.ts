/**
 * The REST proxy with unchanged third-party tools: records produced through HTTP are read by
 * kafkajs and records produced by kafkajs are read through HTTP; a consumer instance's commits
 * are shown by `samsa groups --describe` (the real CLI binary) while it is a live group member;
 * the broker starts the proxy itself with rest.proxy.listeners; `samsa rest` runs it standalone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { RestProxy } from '../../src/rest/server.js';
import { CLI } from '../helpers/broker-process.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectStatus, http, pollRecords } from './rest-helpers.js';

let broker: RunningBroker;
let proxy: RestProxy;
let kafka: Kafka;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  proxy = await RestProxy.start({ bootstrap: [broker.bootstrap], port: 0 });
  kafka = new Kafka({ clientId: 'rest-interop', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await proxy?.close();
  await broker?.stop();
});

test('records produced through HTTP are read by kafkajs, and records produced by kafkajs through HTTP', { timeout: 90_000 }, async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'interop', numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();

  // HTTP -> kafkajs: keys go where Java's partitioner (and kafkajs's) puts them.
  const p = await http('POST', `${proxy.url}/topics/interop`, { records: Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, value: { n: i } })) }, { 'content-type': 'application/vnd.kafka.json.v2+json' });
  expectStatus(p, 200, 'produce');
  const consumer = kafka.consumer({ groupId: 'kafkajs-reads-http', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'interop', fromBeginning: true });
  const seen: { key: string; value: unknown; partition: number }[] = [];
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      seen.push({ key: JSON.parse(message.key?.toString() ?? 'null') as string, value: JSON.parse(message.value?.toString() ?? 'null') as unknown, partition });
    },
  });
  const deadline = Date.now() + 60_000;
  while (seen.length < 9) {
    assert.ok(Date.now() < deadline, `kafkajs read ${seen.length} of 9 records`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  const offsets = (p.json as { offsets: { partition: number }[] }).offsets;
  assert.deepEqual(seen.map((s) => (s.value as { n: number }).n).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  for (const s of seen) assert.equal(s.partition, offsets[(s.value as { n: number }).n]?.partition, `record ${s.key} partition`);

  // kafkajs -> HTTP, binary format (raw bytes).
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'interop', messages: Array.from({ length: 5 }, (_, i) => ({ key: `kj${i}`, value: Buffer.from([0, 255, i]) })) });
  await producer.disconnect();
  const c = await http('POST', `${proxy.url}/consumers/http-reads-kafkajs`, { name: 'r', format: 'binary', 'auto.offset.reset': 'earliest' });
  const uri = (c.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/subscription`, { topics: ['interop'] }), 204, 'subscribe');
  const got = await pollRecords(uri, 'binary', 14);
  const fromKafkajs = got.filter((r) => r['key'] !== null && Buffer.from(r['key'] as string, 'base64').toString().startsWith('kj'));
  assert.equal(fromKafkajs.length, 5);
  for (const r of fromKafkajs) {
    const i = Number(Buffer.from(r['key'] as string, 'base64').toString().slice(2));
    assert.deepEqual([...Buffer.from(r['value'] as string, 'base64')], [0, 255, i]);
  }
  expectStatus(await http('DELETE', uri), 204, 'delete');
});

test('a consumer instance is a group member whose commits samsa groups --describe shows', { timeout: 90_000 }, async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'described', numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  await http('POST', `${proxy.url}/topics/described`, { records: Array.from({ length: 6 }, (_, i) => ({ value: i, partition: i % 2 })) }, { 'content-type': 'application/vnd.kafka.json.v2+json' });
  const c = await http('POST', `${proxy.url}/consumers/rest-described`, { name: 'd1', format: 'json', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
  const uri = (c.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/subscription`, { topics: ['described'] }), 204, 'subscribe');
  await pollRecords(uri, 'json', 6);
  expectStatus(await http('POST', `${uri}/offsets`), 200, 'commit');

  const r = await samsaCli(['groups', '--describe', '--group', 'rest-described', '--json'], { bootstrap: broker.bootstrap });
  assertOk(r, 'groups --describe');
  const d = JSON.parse(r.stdout) as { state?: string; partitions: { topic: string; partition: number; committedOffset: number; lag: number; clientId: string | null }[] };
  assert.deepEqual(d.partitions.map((x) => [x.topic, x.partition, x.committedOffset, x.lag]), [['described', 0, 3, 0], ['described', 1, 3, 0]]);
  assert.deepEqual(d.partitions.map((x) => x.clientId), ['samsa-rest-proxy', 'samsa-rest-proxy'], 'the partitions are owned by the live instance');
  const table = await samsaCli(['groups', '--describe', '--group', 'rest-described'], { bootstrap: broker.bootstrap });
  assertOk(table, 'groups --describe (table)');
  assert.match(table.stdout, /rest-described\s+described\s+0\s+3\s+3\s+0/);

  expectStatus(await http('DELETE', uri), 204, 'delete');
  const afterDelete = await samsaCli(['groups', '--describe', '--group', 'rest-described', '--state'], { bootstrap: broker.bootstrap });
  assertOk(afterDelete, 'groups --describe --state');
  assert.match(afterDelete.stdout, /Empty\s+0/, 'deleting the instance left the group');
});

test('the broker serves the proxy itself with rest.proxy.listeners', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'rest.proxy.listeners': 'http://127.0.0.1:0', 'consumer.instance.timeout.ms': 120000 } });
  try {
    const rest = b.broker.restProxy;
    assert.ok(rest, 'the broker started a REST proxy');
    const clusters = await http('GET', `${rest.url}/v3/clusters`);
    expectStatus(clusters, 200, 'clusters');
    assert.equal((clusters.json as { data: { cluster_id: string }[] }).data[0]?.cluster_id, b.broker.clusterId);
  } finally {
    await b.stop();
  }
  assert.equal(b.broker.restProxy, null, 'stopped with the broker');
});

test('samsa rest serves the proxy as a standalone process', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'rest', '--bootstrap-server', broker.bootstrap, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /REST proxy listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.on('exit', (code) => reject(new Error(`samsa rest exited ${code}: ${out}`)));
    });
    const topics = await http('GET', `${url}/topics`);
    expectStatus(topics, 200, 'topics');
    assert.ok((topics.json as string[]).includes('interop'));
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});
