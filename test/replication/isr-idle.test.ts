/**
 * No needless ISR writes (AlterPartition compare-and-swaps in etcd):
 * - an idle cluster: once every partition of a topic with RF 3 (and of the internal topics) has a
 *   full ISR and nothing is produced, the leaders' periodic ISR checks (every
 *   replica.lag.time.max.ms / 2) propose nothing, so no partition epoch moves — also while a
 *   follower is stopped (the controller dropped it; it is not re-added) and after it is back;
 * - a replica whose broker is not registered (its lease expired while it was frozen; it still
 *   fetches while it registers again) is not proposed for the ISR: the controller would drop it
 *   at once, and the two would take turns writing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { WireClient, API, waitFor } from '../helpers/wire.js';
import { EtcdSession } from '../../src/cluster/etcd/session.js';

const fx = useEtcd({ before, after });
const LAG_MS = 1000;

test('an idle cluster with full ISRs proposes no AlterPartition', { timeout: 90_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'replica.lag.time.max.ms': LAG_MS, 'offsets.topic.replication.factor': 3, 'transaction.state.log.replication.factor': 3 } });
  t.after(() => cluster.stop());
  const admin = await WireClient.connect(cluster.broker(1).port);
  t.after(() => admin.close());
  const created = await admin.request(API.CreateTopics, 7, {
    topics: [{ name: 'idle', numPartitions: 2, replicationFactor: 3, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  // The internal topics too (FindCoordinator creates them).
  await waitFor(async () => {
    const r = await admin.request(10, 4, { keyType: 0, coordinatorKeys: ['g'] });
    const t2 = await admin.request(10, 4, { keyType: 1, coordinatorKeys: ['t'] });
    return r.coordinators[0].errorCode === 0 && t2.coordinators[0].errorCode === 0 ? true : undefined;
  }, 30_000, 'the coordinators');
  const image = () => cluster.broker(1).broker.metadata.image();
  const NAMES = ['idle', '__consumer_offsets', '__transaction_state'];
  const epochs = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const name of NAMES) image().topic(name)?.partitions.forEach((p, i) => m.set(`${name}-${i}`, p.partitionEpoch ?? 0));
    return m;
  };
  const isrSizes = (n: number) => waitFor(() => {
    const all = NAMES.flatMap((x) => image().topic(x)?.partitions ?? []);
    return all.length === 8 && all.every((p) => p.isr.length === n) ? true : undefined;
  }, 30_000, `ISRs of ${n} everywhere`);
  /** No partition epoch moves for three check periods once the pending changes have landed. */
  const idle = async (what: string): Promise<void> => {
    let before = epochs();
    await waitFor(async () => {
      await new Promise((r) => setTimeout(r, LAG_MS));
      const now = epochs();
      const same = [...now].every(([k, v]) => before.get(k) === v);
      before = now;
      return same ? true : undefined;
    }, 30_000, 'the partition epochs to settle');
    const mark = cluster.brokers.map((b) => b.lines.length);
    const start = Date.now();
    await waitFor(() => (Date.now() - start > 3 * LAG_MS ? true : undefined), 10_000, 'three lag periods');
    const after = epochs();
    const moved = [...after].filter(([k, v]) => before.get(k) !== v).map(([k, v]) => `${k}: ${before.get(k)} -> ${v}`);
    const lines = cluster.brokers.flatMap((b, i) => b.lines.slice(mark[i]).filter((l) => /ISR \[/.test(l)));
    assert.deepEqual(moved, [], `${what}: partition epochs moved on an idle cluster:\n${lines.join('')}`);
    assert.deepEqual(lines, [], `${what}: ISR changes logged on an idle cluster`);
  };
  await isrSizes(3);
  await idle('full ISRs');
  // A follower stops: the controller drops it from the ISRs; nobody adds it back while it is away.
  await cluster.stopBroker(3);
  await isrSizes(2);
  await idle('broker 3 stopped');
  await cluster.startBroker(3);
  await isrSizes(3);
  await idle('broker 3 back');
});

test('a fetching replica whose broker is not registered is not added back to the ISR (Kafka: only eligible replicas join)', { timeout: 90_000 }, async (t) => {
  const prefix = fx.prefix();
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix, size: 3, config: { 'replica.lag.time.max.ms': LAG_MS } });
  t.after(() => cluster.stop());
  const admin = await WireClient.connect(cluster.broker(1).port);
  t.after(() => admin.close());
  const created = await admin.request(API.CreateTopics, 7, {
    topics: [{ name: 'elig', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  const parts = () => cluster.broker(1).broker.metadata.image().topic('elig')?.partitions ?? [];
  await waitFor(() => (parts().length === 3 && parts().every((p) => p.isr.length === 3) ? true : undefined), 30_000, 'full ISRs');
  // Broker 3's registration goes (as when its lease expired while it was frozen) but it keeps
  // running and fetching: the controller drops it from every ISR, and no leader may add it back.
  const session = new EtcdSession({ endpoints: fx.etcd.endpoints, prefix });
  t.after(() => session.close());
  await session.client.delete().key(session.keys.broker(3));
  await waitFor(() => (parts().every((p) => p.isr.length === 2 && !p.isr.includes(3)) ? true : undefined), 30_000, 'broker 3 out of every ISR');
  const before = parts().map((p) => p.partitionEpoch ?? 0);
  const start = Date.now();
  await waitFor(() => (Date.now() - start > 3 * LAG_MS ? true : undefined), 10_000, 'three lag periods');
  const after = parts().map((p) => p.partitionEpoch ?? 0);
  const lines = cluster.brokers.flatMap((b) => b.lines.filter((l) => /ISR \[/.test(l)));
  assert.deepEqual(after, before, `ISR writes while broker 3 was unregistered:\n${lines.join('')}`);
  assert.ok(parts().every((p) => !p.isr.includes(3)));
});
