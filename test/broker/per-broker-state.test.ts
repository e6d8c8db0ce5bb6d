/**
 * No process-global state (the brief: two or three brokers run in one process in tests): each
 * broker counts its own zero-copy sends (Broker.zeroCopyStats), its metadata image line its own
 * topic-map copies (MetadataImage.copyStats) and its metadata store its own snapshot work
 * (LocalMetadataStore.snapshotStats); before, all three were module-level counters that every
 * broker of the process added to. And each broker caches its topics' resolved configs
 * (broker/topic-configs.ts): topics without overrides share one LogConfig, AlterConfigs and
 * IncrementalAlterConfigs on a topic and a dynamic broker default reach the logs, and one broker's
 * dynamic default never reaches another's topics. The client library too: each ClusterClient has
 * its own round robin for records without key or partition (a module-level counter was shared).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { zeroCopyAvailable } from '../../src/network/zero-copy-send.js';
import { LocalMetadataStore } from '../../src/cluster/metadata-store.js';
import { KafkaConnection } from '../../src/client/connection.js';
import { alterBrokerConfigs } from '../../src/client/config-admin.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import type { IncrementalAlterConfigsResponse } from '../../src/protocol/generated/messages/incremental-alter-configs.js';
import { ClusterClient } from '../../src/client/cluster-client.js';
import { produceRecords } from '../../src/client/record-producer.js';
import { withClient } from '../helpers/wire.js';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;

const quiet = { sink: (): void => undefined, level: 'warn' as const };
let a: RunningBroker;
let b: RunningBroker;

before(async () => {
  a = await startBroker({ port: 0, logger: quiet });
  b = await startBroker({ port: 0, logger: quiet });
});

after(async () => {
  await a?.stop();
  await b?.stop();
});

function store(r: RunningBroker): LocalMetadataStore {
  const s = r.broker.metadata;
  assert.ok(s instanceof LocalMetadataStore);
  return s;
}

function logConfig(r: RunningBroker, topic: string): LogConfig {
  const p = r.broker.replicas.partitions(topic)?.[0];
  assert.ok(p, `${topic}-0 is open`);
  return p.log.config;
}

test('two brokers in one process: each counts its own zero-copy sends, metadata map copies and snapshot writes', { timeout: 60_000 }, async () => {
  const zeroCopyB = { ...b.broker.zeroCopyStats };
  const copiesB = b.broker.metadata.image().copyStats.copiedEntries;
  const serializedB = store(b).snapshotStats.topicsSerialized;
  const copiesA = a.broker.metadata.image().copyStats.copiedEntries;
  const serializedA = store(a).snapshotStats.topicsSerialized;
  await withClient(a.port, async (c) => {
    // One topic per commit: each commit forks the previous image's (copy-on-write) topic maps.
    for (let i = 0; i < 4; i++) assert.equal(await c.createTopic(`state-${i}`, 1), 0);
    const value = Buffer.alloc(10_000, 7);
    assert.equal((await c.produce('state-0', 0, encodeRecordBatch({ records: Array.from({ length: 20 }, () => ({ value })) }))).errorCode, 0);
    const p = await c.fetchOnce('state-0', 0, 0n);
    assert.equal(p.errorCode, 0);
    assert.ok((p.records?.length ?? 0) > 200_000);
  });
  if (zeroCopyAvailable) assert.ok(a.broker.zeroCopyStats.answers > 0 && a.broker.zeroCopyStats.fileBytes > 200_000, 'broker A sent its Fetch answer from the file');
  assert.deepEqual(b.broker.zeroCopyStats, zeroCopyB, "broker B's zero-copy counters did not move");
  assert.ok(a.broker.metadata.image().copyStats.copiedEntries > copiesA, "broker A's image line counted its copies");
  assert.equal(b.broker.metadata.image().copyStats.copiedEntries, copiesB, "broker B's image line copied nothing");
  assert.ok(store(a).snapshotStats.topicsSerialized >= serializedA + 4, "broker A's store serialized its new topics");
  assert.equal(store(b).snapshotStats.topicsSerialized, serializedB, "broker B's store serialized nothing");
  assert.notEqual(a.broker.zeroCopyStats, b.broker.zeroCopyStats);
});

test('topic configs are resolved once per set of overrides, per broker, and follow AlterConfigs, IncrementalAlterConfigs and dynamic broker defaults', { timeout: 60_000 }, async () => {
  const kafka = new Kafka({ clientId: 'per-broker-state', brokers: [a.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const conn = await KafkaConnection.open(a.bootstrap, { clientId: 'per-broker-state' });
  try {
    for (const r of [a, b]) {
      await withClient(r.port, async (c) => {
        for (const t of ['cfg-plain-1', 'cfg-plain-2', 'cfg-own']) assert.equal(await c.createTopic(t, 1, t === 'cfg-own' ? { 'retention.ms': 3_600_000 } : {}), 0);
      });
    }
    const defaultRetention = 7 * 24 * 3_600_000;
    // Topics without overrides share one resolved LogConfig (frozen: nobody may change it).
    assert.equal(logConfig(a, 'cfg-plain-1'), logConfig(a, 'cfg-plain-2'));
    assert.ok(Object.isFrozen(logConfig(a, 'cfg-plain-1')));
    assert.equal(logConfig(a, 'cfg-plain-1').retentionMs, defaultRetention);
    assert.equal(logConfig(a, 'cfg-own').retentionMs, 3_600_000);
    // Each broker has its own cache.
    assert.notEqual(logConfig(a, 'cfg-plain-1'), logConfig(b, 'cfg-plain-1'));

    // AlterConfigs (kafkajs) on one topic: that topic only.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg-plain-2', configEntries: [{ name: 'retention.ms', value: '120000' }] }] });
    assert.equal(logConfig(a, 'cfg-plain-2').retentionMs, 120_000);
    assert.equal(logConfig(a, 'cfg-plain-1').retentionMs, defaultRetention);

    // A dynamic cluster-wide default (IncrementalAlterConfigs on broker ''): every topic without its own retention.ms.
    await alterBrokerConfigs(conn, '', [{ name: 'log.retention.ms', op: 'SET', value: '600000' }]);
    assert.equal(logConfig(a, 'cfg-plain-1').retentionMs, 600_000);
    assert.equal(logConfig(a, 'cfg-plain-2').retentionMs, 120_000);
    assert.equal(logConfig(a, 'cfg-own').retentionMs, 3_600_000);
    // Broker B (its own metadata and config) keeps its defaults.
    assert.equal(logConfig(b, 'cfg-plain-1').retentionMs, defaultRetention);

    // IncrementalAlterConfigs deleting the topic's override: back to the (dynamic) broker default.
    const res = await conn.request<IncrementalAlterConfigsResponse>(44, 1, {
      resources: [{ resourceType: 2, resourceName: 'cfg-own', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }],
      validateOnly: false,
    });
    assert.equal(res.responses[0]?.errorCode, 0);
    assert.equal(logConfig(a, 'cfg-own').retentionMs, 600_000);
    assert.equal(logConfig(a, 'cfg-own'), logConfig(a, 'cfg-plain-1'));

    // The dynamic default removed: the static one again.
    await alterBrokerConfigs(conn, '', [{ name: 'log.retention.ms', op: 'DELETE', value: null }]);
    assert.equal(logConfig(a, 'cfg-plain-1').retentionMs, defaultRetention);
    assert.equal(logConfig(a, 'cfg-own').retentionMs, defaultRetention);
  } finally {
    conn.close();
    await admin.disconnect();
  }
});

test("each client's keyless records go round robin from the first partition, whatever another client in the process produced", { timeout: 60_000 }, async () => {
  await withClient(a.port, async (c) => {
    assert.equal(await c.createTopic('rr-one', 4), 0);
    assert.equal(await c.createTopic('rr-two', 4), 0);
  });
  const first = new ClusterClient({ bootstrap: [a.bootstrap], clientId: 'rr-1' });
  const second = new ClusterClient({ bootstrap: [a.bootstrap], clientId: 'rr-2' });
  try {
    const one = await produceRecords(first, 'rr-one', [{ key: null, value: Buffer.from('x') }]);
    assert.deepEqual(one.map((r) => r.partition), [0]);
    const two = await produceRecords(second, 'rr-two', Array.from({ length: 4 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })));
    assert.deepEqual(two.map((r) => [r.partition, r.errorCode]), [[0, 0], [1, 0], [2, 0], [3, 0]]);
  } finally {
    first.close();
    second.close();
  }
});
