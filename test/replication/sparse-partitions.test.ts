/**
 * A broker hosting only some partitions of a topic (partition 1 but not 0: a hole in its list of
 * the topic's partitions) applies topic config changes to what it hosts and keeps its periodic
 * ISR check and producer maintenance running (they iterate the hosted partitions, skipping holes).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire.js';
import { partitionOn, until } from '../helpers/cluster-partitions.js';

const fx = useEtcd({ before, after });

test('a broker hosting partition 1 but not partition 0 of a topic applies topic config changes to it', async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  try {
    const admin = await WireClient.connect(cluster.broker(1).port);
    t.after(() => admin.close());
    const created = await admin.request(19, 7, {
      topics: [{ name: 'sparse', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 3] }], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
    await until('both partitions with a full ISR', () => partitionOn(cluster, 3, 'sparse', 0)?.isr.length === 2 && partitionOn(cluster, 3, 'sparse', 1)?.isr.length === 2);
    const hosted = cluster.broker(3).broker.replicas;
    assert.equal(hosted.partition('sparse', 0), undefined);
    assert.ok(hosted.partition('sparse', 1) !== undefined);
    assert.deepEqual([...hosted.all()].filter((p) => p.topic === 'sparse').map((p) => p.index), [1], 'all() yields the hosted partitions only');
    const altered = await admin.request(44, 1, { resources: [{ resourceType: 2, resourceName: 'sparse', configs: [{ name: 'retention.ms', configOperation: 0, value: '123456' }] }], validateOnly: false });
    assert.equal(altered.responses[0].errorCode, 0);
    await until('broker 3 applied retention.ms to sparse-1', () => hosted.partition('sparse', 1)?.log.config.retentionMs === 123456);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
