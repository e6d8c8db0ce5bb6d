/**
 * MetadataImage and MetadataDelta without a store: every applied delta makes a new image with the
 * epoch one higher and leaves the old one as it was; images are frozen; a delta that does not fit
 * the image (created name exists, unknown topic id, partition index gap) throws
 * MetadataDeltaError and changes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta, deletedTopics, MetadataDeltaError } from '../../src/metadata/delta.js';
import { endpointFor, MetadataImage, type TopicImage } from '../../src/metadata/image.js';

function topic(name: string, id: string, partitions: number, configs: Record<string, string> = {}): TopicImage {
  return {
    name,
    topicId: id,
    partitions: Array.from({ length: partitions }, (_, i) => ({ partition: i, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] })),
    configs,
    internal: false,
  };
}

test('applyDelta: created topics are found by name and id, the epoch grows by one, the old image is unchanged', () => {
  const empty = MetadataImage.empty('cluster-a');
  const one = applyDelta(empty, { createdTopics: [topic('orders', 'id-orders', 3, { 'retention.ms': '1000' })] });
  assert.equal(empty.epoch, 0);
  assert.equal(one.epoch, 1);
  assert.equal(one.clusterId, 'cluster-a');
  assert.equal(empty.topic('orders'), undefined);
  assert.equal(empty.topicCount, 0);
  assert.equal(one.topic('orders')?.partitions.length, 3);
  assert.equal(one.topicById('id-orders')?.name, 'orders');
  assert.deepEqual(one.topic('orders')?.configs, { 'retention.ms': '1000' });
  assert.equal(one.collidingTopic('orders'), undefined);
  assert.equal(one.collidingTopic('ord_ers'), undefined);
  const two = applyDelta(one, { createdTopics: [topic('a.b', 'id-ab', 1)] });
  assert.equal(two.epoch, 2);
  assert.equal(two.collidingTopic('a_b'), 'a.b');
  assert.equal(two.topicCount, 2);
  assert.equal(one.topicCount, 1);
});

test('images are frozen: topics, partitions, replica lists and configs cannot be written', () => {
  const configs: Record<string, string> = { 'cleanup.policy': 'compact' };
  const input = topic('t', 'id-t', 2, configs);
  const image = applyDelta(MetadataImage.empty('c'), { createdTopics: [input] });
  const t = image.topic('t') as TopicImage;
  assert.throws(() => {
    (t as { name: string }).name = 'other';
  }, TypeError);
  assert.throws(() => {
    (t.partitions as unknown as unknown[]).push({});
  }, TypeError);
  assert.throws(() => {
    (t.partitions[0]?.isr as number[]).push(2);
  }, TypeError);
  assert.throws(() => {
    (t.configs as Record<string, string>)['cleanup.policy'] = 'delete';
  }, TypeError);
  // The caller's objects are copied, not frozen under it.
  configs['cleanup.policy'] = 'delete';
  assert.equal(image.topic('t')?.configs['cleanup.policy'], 'compact');
});

test('deletion by id, added partitions, config replacement, broker configs and registrations', () => {
  let image = applyDelta(MetadataImage.empty('c'), { createdTopics: [topic('a', 'id-a', 1), topic('b', 'id-b', 2)] });
  const before = image;
  image = applyDelta(image, {
    deletedTopics: ['id-a'],
    addedPartitions: [{ topicId: 'id-b', partitions: [{ partition: 2, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }] }],
    topicConfigs: [{ topicId: 'id-b', configs: { 'segment.bytes': '1048576' } }],
    brokerConfigs: [{ resourceName: '', configs: { 'log.retention.ms': '5000' } }],
    registeredBrokers: [{ nodeId: 1, rack: null, endpoints: [{ listenerName: 'PLAINTEXT', host: 'h', port: 9 }, { listenerName: 'OTHER', host: 'o', port: 10 }] }],
  });
  assert.equal(image.epoch, 2);
  assert.equal(image.topic('a'), undefined);
  assert.equal(image.topicById('id-a'), undefined);
  assert.deepEqual(deletedTopics(before, image).map((t) => t.name), ['a']);
  assert.deepEqual(image.topic('b')?.partitions.map((p) => p.partition), [0, 1, 2]);
  assert.deepEqual(image.topic('b')?.configs, { 'segment.bytes': '1048576' });
  assert.deepEqual(image.brokerConfigs(''), { 'log.retention.ms': '5000' });
  assert.deepEqual(image.brokerConfigs('1'), {});
  const b = image.broker(1);
  assert.ok(b !== undefined);
  assert.equal(endpointFor(b, 'OTHER')?.host, 'o');
  assert.equal(endpointFor(b, 'UNKNOWN')?.host, 'h', 'an unknown listener falls back to the first endpoint');
  assert.deepEqual(image.brokers().map((x) => x.nodeId), [1]);
  // {} clears a resource's dynamic configs.
  image = applyDelta(image, { brokerConfigs: [{ resourceName: '', configs: {} }] });
  assert.deepEqual([...image.brokerConfigResources()], []);
});

test('a delta that does not fit throws MetadataDeltaError and the image stays as it was', () => {
  const image = applyDelta(MetadataImage.empty('c'), { createdTopics: [topic('a', 'id-a', 2)] });
  const bad = [
    { createdTopics: [topic('a', 'id-other', 1)] },
    { createdTopics: [topic('fresh', 'id-a', 1)] },
    { createdTopics: [{ ...topic('gap', 'id-gap', 1), partitions: [{ partition: 1, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }] }] },
    { deletedTopics: ['id-unknown'] },
    { addedPartitions: [{ topicId: 'id-a', partitions: [{ partition: 5, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }] }] },
    { topicConfigs: [{ topicId: 'id-unknown', configs: {} }] },
    // All or nothing: the valid first part of a delta is not applied either.
    { createdTopics: [topic('ok', 'id-ok', 1)], deletedTopics: ['id-unknown'] },
  ];
  for (const d of bad) assert.throws(() => applyDelta(image, d), MetadataDeltaError, JSON.stringify(d));
  assert.equal(image.epoch, 1);
  assert.equal(image.topic('ok'), undefined);
  assert.equal(image.topic('a')?.partitions.length, 2);
});
