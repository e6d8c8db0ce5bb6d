/**
 * Replica placement (Kafka's assignReplicasToBrokers, with and without racks) and the controller's
 * leader/ISR choices (failure, unclean election, controlled shutdown, preferred leader), as pure
 * functions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { assignReplicas } from '../../src/cluster/replica-assignment.js';
import { NO_LEADER, electAfterFailures, electForShutdown, electPreferred, initialState, type PartitionState } from '../../src/cluster/partition-elections.js';

const zero = (): number => 0;

test('rack-unaware placement: leaders round-robin, followers shifted, no broker twice in a partition', () => {
  const brokers = [3, 1, 2, 4, 5].map((id) => ({ id, rack: null }));
  const a = assignReplicas(brokers, { numPartitions: 10, replicationFactor: 3, random: zero });
  // Kafka's documented example (start 0, shift 0): p0 [1,2,3], p1 [2,3,4] ... p5 [1,3,4] (shift 1 after n partitions).
  assert.deepEqual(a.slice(0, 6), [
    [1, 2, 3],
    [2, 3, 4],
    [3, 4, 5],
    [4, 5, 1],
    [5, 1, 2],
    [1, 3, 4],
  ]);
  for (const r of a) assert.equal(new Set(r).size, 3);
  const leaders = a.map((r) => r[0]);
  for (const id of [1, 2, 3, 4, 5]) assert.equal(leaders.filter((l) => l === id).length, 2);
});

test('rack-aware placement: every partition spans as many racks as it can', () => {
  const brokers = [
    { id: 0, rack: 'a' },
    { id: 1, rack: 'a' },
    { id: 2, rack: 'b' },
    { id: 3, rack: 'b' },
    { id: 4, rack: 'c' },
    { id: 5, rack: 'c' },
  ];
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
  let seed = 7;
  const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const a = assignReplicas(brokers, { numPartitions: 12, replicationFactor: 3, random });
  for (const r of a) {
    assert.equal(new Set(r).size, 3);
    assert.equal(new Set(r.map((id) => rackOf.get(id))).size, 3, `partition ${r} spans 3 racks`);
  }
  const two = assignReplicas(brokers.slice(0, 4), { numPartitions: 8, replicationFactor: 4, random });
  for (const r of two) assert.equal(new Set(r).size, 4, 'RF = brokers: every broker once even with 2 racks');
});

test('placement refuses a replication factor above the broker count', () => {
  assert.throws(
    () => assignReplicas([{ id: 1, rack: null }], { numPartitions: 1, replicationFactor: 2 }),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REPLICATION_FACTOR,
  );
});

const s = (leader: number, isr: number[], replicas = [1, 2, 3]): PartitionState => ({ replicas, isr, leader, leaderEpoch: 5, partitionEpoch: 9 });

test('failure of the leader: first live ISR member in assignment order leads, epochs bump', () => {
  const next = electAfterFailures(s(1, [3, 1, 2]), new Set([2, 3]), false);
  assert.deepEqual(next, { replicas: [1, 2, 3], isr: [3, 2], leader: 2, leaderEpoch: 6, partitionEpoch: 10 });
});

test('failure of a follower: it leaves the ISR, the leader and its epoch stay', () => {
  assert.deepEqual(electAfterFailures(s(1, [1, 2, 3]), new Set([1, 3]), false), { replicas: [1, 2, 3], isr: [1, 3], leader: 1, leaderEpoch: 5, partitionEpoch: 10 });
  assert.equal(electAfterFailures(s(1, [1, 2, 3]), new Set([1, 2, 3]), false), null);
});

test('no live ISR member: offline (the last ISR member kept) unless unclean election is allowed', () => {
  const offline = electAfterFailures(s(1, [1]), new Set([2, 3]), false);
  assert.deepEqual(offline, { replicas: [1, 2, 3], isr: [1], leader: NO_LEADER, leaderEpoch: 6, partitionEpoch: 10 });
  // It comes back: it leads again.
  assert.deepEqual(electAfterFailures(offline as PartitionState, new Set([1, 2, 3]), false), { replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 7, partitionEpoch: 11 });
  assert.deepEqual(electAfterFailures(s(1, [1]), new Set([3, 2]), true), { replicas: [1, 2, 3], isr: [2], leader: 2, leaderEpoch: 6, partitionEpoch: 10 });
});

test('controlled shutdown moves leadership to another ISR member; preferred leader comes back', () => {
  const moved = electForShutdown(s(1, [1, 2, 3]), 1, new Set([1, 2, 3]));
  assert.deepEqual(moved, { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 6, partitionEpoch: 10 });
  assert.equal(electForShutdown(s(1, [1]), 1, new Set([1, 2, 3])), null, 'nobody to take over');
  const back = electPreferred({ ...(moved as PartitionState), isr: [2, 3, 1] }, new Set([1, 2, 3]));
  assert.equal(back?.leader, 1);
  assert.equal(electPreferred(s(2, [2, 3]), new Set([1, 2, 3])), null, 'preferred not in the ISR');
});

test('initial state: first live replica leads, live replicas in sync', () => {
  assert.deepEqual(initialState([2, 3, 1], new Set([1, 3])), { replicas: [2, 3, 1], isr: [3, 1], leader: 3, leaderEpoch: 0, partitionEpoch: 0 });
});
