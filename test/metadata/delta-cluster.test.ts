/**
 * The delta parts clusters add (Kafka's PartitionChangeRecord and UnregisterBrokerRecord):
 * changedPartitions replaces existing partitions' leader / epochs / ISR, unregisteredBrokers
 * removes registrations; a delta that does not fit throws MetadataDeltaError carrying the Kafka
 * error code a client would get for the same conflict.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../src/common/error-codes.js';
import { applyDelta, MetadataDeltaError } from '../../src/metadata/delta.js';
import { MetadataImage, type TopicImage } from '../../src/metadata/image.js';

const t: TopicImage = {
  name: 't',
  topicId: 'id-t',
  partitions: [0, 1].map((p) => ({ partition: p, leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2], partitionEpoch: 0 })),
  configs: {},
  internal: false,
};

test('changedPartitions replaces the named partitions; unregisteredBrokers removes registrations', () => {
  const base = applyDelta(MetadataImage.empty('c'), {
    createdTopics: [t],
    registeredBrokers: [1, 2].map((nodeId) => ({ nodeId, rack: null, endpoints: [{ listenerName: 'PLAINTEXT', host: 'h', port: 9092 + nodeId }] })),
  });
  const next = applyDelta(base, {
    changedPartitions: [{ topicId: 'id-t', partitions: [{ partition: 1, leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2], partitionEpoch: 1 }] }],
    unregisteredBrokers: [1],
  });
  assert.deepEqual(next.topic('t')?.partitions[1], { partition: 1, leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2], partitionEpoch: 1 });
  assert.equal(next.topic('t')?.partitions[0], base.topic('t')?.partitions[0]);
  assert.deepEqual(next.brokers().map((b) => b.nodeId), [2]);
  assert.equal(next.topicById('id-t'), next.topic('t'));
  assert.equal(base.topic('t')?.partitions[1]?.leader, 1, 'the old image is unchanged');
});

test('MetadataDeltaError carries the Kafka error code of the conflict', () => {
  const base = applyDelta(MetadataImage.empty('c'), { createdTopics: [t] });
  const cases: [Parameters<typeof applyDelta>[1], number][] = [
    [{ createdTopics: [{ ...t, topicId: 'other' }] }, ErrorCode.TOPIC_ALREADY_EXISTS],
    [{ createdTopics: [{ ...t, name: 'u' }] }, ErrorCode.TOPIC_ALREADY_EXISTS],
    [{ deletedTopics: ['nope'] }, ErrorCode.UNKNOWN_TOPIC_ID],
    [{ changedPartitions: [{ topicId: 'id-t', partitions: [{ partition: 5, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }] }] }, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    [{ addedPartitions: [{ topicId: 'id-t', partitions: [{ partition: 3, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }] }] }, ErrorCode.INVALID_PARTITIONS],
  ];
  for (const [d, code] of cases) {
    assert.throws(() => applyDelta(base, d), (e: unknown) => e instanceof MetadataDeltaError && e.code === code, JSON.stringify(d));
  }
});
