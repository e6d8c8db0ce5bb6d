/**
 * Client quotas in a cluster on etcd: AlterClientQuotas on one broker writes Kafka's ZooKeeper
 * layout (/config/users/<user>[/clients/<client-id>], /config/clients/<client-id>, /config/ips/<ip>, names
 * percent-encoded, <default> for the default entity), every broker describes and enforces them,
 * a removal deletes the key, and concurrent changes on two brokers are both kept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaAlterer } from '../../src/broker/quotas/quota-store.js';
import { EtcdSession } from '../../src/cluster/etcd/session.js';
import { startCluster } from '../helpers/cluster.js';
import { useEtcd } from '../helpers/etcd.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const fx = useEtcd({ before, after });

test('quotas altered on one broker are stored in etcd and described and enforced by every broker', { timeout: 90_000 }, async (t) => {
  const prefix = fx.prefix();
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix, size: 2 });
  t.after(() => cluster.stop());
  const session = new EtcdSession({ endpoints: fx.etcd.endpoints, prefix });
  t.after(() => session.close());

  const c1 = await WireClient.connect(cluster.broker(1).port);
  t.after(() => c1.close());
  const r = await c1.request<{ entries: { errorCode: number }[] }>(49, 1, {
    entries: [
      { entity: [{ entityType: 'client-id', entityName: 'app/1' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] },
      { entity: [{ entityType: 'user', entityName: null }, { entityType: 'client-id', entityName: 'x' }], ops: [{ key: 'request_percentage', value: 25, remove: false }] },
      { entity: [{ entityType: 'ip', entityName: '10.9.8.7' }], ops: [{ key: 'connection_creation_rate', value: 30, remove: false }] },
    ],
    validateOnly: false,
  });
  assert.deepEqual(r.entries.map((e) => e.errorCode), [0, 0, 0]);

  const stored = await session.client.getAll().prefix(`${prefix}/config/`).strings();
  assert.deepEqual(JSON.parse(stored[`${prefix}/config/clients/app%2F1`] ?? 'null'), { version: 1, config: { producer_byte_rate: '1' } });
  assert.deepEqual(JSON.parse(stored[`${prefix}/config/users/<default>/clients/x`] ?? 'null'), { version: 1, config: { request_percentage: '25' } });
  assert.deepEqual(JSON.parse(stored[`${prefix}/config/ips/10.9.8.7`] ?? 'null'), { version: 1, config: { connection_creation_rate: '30' } });

  // Broker 2 learns them from its watch.
  const c2 = await WireClient.connect(cluster.broker(2).port);
  t.after(() => c2.close());
  const described = await waitFor(
    async () => {
      const d = await c2.request<{ entries: { entity: { entityType: string; entityName: string | null }[]; values: { key: string; value: number }[] }[] | null }>(48, 1, { components: [], strict: false });
      return (d.entries?.length ?? 0) === 3 ? d.entries : undefined;
    },
    20_000,
    'broker 2 to describe the three quotas',
    50,
  );
  assert.deepEqual(described.find((e) => e.entity[0]?.entityName === 'app/1')?.values, [{ key: 'producer_byte_rate', value: 1 }]);
  // Its image (which its quota manager reads on every request) holds them too.
  assert.equal(cluster.broker(2).broker.metadata.image().clientQuotas('client-id=app%2F1')?.['producer_byte_rate'], 1);
  assert.equal(cluster.broker(2).broker.metadata.image().clientQuotas('ip=10.9.8.7')?.['connection_creation_rate'], 30);

  const removed = await c2.request<{ entries: { errorCode: number }[] }>(49, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: 'app/1' }], ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }], validateOnly: false });
  assert.equal(removed.entries[0]?.errorCode, 0);
  await waitFor(async () => ((await session.client.get(`${prefix}/config/clients/app%2F1`).string()) === null ? true : undefined), 10_000, 'the key to be deleted', 50);
  await waitFor(() => (cluster.broker(1).broker.metadata.image().clientQuotas('client-id=app%2F1') === undefined ? true : undefined), 10_000, 'broker 1 to forget the quota', 50);
});

test('two brokers changing different quotas of one entity at the same time both win', { timeout: 90_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 2 });
  t.after(() => cluster.stop());
  const on = (id: number): QuotaAlterer => new QuotaAlterer(cluster.broker(id).broker.metadata);
  const entity = [{ entityType: 'client-id', entityName: 'race' }];
  // Both read the image before either commits; the loser of etcd's compare-and-swap re-applies its
  // change on the winner's image.
  const [a, b] = await Promise.all([
    on(1).alter([{ entity, ops: [{ key: 'producer_byte_rate', value: 111, remove: false }] }], false),
    on(2).alter([{ entity, ops: [{ key: 'consumer_byte_rate', value: 222, remove: false }] }], false),
  ]);
  assert.deepEqual([a[0]?.errorCode, b[0]?.errorCode], [0, 0]);
  for (const id of [1, 2]) {
    const q = await waitFor(() => {
      const v = cluster.broker(id).broker.metadata.image().clientQuotas('client-id=race');
      return v !== undefined && Object.keys(v).length === 2 ? v : undefined;
    }, 20_000, `broker ${id} to hold both quotas of client-id race`, 50);
    assert.deepEqual({ ...q }, { producer_byte_rate: 111, consumer_byte_rate: 222 });
  }
});
