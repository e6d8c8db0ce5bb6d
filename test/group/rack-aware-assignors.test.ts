/**
 * Rack-aware server assignors (KIP-848 `uniform` and `range` with KIP-881's semantics): a member
 * with a rack gets partitions with a replica on its rack when balance allows, never at the cost
 * of balance; without racks (or when racks cannot matter) the assignment is the rack-less one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rangeAssignor, uniformAssignor, type AssignmentMember, type AssignmentSpec } from '../../src/group/consumer/assignors.js';
import { partitionMetadataRecord } from '../../src/group/consumer/consumer-records.js';
import { sameRacks } from '../../src/group/consumer/consumer-model.js';
import { decodeCoordinatorRecord } from '../../src/group/records.js';

const T = 'topic-id-t';
const U = 'topic-id-u';

function members(...spec: [string, string | null][]): AssignmentMember[] {
  return spec.map(([memberId, rack]) => ({ memberId, topicIds: new Set([T]), rack }));
}

/** Partition p of a topic of n partitions has its one replica on `rackOf(p)`. */
function racks(n: number, rackOf: (p: number) => string): readonly (readonly string[])[] {
  return Array.from({ length: n }, (_, p) => [rackOf(p)]);
}

function parts(result: Map<string, Map<string, Set<number>>>, memberId: string, topicId = T): number[] {
  return [...(result.get(memberId)?.get(topicId) ?? [])].sort((a, b) => a - b);
}

function spec(ms: AssignmentMember[], n: number, partitionRacks?: ReadonlyMap<string, readonly (readonly string[])[]>, previous = new Map()): AssignmentSpec {
  return { members: ms, topics: new Map([[T, n]]), previous, ...(partitionRacks === undefined ? {} : { partitionRacks }) };
}

test('range: each member first gets the partitions on its rack within its share, then the rest in order', () => {
  // Partitions 0-2 on rack b, 3-5 on rack a: the plain ranges would put every partition off its member's rack.
  const r = rangeAssignor(spec(members(['m1', 'a'], ['m2', 'b']), 6, new Map([[T, racks(6, (p) => (p < 3 ? 'b' : 'a'))]])));
  assert.deepEqual(parts(r, 'm1'), [3, 4, 5]);
  assert.deepEqual(parts(r, 'm2'), [0, 1, 2]);
  // Not enough local partitions for a member's share: the share is filled from the others.
  const skew = rangeAssignor(spec(members(['m1', 'a'], ['m2', 'b']), 4, new Map([[T, racks(4, (p) => (p === 3 ? 'b' : 'a'))]])));
  assert.deepEqual(parts(skew, 'm1'), [0, 1]);
  assert.deepEqual(parts(skew, 'm2'), [2, 3]);
});

test('range: co-partitioned topics with alike replica placement still line up', () => {
  const ms: AssignmentMember[] = [
    { memberId: 'm1', topicIds: new Set([T, U]), rack: 'a' },
    { memberId: 'm2', topicIds: new Set([T, U]), rack: 'b' },
  ];
  const rk = racks(4, (p) => (p % 2 === 0 ? 'b' : 'a'));
  const r = rangeAssignor({ members: ms, topics: new Map([[T, 4], [U, 4]]), previous: new Map(), partitionRacks: new Map([[T, rk], [U, rk]]) });
  assert.deepEqual(parts(r, 'm1', T), [1, 3]);
  assert.deepEqual(parts(r, 'm1', U), [1, 3]);
  assert.deepEqual(parts(r, 'm2', T), [0, 2]);
  assert.deepEqual(parts(r, 'm2', U), [0, 2]);
});

test('uniform: members get the partitions on their racks, balanced', () => {
  // 3 racks, 9 partitions, partition p on rack (p+1)%3: member ids sort differently from racks.
  const rk = racks(9, (p) => `r${(p + 1) % 3}`);
  const r = uniformAssignor(spec(members(['m0', 'r0'], ['m1', 'r1'], ['m2', 'r2']), 9, new Map([[T, rk]])));
  for (const m of ['m0', 'm1', 'm2']) {
    const mine = parts(r, m);
    assert.equal(mine.length, 3, `${m} gets 3`);
    assert.ok(mine.every((p) => rk[p]?.[0] === `r${m.slice(1)}`), `${m} gets only partitions on its rack: ${mine.join(',')}`);
  }
});

