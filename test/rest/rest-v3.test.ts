/**
 * The REST proxy's v3 API against a real broker, with Node's fetch: clusters, brokers, topics
 * (create, get, list, delete), partitions, topic configs (list, get, set, reset, :alter),
 * consumer groups with consumers and lags, and produce of single and streamed records.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ClusterClient } from '../../src/client/cluster-client.js';
import { createPartitions } from '../../src/client/topic-admin.js';
import { RestProxy } from '../../src/rest/server.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectError, expectStatus, http, pollRecords } from './rest-helpers.js';

let broker: RunningBroker;
let proxy: RestProxy;
let c: string;

const JSON_CT = { 'content-type': 'application/json' };

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  proxy = await RestProxy.start({ bootstrap: [broker.bootstrap], port: 0 });
  c = `${proxy.url}/v3/clusters/${broker.broker.clusterId}`;
});

after(async () => {
  await proxy?.close();
  await broker?.stop();
});

test('clusters and brokers', { timeout: 30_000 }, async () => {
  const list = await http('GET', `${proxy.url}/v3/clusters`);
  expectStatus(list, 200, 'clusters');
  const lj = list.json as { kind: string; data: { kind: string; cluster_id: string; metadata: { self: string }; brokers: { related: string } }[] };
  assert.equal(lj.kind, 'KafkaClusterList');
  assert.equal(lj.data[0]?.kind, 'KafkaCluster');
  assert.equal(lj.data[0]?.metadata.self, c);
  assert.equal(lj.data[0]?.brokers.related, `${c}/brokers`);
  const one = await http('GET', c);
  assert.equal((one.json as { cluster_id: string }).cluster_id, broker.broker.clusterId);
  expectError(await http('GET', `${proxy.url}/v3/clusters/nope`), 404, 404, 'unknown cluster');
  const brokers = await http('GET', `${c}/brokers`);
  const bj = brokers.json as { kind: string; data: { broker_id: number; host: string; port: number }[] };
  assert.equal(bj.kind, 'KafkaBrokerList');
  assert.deepEqual(bj.data.map((b) => [b.broker_id, b.port]), [[broker.broker.nodeId, broker.port]]);
  const b1 = await http('GET', `${c}/brokers/${broker.broker.nodeId}`);
  assert.equal((b1.json as { kind: string }).kind, 'KafkaBroker');
});

test('topics: create, get, list, partitions, delete', { timeout: 30_000 }, async () => {
  const created = await http('POST', `${c}/topics`, { topic_name: 'v3-topic', partitions_count: 3, replication_factor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }, JSON_CT);
  expectStatus(created, 201, 'create');
  const tj = created.json as { kind: string; topic_name: string; partitions_count: number; replication_factor: number; is_internal: boolean };
  assert.deepEqual([tj.kind, tj.topic_name, tj.partitions_count, tj.replication_factor, tj.is_internal], ['KafkaTopic', 'v3-topic', 3, 1, false]);
  expectError(await http('POST', `${c}/topics`, { topic_name: 'v3-topic', partitions_count: 1 }, JSON_CT), 400, 400, 'create again');
  const got = await http('GET', `${c}/topics/v3-topic`);
  assert.equal((got.json as { partitions_count: number }).partitions_count, 3);
  const all = await http('GET', `${c}/topics`);
  assert.ok((all.json as { data: { topic_name: string }[] }).data.some((t) => t.topic_name === 'v3-topic'));
  const parts = await http('GET', `${c}/topics/v3-topic/partitions`);
  const pj = parts.json as { kind: string; data: { partition_id: number; leader: { related: string } }[] };
  assert.equal(pj.kind, 'KafkaPartitionList');
  assert.deepEqual(pj.data.map((p) => p.partition_id), [0, 1, 2]);
  assert.equal(pj.data[0]?.leader.related, `${c}/topics/v3-topic/partitions/0/replicas/${broker.broker.nodeId}`);
  expectStatus(await http('GET', `${c}/topics/v3-topic/partitions/2`), 200, 'partition 2');
  expectError(await http('GET', `${c}/topics/v3-topic/partitions/9`), 404, 404, 'partition 9');
  const grown = await http('PATCH', `${c}/topics/v3-topic`, { partitions_count: 5 }, JSON_CT);
  expectStatus(grown, 200, 'add partitions');
  assert.equal((grown.json as { partitions_count: number }).partitions_count, 5);
  expectError(await http('PATCH', `${c}/topics/v3-topic`, { partitions_count: 2 }, JSON_CT), 400, 400, 'fewer partitions');
  expectStatus(await http('DELETE', `${c}/topics/v3-topic`), 204, 'delete');
  expectError(await http('GET', `${c}/topics/v3-topic`), 404, 404, 'deleted topic');
  expectError(await http('DELETE', `${c}/topics/v3-topic`), 404, 404, 'delete again');
});

test('topic configs: list, get, set, reset and alter in a batch', { timeout: 30_000 }, async () => {
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'v3-configs', partitions_count: 1, replication_factor: 1 }, JSON_CT), 201, 'create');
  const value = async (name: string): Promise<{ value: string | null; is_default: boolean; source: string }> => (await http('GET', `${c}/topics/v3-configs/configs/${name}`)).json as { value: string | null; is_default: boolean; source: string };
  const list = await http('GET', `${c}/topics/v3-configs/configs`);
  const lj = list.json as { kind: string; data: { name: string; kind: string }[] };
  assert.equal(lj.kind, 'KafkaTopicConfigList');
  assert.ok(lj.data.some((x) => x.name === 'retention.ms' && x.kind === 'KafkaTopicConfig'));
  assert.deepEqual(await value('retention.ms'), { ...(await value('retention.ms')), is_default: true, source: 'DEFAULT_CONFIG' });
  expectStatus(await http('PUT', `${c}/topics/v3-configs/configs/retention.ms`, { value: '12345' }, JSON_CT), 204, 'set');
  const set = await value('retention.ms');
  assert.deepEqual([set.value, set.is_default, set.source], ['12345', false, 'DYNAMIC_TOPIC_CONFIG']);
  expectStatus(await http('DELETE', `${c}/topics/v3-configs/configs/retention.ms`), 204, 'reset');
  assert.equal((await value('retention.ms')).is_default, true);
  expectStatus(await http('POST', `${c}/topics/v3-configs/configs:alter`, { data: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.bytes', value: '1000000' }] }, JSON_CT), 204, 'alter');
  assert.equal((await value('cleanup.policy')).value, 'compact');
  assert.equal((await value('retention.bytes')).value, '1000000');
  expectStatus(await http('POST', `${c}/topics/v3-configs/configs:alter`, { data: [{ name: 'cleanup.policy', operation: 'DELETE' }] }, JSON_CT), 204, 'alter delete');
  assert.equal((await value('cleanup.policy')).value, 'delete');
  expectError(await http('PUT', `${c}/topics/v3-configs/configs/retention.ms`, { value: 'soon' }, JSON_CT), 400, 400, 'invalid value');
  expectError(await http('GET', `${c}/topics/v3-configs/configs/no.such.config`), 404, 404, 'unknown config');
});

test('records: one record, typed keys and values, headers, a partition, and a stream of records', { timeout: 30_000 }, async () => {
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'v3-records', partitions_count: 2, replication_factor: 1 }, JSON_CT), 201, 'create');
  const one = await http('POST', `${c}/topics/v3-records/records`, { partition_id: 1, headers: [{ name: 'h', value: Buffer.from('hv').toString('base64') }], key: { type: 'STRING', data: 'key-1' }, value: { type: 'JSON', data: { hello: 'world' } }, timestamp: '2026-01-02T03:04:05.000Z' }, JSON_CT);
  expectStatus(one, 200, 'produce one');
  const oj = one.json as Record<string, unknown>;
  assert.deepEqual({ ...oj }, { error_code: 200, cluster_id: broker.broker.clusterId, topic_name: 'v3-records', partition_id: 1, offset: 0, timestamp: '2026-01-02T03:04:05.000Z', key: { type: 'STRING', size: 5 }, value: { type: 'JSON', size: 17 } });
  const stream = [
    { partition_id: 0, value: { type: 'BINARY', data: Buffer.from([1, 2, 3]).toString('base64') } },
    { partition_id: 0, value: { type: 'JSON', data: [1, 2] } },
    { partition_id: 5, value: { type: 'JSON', data: 1 } },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n');
  const s = await http('POST', `${c}/topics/v3-records/records`, stream, JSON_CT);
  expectStatus(s, 200, 'stream');
  const lines = s.text.trim().split('\n').map((l) => JSON.parse(l) as { error_code: number; offset?: number });
  assert.deepEqual(lines.map((l) => [l.error_code, l.offset]), [[200, 0], [200, 1], [404, undefined]]);
  expectError(await http('POST', `${c}/topics/nope/records`, { value: { type: 'JSON', data: 1 } }, JSON_CT), 404, 404, 'unknown topic');
  expectError(await http('POST', `${c}/topics/v3-records/records`, { value: { type: 'WHAT', data: 1 } }, JSON_CT), 422, 422, 'unknown type');

  // Read them back through a v2 instance: key, value and header bytes as produced.
  const inst = await http('POST', `${proxy.url}/consumers/v3-readers`, { name: 'r', format: 'binary', 'auto.offset.reset': 'earliest' });
  const uri = (inst.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/assignments`, { partitions: [{ topic: 'v3-records', partition: 1 }] }), 204, 'assign');
  const [rec] = await pollRecords(uri, 'binary', 1);
  assert.equal(Buffer.from(rec?.['key'] as string, 'base64').toString(), 'key-1');
  assert.deepEqual(JSON.parse(Buffer.from(rec?.['value'] as string, 'base64').toString()), { hello: 'world' });
  assert.equal(rec?.['timestamp'], Date.parse('2026-01-02T03:04:05.000Z'));
  assert.deepEqual(rec?.['headers'], [{ key: 'h', value: Buffer.from('hv').toString('base64') }]);
  expectStatus(await http('DELETE', uri), 204, 'delete');
});

test('consumer groups: list, get, consumers, lags and lag summary', { timeout: 60_000 }, async () => {
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'v3-lag', partitions_count: 2, replication_factor: 1 }, JSON_CT), 201, 'create');
  for (let i = 0; i < 5; i++) await http('POST', `${c}/topics/v3-lag/records`, { partition_id: i % 2, value: { data: i } }, JSON_CT);
  const inst = await http('POST', `${proxy.url}/consumers/v3-group`, { name: 'm', format: 'json', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
  const uri = (inst.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/subscription`, { topics: ['v3-lag'] }), 204, 'subscribe');
  await pollRecords(uri, 'json', 5);
  // Commit partition 0 (3 records) fully and partition 1 (2 records) up to its first record.
  expectStatus(await http('POST', `${uri}/offsets`, { offsets: [{ topic: 'v3-lag', partition: 0, offset: 2 }, { topic: 'v3-lag', partition: 1, offset: 0 }] }), 200, 'commit');

  const groups = await http('GET', `${c}/consumer-groups`);
  const gl = groups.json as { kind: string; data: { consumer_group_id: string; state: string; partition_assignor: string; is_simple: boolean }[] };
  assert.equal(gl.kind, 'KafkaConsumerGroupList');
  const g = gl.data.find((x) => x.consumer_group_id === 'v3-group');
  assert.deepEqual([g?.state, g?.partition_assignor, g?.is_simple], ['STABLE', 'range', false]);
  expectStatus(await http('GET', `${c}/consumer-groups/v3-group`), 200, 'group');
  expectError(await http('GET', `${c}/consumer-groups/no-such-group`), 404, 404, 'unknown group');
  const consumers = await http('GET', `${c}/consumer-groups/v3-group/consumers`);
  const cj = consumers.json as { data: { consumer_id: string; client_id: string }[] };
  assert.equal(cj.data.length, 1);
  assert.equal(cj.data[0]?.client_id, 'samsa-rest-proxy');
  const lags = await http('GET', `${c}/consumer-groups/v3-group/lags`);
  const lj = lags.json as { kind: string; data: { partition_id: number; current_offset: number; log_end_offset: number; lag: number; consumer_id: string }[] };
  assert.equal(lj.kind, 'KafkaConsumerLagList');
  assert.deepEqual(lj.data.map((l) => [l.partition_id, l.current_offset, l.log_end_offset, l.lag]), [[0, 3, 3, 0], [1, 1, 2, 1]]);
  assert.equal(lj.data[0]?.consumer_id, cj.data[0]?.consumer_id);
  const summary = await http('GET', `${c}/consumer-groups/v3-group/lag-summary`);
  const sj = summary.json as { max_lag: number; total_lag: number; max_lag_partition_id: number };
  assert.deepEqual([sj.max_lag, sj.total_lag, sj.max_lag_partition_id], [1, 1, 1]);
  expectStatus(await http('DELETE', uri), 204, 'delete');
});

test('partitions added by another client are produced to at once through v2 (metadata looked up again)', { timeout: 30_000 }, async () => {
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'v3-grow', partitions_count: 1, replication_factor: 1 }, JSON_CT), 201, 'create');
  const ct = { 'content-type': 'application/vnd.kafka.json.v2+json' };
  expectStatus(await http('POST', `${proxy.url}/topics/v3-grow`, { records: [{ value: 1 }] }, ct), 200, 'produce to partition 0');
  const other = new ClusterClient({ bootstrap: [broker.bootstrap] });
  try {
    await createPartitions(other, 'v3-grow', 3);
  } finally {
    other.close();
  }
  const p = await http('POST', `${proxy.url}/topics/v3-grow/partitions/2`, { records: [{ value: 2 }] }, ct);
  expectStatus(p, 200, 'produce to the new partition 2');
  assert.deepEqual((p.json as { offsets: { partition: number; offset: number }[] }).offsets.map((o) => [o.partition, o.offset]), [[2, 0]]);
});
