/**
 * The reassignment steps as pure functions (cluster/reassignment.ts), Kafka's KRaft rules:
 * start (merged replicas, adding, removing; leader and ISR kept), completion once the target is in
 * the ISR (leader moved off a removed replica, removing replicas out of the ISR, never an empty
 * ISR), immediate completion of reorders and spare removals, replacement of a reassignment in
 * progress, and revert (cancel) including an adding replica that leads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelReassignment, completeReassignment, startReassignment } from '../../src/cluster/reassignment.js';
import type { PartitionImage } from '../../src/metadata/image.js';

const p = (x: Partial<PartitionImage> & { replicas: number[]; isr: number[]; leader: number }): PartitionImage => ({ partition: 0, leaderEpoch: 5, partitionEpoch: 9, ...x });
const alive = new Set([1, 2, 3, 4, 5]);

test('start: replicas = target then the removed ones, adding and removing set, leader and ISR kept', () => {
  const s = startReassignment(p({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }), [4, 2, 3], alive);
  assert.deepEqual(s, { replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1], leader: 1, leaderEpoch: 5, isr: [1, 2, 3] });
  assert.equal(startReassignment(p({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }), [1, 2, 3], alive), null, 'the current assignment: nothing');
});

test('complete: only once every target replica is in the ISR; leadership leaves a removed replica', () => {
  const moving = p({ replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1], isr: [1, 2, 3], leader: 1 });
  assert.equal(completeReassignment(moving, alive), null, 'broker 4 not in the ISR yet');
  const done = completeReassignment({ ...moving, isr: [1, 2, 3, 4] }, alive);
  assert.deepEqual(done, { replicas: [4, 2, 3], addingReplicas: [], removingReplicas: [], leader: 4, leaderEpoch: 6, isr: [2, 3, 4] });
  const kept = completeReassignment(p({ replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1], isr: [1, 2, 3, 4], leader: 2 }), alive);
  assert.equal(kept?.leader, 2, 'a leader in the target stays');
  assert.equal(kept?.leaderEpoch, 5);
  const deadTarget = completeReassignment(p({ replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1], isr: [1, 2, 4], leader: 1 }), new Set([1, 2]));
  assert.equal(deadTarget?.leader, 2, 'the first live target replica in the ISR');
  assert.equal(completeReassignment(p({ replicas: [2, 1], removingReplicas: [1], addingReplicas: [], isr: [1], leader: 1 }), alive), null, 'never an empty ISR');
});

test('a reorder and a removal the ISR can spare complete in the start itself; a removal it cannot spare waits', () => {
  assert.deepEqual(startReassignment(p({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }), [3, 1, 2], alive), { replicas: [3, 1, 2], addingReplicas: [], removingReplicas: [], leader: 1, leaderEpoch: 5, isr: [1, 2, 3] });
  assert.deepEqual(startReassignment(p({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 3 }), [1, 2], alive), { replicas: [1, 2], addingReplicas: [], removingReplicas: [], leader: 1, leaderEpoch: 6, isr: [1, 2] });
  const waits = startReassignment(p({ replicas: [1, 2, 3], isr: [1, 3], leader: 1 }), [1, 2], alive);
  assert.deepEqual(waits, { replicas: [1, 2, 3], addingReplicas: [], removingReplicas: [3], leader: 1, leaderEpoch: 5, isr: [1, 3] }, 'broker 2 (target) is out of the ISR');
});

test('a new target replaces the reassignment in progress (from the original replicas); cancel reverts, an adding leader gives way', () => {
  const inProgress = p({ replicas: [1, 2, 4, 3], addingReplicas: [4], removingReplicas: [3], isr: [1, 2, 3], leader: 1 });
  assert.deepEqual(startReassignment(inProgress, [5, 2, 3], alive), { replicas: [5, 2, 3, 1], addingReplicas: [5], removingReplicas: [1], leader: 1, leaderEpoch: 5, isr: [1, 2, 3] });
  assert.deepEqual(startReassignment(inProgress, [1, 2, 3], alive), { replicas: [1, 2, 3], addingReplicas: [], removingReplicas: [], leader: 1, leaderEpoch: 5, isr: [1, 2, 3] }, 'back to the original: a cancel');
  assert.deepEqual(cancelReassignment(inProgress, alive), { replicas: [1, 2, 3], addingReplicas: [], removingReplicas: [], leader: 1, leaderEpoch: 5, isr: [1, 2, 3] });
  const addingLeads = p({ replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1], isr: [4, 2], leader: 4 });
  assert.deepEqual(cancelReassignment(addingLeads, alive), { replicas: [2, 1], addingReplicas: [], removingReplicas: [], leader: 2, leaderEpoch: 6, isr: [2] });
  assert.equal(cancelReassignment(p({ replicas: [1, 2], isr: [1, 2], leader: 1 }), alive), null, 'nothing in progress');
});
