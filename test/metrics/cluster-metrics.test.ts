/**
 * Cluster gauges from /metrics on three brokers on a real etcd (read from each broker's replica
 * manager and metadata at scrape time): one active controller in the cluster, the controller's
 * partition counts, leaders spread over the brokers; a broker stopped leaves the partitions it
 * replicated under-replicated on their leaders; restarted, it catches up, the leaders expand their
 * ISR (IsrExpandsPerSec counts it) and nothing is under-replicated any more.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { scrape, type Scrape } from '../helpers/metrics.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';

const fx = useEtcd({ before, after });
const PARTITIONS = 3;

async function scrapeAll(cluster: TestCluster): Promise<Map<number, Scrape>> {
  const out = new Map<number, Scrape>();
  for (const b of cluster.brokers) {
    const url = b.running?.broker.observability?.listeners[0]?.url;
    if (url !== undefined) out.set(b.nodeId, await scrape(url));
  }
  return out;
}

const sum = (m: Map<number, Scrape>, name: string): number => [...m.values()].reduce((n, s) => n + (s.value(name) ?? 0), 0);

test('cluster gauges: one controller, leaders, under-replicated partitions while a broker is down, ISR expansion when it returns', { timeout: 150_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'metrics.listeners': 'http://127.0.0.1:0', 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  const stall = setTimeout(() => console.log(`stalled:\n${cluster.dumpLogs()}`), 120_000);
  t.after(() => clearTimeout(stall));

  const admin = await WireClient.connect(cluster.broker(1).port);
  t.after(() => admin.close());
  const created = await admin.request(API.CreateTopics, 7, {
    topics: [{ name: 'm3', numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);

  // Steady state: every broker hosts the 3 partitions, the leaders together lead all of them, nothing under-replicated.
  let m = await waitFor(async () => {
    const s = await scrapeAll(cluster);
    return sum(s, 'kafka_server_replicamanager_leadercount') === PARTITIONS && sum(s, 'kafka_server_replicamanager_underreplicatedpartitions') === 0 && sum(s, 'kafka_server_replicamanager_partitioncount') === 3 * PARTITIONS ? s : undefined;
  }, 30_000, 'the topic fully replicated', 200);
  assert.equal(sum(m, 'kafka_controller_kafkacontroller_activecontrollercount'), 1, 'one active controller');
  assert.equal(sum(m, 'kafka_controller_kafkacontroller_globalpartitioncount'), PARTITIONS, 'reported by the controller only');
  assert.equal(sum(m, 'kafka_controller_kafkacontroller_offlinepartitionscount'), 0);
  assert.equal(sum(m, 'kafka_server_replicamanager_underminisrpartitioncount'), 0);

  // A broker that is not the controller stops (controlled shutdown: it leaves every ISR).
  const controller = [...m.entries()].find(([, s]) => s.value('kafka_controller_kafkacontroller_activecontrollercount') === 1)?.[0];
  const down = [1, 2, 3].find((id) => id !== controller) as number;
  const expandsBefore = sum(m, 'kafka_server_replicamanager_isrexpands_total');
  await cluster.stopBroker(down);
  m = await waitFor(async () => {
    const s = await scrapeAll(cluster);
    return sum(s, 'kafka_server_replicamanager_leadercount') === PARTITIONS && sum(s, 'kafka_server_replicamanager_underreplicatedpartitions') === PARTITIONS ? s : undefined;
  }, 30_000, `every partition under-replicated on its leader while broker ${down} is down`, 200);
  assert.equal(sum(m, 'kafka_server_replicamanager_underminisrpartitioncount'), 0, 'ISR 2 = min.insync.replicas');
  assert.equal(sum(m, 'kafka_server_replicamanager_atminisrpartitioncount'), PARTITIONS);
  assert.equal(sum(m, 'kafka_controller_kafkacontroller_offlinepartitionscount'), 0);

  // It comes back: the leaders add it to their ISR again.
  await cluster.startBroker(down);
  m = await waitFor(async () => {
    const s = await scrapeAll(cluster);
    return s.size === 3 && sum(s, 'kafka_server_replicamanager_underreplicatedpartitions') === 0 && sum(s, 'kafka_server_replicamanager_isrexpands_total') >= expandsBefore + PARTITIONS ? s : undefined;
  }, 60_000, `broker ${down} back in every ISR`, 250);
  assert.equal(sum(m, 'kafka_controller_kafkacontroller_activecontrollercount'), 1);
  t.diagnostic(`ISR expansions counted: ${sum(m, 'kafka_server_replicamanager_isrexpands_total')}, shrinks ${sum(m, 'kafka_server_replicamanager_isrshrinks_total')}`);
});
