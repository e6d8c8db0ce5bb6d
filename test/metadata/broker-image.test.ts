/**
 * The broker on the metadata image: it registers itself (Metadata and DescribeCluster answer the
 * registered endpoint), every controller change (create, grow, alter configs, delete) is one
 * commit that raises the image's epoch, and the applier makes the broker follow each image
 * (partitions opened, live configs applied, partitions gone after deletion). A data dir whose
 * metadata file was written before the image existed starts and serves its topics.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire.js';

const dirs: string[] = [];
const brokers: RunningBroker[] = [];
const clients: WireClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const b of brokers) await b.stop();
  for (const d of dirs) removeDir(d);
});

async function start(dataDir?: string): Promise<{ broker: RunningBroker; c: WireClient }> {
  const broker = await startBroker({ port: 0, ...(dataDir !== undefined ? { dataDir } : {}), config: { 'auto.create.topics.enable': 'false' } });
  brokers.push(broker);
  const c = await WireClient.connect(broker.port);
  clients.push(c);
  return { broker, c };
}

test('controller changes are commits that raise the epoch, and the applier follows each image', async () => {
  const { broker, c } = await start();
  const b = broker.broker;
  const image0 = b.metadata.image();
  assert.deepEqual(image0.broker(b.nodeId)?.endpoints.map((e) => e.port), [broker.port], 'the broker registered its bound listener');
  const md = await c.metadata(null);
  assert.deepEqual(md.brokers.map((x: { nodeId: number; port: number }) => [x.nodeId, x.port]), [[b.nodeId, broker.port]]);
  assert.equal(md.clusterId, image0.clusterId);

  assert.equal(await c.createTopic('img', 2), ErrorCode.NONE);
  const image1 = b.metadata.image();
  assert.equal(image1.epoch, image0.epoch + 1);
  assert.equal(image0.topic('img'), undefined, 'an image never changes');
  assert.ok(b.replicas.partition('img', 1), 'the applier opened the new partitions');

  const grown = await c.request<{ results: { errorCode: number }[] }>(37, 3, { topics: [{ name: 'img', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
  assert.equal(grown.results[0]?.errorCode, ErrorCode.NONE);
  assert.equal(b.metadata.image().epoch, image1.epoch + 1);
  assert.ok(b.replicas.partition('img', 2), 'the applier opened the added partition');

  const altered = await c.request<{ responses: { errorCode: number }[] }>(33, 2, {
    resources: [{ resourceType: 2, resourceName: 'img', configs: [{ name: 'max.message.bytes', value: '2048' }] }],
    validateOnly: false,
  });
  assert.equal(altered.responses[0]?.errorCode, ErrorCode.NONE);
  assert.equal(b.metadata.image().epoch, image1.epoch + 2);
  assert.equal(b.replicas.partition('img', 0)?.settings.maxMessageBytes, 2048, 'the applier pushed the config to the partitions');

  const deleted = await c.request<{ responses: { errorCode: number }[] }>(20, 5, { topics: [], topicNames: ['img'], timeoutMs: 5000 });
  assert.equal(deleted.responses[0]?.errorCode, ErrorCode.NONE);
  assert.equal(b.metadata.image().epoch, image1.epoch + 3);
  assert.equal(b.metadata.image().topic('img'), undefined);
  assert.equal(b.replicas.partitions('img'), undefined, 'the deleted topic has no partitions');
});

test('a data dir whose metadata file predates the image starts and serves its topics', async () => {
  const dataDir = tempDir('samsa-old-metadata-');
  dirs.push(dataDir);
  const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
  const partitions = [0, 1].map((partition) => ({ partition, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }));
  writeFileSync(join(dataDir, '__samsa_metadata.json'), JSON.stringify({ version: 1, clusterId: 'old-format-cluster', topics: [{ name: 'legacy', topicId, partitions, configs: {}, internal: false }] }));
  mkdirSync(join(dataDir, 'legacy-0'));
  const { broker, c } = await start(dataDir);
  assert.equal(broker.broker.metadata.image().epoch, 2, 'the stored image (epoch 0) plus this broker registering and its first producer-id block');
  assert.equal(broker.broker.metadata.image().nextProducerId, 1000n, 'no id was issued before: the first block starts at 0');
  const md = await c.metadata(['legacy']);
  assert.equal(md.clusterId, 'old-format-cluster');
  assert.equal(md.topics[0].errorCode, ErrorCode.NONE);
  assert.equal(md.topics[0].topicId, topicId);
  assert.equal(md.topics[0].partitions.length, 2);
  for (const p of [0, 1]) {
    const r = await c.produce('legacy', p, encodeRecordBatch({ records: [{ value: Buffer.from(`v${p}`) }] }));
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.baseOffset, 0n);
  }
});
