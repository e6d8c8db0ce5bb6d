/**
 * The REST proxy in front of a three-broker cluster on a real etcd, bootstrapped from one broker
 * only: v3 lists the three brokers and creates a replicated topic (CreateTopics goes to the
 * controller); records produced through HTTP reach the leader of each partition, wherever it is;
 * a consumer instance (its group coordinator anywhere in the cluster) reads them all back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RestProxy } from '../../src/rest/server.js';
import { startCluster } from '../helpers/cluster.js';
import { useEtcd } from '../helpers/etcd.js';
import { expectStatus, http, pollRecords } from './rest-helpers.js';

const fx = useEtcd({ before, after });

test('a proxy bootstrapped from one broker produces to and consumes from leaders on every broker', { timeout: 150_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'group.initial.rebalance.delay.ms': 100 } });
  t.after(() => cluster.stop());
  const proxy = await RestProxy.start({ bootstrap: [`127.0.0.1:${cluster.broker(1).port}`], port: 0 });
  t.after(() => proxy.close());
  const clusterId = cluster.broker(1).broker.clusterId;
  const c = `${proxy.url}/v3/clusters/${clusterId}`;

  const brokers = await http('GET', `${c}/brokers`);
  assert.deepEqual((brokers.json as { data: { broker_id: number }[] }).data.map((b) => b.broker_id), [1, 2, 3]);
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'spread', partitions_count: 6, replication_factor: 3 }, { 'content-type': 'application/json' }), 201, 'create');

  // Every partition has a leader (their placement is the controller's).
  const deadline = Date.now() + 60_000;
  let leaders: number[] = [];
  for (;;) {
    const parts = await http('GET', `${proxy.url}/topics/spread/partitions`);
    leaders = (parts.json as { leader: number }[]).map((p) => p.leader);
    if (leaders.length === 6 && leaders.every((l) => l > 0)) break;
    assert.ok(Date.now() < deadline, `leaders: ${leaders.join(',')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  t.diagnostic(`leaders by partition: ${leaders.join(',')}`);
  assert.ok(new Set(leaders).size > 1, 'leaders on more than one broker');

  const p = await http('POST', `${proxy.url}/topics/spread`, { records: Array.from({ length: 12 }, (_, i) => ({ value: { i }, partition: i % 6 })) }, { 'content-type': 'application/vnd.kafka.json.v2+json' });
  expectStatus(p, 200, 'produce');
  assert.deepEqual((p.json as { offsets: { error_code: unknown; offset: number }[] }).offsets.map((o) => [o.error_code, o.offset]), Array.from({ length: 12 }, (_, i) => [null, i < 6 ? 0 : 1]));

  const inst = await http('POST', `${proxy.url}/consumers/spread-readers`, { name: 'r', format: 'json', 'auto.offset.reset': 'earliest' });
  const uri = (inst.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/subscription`, { topics: ['spread'] }), 204, 'subscribe');
  const got = await pollRecords(uri, 'json', 12, 60_000);
  assert.deepEqual(got.map((r) => (r['value'] as { i: number }).i).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
  expectStatus(await http('POST', `${uri}/offsets`), 200, 'commit');
  const lags = await http('GET', `${c}/consumer-groups/spread-readers/lags`);
  assert.deepEqual((lags.json as { data: { lag: number }[] }).data.map((l) => l.lag), [0, 0, 0, 0, 0, 0]);
  expectStatus(await http('DELETE', uri), 204, 'delete');
});
