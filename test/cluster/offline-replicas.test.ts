/**
 * Replicas whose log dir failed (KIP-112), as pure functions: the registration value carries a
 * broker's offline log dirs and replicas (etcd keys), the controller treats such a replica as dead
 * for its partition alone (aliveFor + electAfterFailures), and Metadata lists it in
 * offline_replicas (partitionEntry), with leader -1 when it was the leader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { aliveFor, electAfterFailures } from '../../src/cluster/partition-elections.js';
import { decodeBroker, encodeBroker } from '../../src/cluster/etcd/keys.js';
import { partitionEntry } from '../../src/broker/handlers/partition-entry.js';
import type { BrokerImage, PartitionImage } from '../../src/metadata/image.js';

const T = 'AAAAAAAAAAAAAAAAAAAAAA';
const endpoints = [{ listenerName: 'PLAINTEXT', host: 'h', port: 9092 }];
const broker = (nodeId: number, offline: number[] = []): BrokerImage =>
  offline.length === 0 ? { nodeId, rack: null, endpoints } : { nodeId, rack: null, endpoints, offlineLogDirs: ['/d2'], offlineReplicas: offline.map((partition) => ({ topicId: T, partition })) };
const imageOf = (brokers: BrokerImage[]): { broker(id: number): BrokerImage | undefined } => ({ broker: (id) => brokers.find((b) => b.nodeId === id) });

test('the registration value carries offline log dirs and replicas; older values without them still decode', () => {
  const b = broker(1, [0, 3]);
  assert.deepEqual(decodeBroker('k', encodeBroker(b)), b);
  const plain = broker(2);
  const raw = encodeBroker(plain);
  assert.ok(!raw.includes('offline'), raw);
  assert.deepEqual(decodeBroker('k', raw), plain);
  assert.throws(() => decodeBroker('k', JSON.stringify({ version: 1, nodeId: 1, rack: null, endpoints: [], offlineReplicas: [{ topicId: T }] })), /offline replica/);
  assert.throws(() => decodeBroker('k', JSON.stringify({ version: 1, nodeId: 1, rack: null, endpoints: [], offlineLogDirs: [3] })), /offlineLogDirs/);
});

test('a replica reported offline loses leadership and leaves the ISR of its partition only', () => {
  const image = imageOf([broker(1, [0]), broker(2), broker(3)]);
  const alive = new Set([1, 2, 3]);
  const s = { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 7 };
  const p0 = electAfterFailures(s, aliveFor(image, alive, T, 0, s.replicas), false);
  assert.deepEqual(p0, { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 5, partitionEpoch: 8 });
  // Partition 1 of the same topic lives in the broker's other dir: nothing changes.
  assert.equal(aliveFor(image, alive, T, 1, s.replicas), alive);
  assert.equal(electAfterFailures(s, aliveFor(image, alive, T, 1, s.replicas), false), null);
  // A follower reported offline just leaves the ISR.
  const f = electAfterFailures({ ...s, leader: 2 }, aliveFor(image, alive, T, 0, s.replicas), false);
  assert.deepEqual(f?.isr, [2, 3]);
  assert.equal(f?.leader, 2);
  // The only replica offline: no leader, the ISR keeps its last member (as for a dead broker).
  const single = { replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 };
  assert.deepEqual(electAfterFailures(single, aliveFor(image, alive, T, 0, single.replicas), false), { replicas: [1], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 1 });
});

test('Metadata lists offline replicas and answers LEADER_NOT_AVAILABLE while the offline replica is still the leader', () => {
  const image = imageOf([broker(1, [0]), broker(2)]);
  const p = (partition: number, leader: number): PartitionImage => ({ partition, replicas: [1, 2, 3], isr: [1, 2], leader, leaderEpoch: 1 });
  const stale = partitionEntry(p(0, 1), image, T);
  assert.deepEqual(stale.offlineReplicas, [1, 3]);
  assert.equal(stale.leaderId, -1);
  assert.equal(stale.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
  const moved = partitionEntry(p(0, 2), image, T);
  assert.equal(moved.leaderId, 2);
  assert.equal(moved.errorCode, ErrorCode.NONE);
  const other = partitionEntry(p(1, 1), image, T);
  assert.deepEqual(other.offlineReplicas, [3]);
  assert.equal(other.leaderId, 1);
});
