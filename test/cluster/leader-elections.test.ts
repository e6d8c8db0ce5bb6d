/**
 * The requested and automatic leader elections (cluster/leader-elections.ts) and controlled
 * shutdown's changes (cluster/controlled-shutdown.ts) over in-memory images, with an in-memory
 * AlterPartition that checks the partition epoch as the etcd store does (its etcd behaviour is
 * covered by test/cluster/etcd-store.test.ts and the cluster tests in test/replication/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { MetadataImage, type PartitionImage, type TopicImage } from '../../src/metadata/image.js';
import { ElectionKind, electLeader, imbalancedPartitions, rebalancePreferredLeaders } from '../../src/cluster/leader-elections.js';
import { controlledShutdown, shutdownChanges, type PartitionStateWriter } from '../../src/cluster/controlled-shutdown.js';
import type { PartitionStateChange } from '../../src/cluster/etcd/metadata-store.js';
import { Logger } from '../../src/common/logger.js';
import type { Scheduler } from '../../src/common/scheduler.js';

type P = [leader: number, replicas: number[], isr: number[]];

function imageOf(topics: Record<string, P[]>, alive: number[]): MetadataImage {
  const map = new Map<string, TopicImage>();
  for (const [name, parts] of Object.entries(topics)) {
    const partitions: PartitionImage[] = parts.map(([leader, replicas, isr], partition) => ({ partition, leader, leaderEpoch: 0, replicas, isr, partitionEpoch: 0 }));
    map.set(name, { name, topicId: `id-${name}`, partitions, configs: {}, internal: false });
  }
  const brokers = new Map(alive.map((nodeId) => [nodeId, { nodeId, rack: null, endpoints: [] }] as const));
  return new MetadataImage({ epoch: 1, clusterId: 'c', topics: map, brokers, brokerConfigs: new Map() });
}

/** An in-memory AlterPartition with etcd's compare on the partition epoch. */
class MemoryWriter implements PartitionStateWriter {
  writes = 0;
  constructor(private current: MetadataImage) {}
  image(): MetadataImage {
    return this.current;
  }
  async alterPartition(topicId: string, partition: number, expected: number, change: PartitionStateChange): Promise<MetadataImage> {
    const t = this.current.topicById(topicId);
    const p = t?.partitions[partition];
    if (t === undefined || p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, topicId);
    if ((p.partitionEpoch ?? 0) !== expected) throw new KafkaError(ErrorCode.INVALID_UPDATE_VERSION, 'stale');
    const partitions = t.partitions.map((x) => (x.partition === partition ? { ...x, ...change, isr: [...change.isr], partitionEpoch: expected + 1 } : x));
    const topics = new Map([...this.current.topics()].map((x) => [x.name, x.name === t.name ? { ...t, partitions } : x] as const));
    const brokers = new Map(this.current.brokers().map((b) => [b.nodeId, b] as const));
    this.current = new MetadataImage({ epoch: this.current.epoch + 1, clusterId: 'c', topics, brokers, brokerConfigs: new Map() });
    this.writes++;
    return this.current;
  }
}

const quiet = new Logger({ sink: () => undefined });
const immediate: Scheduler = {
  now: () => 0,
  schedule: (_ms, fn) => {
    queueMicrotask(fn);
    return { cancel: () => undefined };
  },
};

test('imbalance: a broker not leading more than the percentage of its preferred partitions gets them back where it is alive and in sync', () => {
  // Broker 1 is preferred for 4 partitions and leads 3: 25 % imbalance; broker 2 is preferred for 1 and leads it.
  const image = imageOf({ a: [[1, [1, 2], [1, 2]], [1, [1, 2], [1, 2]], [1, [1, 2], [1, 2]], [2, [1, 2], [1, 2]], [2, [2, 1], [2, 1]]] }, [1, 2]);
  assert.deepEqual(imbalancedPartitions(image, 10), [{ topic: 'a', partition: 3 }]);
  assert.deepEqual(imbalancedPartitions(image, 25), [], 'not above the percentage');
  // Preferred replica out of the ISR, or not alive: not moved.
  assert.deepEqual(imbalancedPartitions(imageOf({ a: [[2, [1, 2], [2]]] }, [1, 2]), 10), []);
  assert.deepEqual(imbalancedPartitions(imageOf({ a: [[2, [1, 2], [2, 1]]] }, [2]), 10), []);
});

test('rebalancePreferredLeaders writes the preferred leader with a new leader epoch', async () => {
  const w = new MemoryWriter(imageOf({ a: [[2, [1, 2], [2, 1]]] }, [1, 2]));
  assert.equal(await rebalancePreferredLeaders(w, 10), 1);
  const p = w.image().topic('a')?.partitions[0];
  assert.equal(p?.leader, 1);
  assert.equal(p?.leaderEpoch, 1);
  assert.deepEqual(p?.isr, [2, 1]);
});

test('electLeader: Kafka per-partition outcomes for PREFERRED and UNCLEAN', async () => {
  const w = new MemoryWriter(imageOf({ a: [[1, [1, 2], [1, 2]], [2, [1, 2], [2]], [-1, [1, 2], [1]], [-1, [3], [3]]] }, [1, 2]));
  assert.equal(await electLeader(w, 'a', 0, ElectionKind.preferred), ErrorCode.ELECTION_NOT_NEEDED);
  assert.equal(await electLeader(w, 'a', 1, ElectionKind.preferred), ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, 'preferred not in the ISR');
  assert.equal(await electLeader(w, 'a', 9, ElectionKind.preferred), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await electLeader(w, 'b', 0, ElectionKind.unclean), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await electLeader(w, 'a', 0, ElectionKind.unclean), ErrorCode.ELECTION_NOT_NEEDED);
  assert.equal(await electLeader(w, 'a', 2, ElectionKind.unclean), ErrorCode.NONE, 'the live ISR member 1 (clean) is elected');
  assert.equal(w.image().topic('a')?.partitions[2]?.leader, 1);
  assert.equal(await electLeader(w, 'a', 3, ElectionKind.unclean), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'no live replica');
});

test('controlled shutdown: leadership moves to the first other ISR member, the broker leaves every ISR except where it is the last', async () => {
  const image = imageOf({ a: [[1, [1, 2, 3], [1, 2, 3]], [2, [2, 1, 3], [2, 1, 3]], [1, [1, 2], [1]], [3, [3, 1], [3]]] }, [1, 2, 3]);
  assert.deepEqual(shutdownChanges(image, 1).map((c) => [c.partition, c.to.leader, c.to.isr]), [
    [0, 2, [2, 3]],
    [1, 2, [2, 3]],
  ]);
  const w = new MemoryWriter(image);
  const r = await controlledShutdown(w, { nodeId: 1, maxRetries: 3, retryBackoffMs: 0, scheduler: immediate, logger: quiet });
  assert.deepEqual(r, { remaining: 0, moved: 2, attempts: 1 });
  assert.equal(w.image().topic('a')?.partitions[2]?.leader, 1, 'nobody else can lead a-2: it stays');
});