test('uniform: balance wins over racks; racks that cannot matter change nothing', () => {
  // Every partition on rack a: m2 (rack b) still gets its half.
  const allA = uniformAssignor(spec(members(['m1', 'a'], ['m2', 'b']), 4, new Map([[T, racks(4, () => 'a')]])));
  assert.equal(parts(allA, 'm1').length, 2);
  assert.equal(parts(allA, 'm2').length, 2);
  // Replicas on every member's rack, or no member rack: the rack-less assignment.
  const plain = uniformAssignor(spec(members(['m1', null], ['m2', null]), 6));
  const everywhere = uniformAssignor(spec(members(['m1', 'a'], ['m2', 'b']), 6, new Map([[T, Array.from({ length: 6 }, () => ['a', 'b'])]])));
  const noMemberRack = uniformAssignor(spec(members(['m1', null], ['m2', null]), 6, new Map([[T, racks(6, (p) => (p < 3 ? 'b' : 'a'))]])));
  for (const r of [everywhere, noMemberRack]) for (const m of ['m1', 'm2']) assert.deepEqual(parts(r, m), parts(plain, m));
});

test('uniform: a joining member takes partitions on its rack, and members keep what they had otherwise', () => {
  const rk = racks(6, (p) => (p % 2 === 0 ? 'a' : 'b'));
  const first = uniformAssignor(spec(members(['m1', 'a']), 6, new Map([[T, rk]])));
  assert.deepEqual(parts(first, 'm1'), [0, 1, 2, 3, 4, 5]);
  const second = uniformAssignor(spec(members(['m1', 'a'], ['m2', 'b']), 6, new Map([[T, rk]]), first));
  assert.deepEqual(parts(second, 'm1'), [0, 2, 4], 'm1 keeps its rack-a partitions');
  assert.deepEqual(parts(second, 'm2'), [1, 3, 5], 'the rack-b partitions move to the rack-b member');
  // Stable: assigning again with the same members moves nothing.
  const again = uniformAssignor(spec(members(['m1', 'a'], ['m2', 'b']), 6, new Map([[T, rk]]), second));
  assert.deepEqual(parts(again, 'm1'), [0, 2, 4]);
  assert.deepEqual(parts(again, 'm2'), [1, 3, 5]);
});

test('uniform: heterogeneous subscriptions only swap partitions of topics both members subscribe to', () => {
  const ms: AssignmentMember[] = [
    { memberId: 'm1', topicIds: new Set([T, U]), rack: 'a' },
    { memberId: 'm2', topicIds: new Set([T]), rack: 'b' },
  ];
  const r = uniformAssignor({
    members: ms,
    topics: new Map([[T, 2], [U, 2]]),
    previous: new Map(),
    partitionRacks: new Map([[T, racks(2, () => 'a')], [U, racks(2, () => 'b')]]),
  });
  assert.deepEqual(parts(r, 'm2', U), [], 'm2 never gets a topic it does not subscribe to');
  assert.deepEqual(parts(r, 'm1', U), [0, 1]);
  assert.equal(parts(r, 'm1', T).length + parts(r, 'm2', T).length, 2);
});

test('partition racks are written to ConsumerGroupPartitionMetadata and read back (a rack change is a metadata change)', () => {
  const topics = [
    { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 't', numPartitions: 3, partitionRacks: [['a'], ['a', 'b'], []] },
    { topicId: 'AQAAAAAAAAAAAAAAAAAAAA', name: 'u', numPartitions: 2 },
  ];
  const r = partitionMetadataRecord('g', topics);
  const d = decodeCoordinatorRecord(r.key, r.value);
  assert.equal(d.type, 'consumer');
  if (d.type !== 'consumer' || d.record.type !== 'partition-metadata') throw new Error('not a partition metadata record');
  assert.deepEqual(d.record.topics, topics);
  assert.equal(sameRacks(topics[0]!, { ...topics[0]!, partitionRacks: [['a'], ['b'], []] }), false);
});
