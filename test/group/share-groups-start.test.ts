/**
 * Where a share group starts and when share groups are served: `group.share.auto.offset.reset`
 * (Samsa's broker-wide stand-in for Kafka's share.auto.offset.reset group config) defaults to
 * latest, so a new share group gets only records produced after its first ShareFetch; without
 * `share` in group.coordinator.rebalance.protocols (the default) ApiVersions leaves out the share
 * group APIs, as Kafka does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { ShareConsumer } from '../../src/client/share-consumer.js';
import { WireClient } from '../helpers/wire.js';

const SHARE_APIS = [76, 77, 78, 79];

test('a new share group starts at the latest offset by default', { timeout: 60_000 }, async () => {
  const broker = await startBroker({ port: 0, config: { 'group.coordinator.rebalance.protocols': 'classic,consumer,share', 'offsets.topic.num.partitions': 1, 'share.coordinator.state.topic.num.partitions': 1 } });
  const wire = await WireClient.connect(broker.port);
  try {
    assert.equal(await wire.createTopic('latest-t', 1), 0);
    const produce = async (from: number, n: number): Promise<void> => {
      const r = await wire.produce('latest-t', 0, encodeRecordBatch({ baseTimestamp: 1n, records: Array.from({ length: n }, (_, i) => ({ value: `v${from + i}`, timestamp: 1n })) }));
      assert.equal(r.errorCode, 0);
    };
    await produce(0, 5);
    const c = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: 'latest-g', topics: ['latest-t'], maxWaitMs: 100 });
    try {
      assert.deepEqual(await c.poll(), [], 'records from before the group existed are not delivered');
      await produce(5, 3);
      const got: string[] = [];
      const deadline = Date.now() + 20_000;
      while (got.length < 3 && Date.now() < deadline) for (const r of await c.poll()) got.push(r.value?.toString() ?? '');
      assert.deepEqual(got, ['v5', 'v6', 'v7']);
    } finally {
      await c.close();
    }
  } finally {
    wire.close();
    await broker.stop();
  }
});

test('share group APIs are advertised only when group.coordinator.rebalance.protocols includes share', { timeout: 30_000 }, async () => {
  const broker = await startBroker({ port: 0 });
  const wire = await WireClient.connect(broker.port);
  try {
    const v = await wire.apiVersions();
    for (const key of SHARE_APIS) assert.ok(!v.apiKeys.some((k: { apiKey: number }) => k.apiKey === key), `key ${key} not advertised`);
  } finally {
    wire.close();
    await broker.stop();
  }
});
