/**
 * The leader's view of its followers (src/replication/leader-state.ts) on a manual clock: the high
 * watermark follows the lowest log end offset of the ISR, never moves back and waits for every ISR
 * member's first fetch after a leader change; members that stop catching up leave the ISR after
 * replica.lag.time.max.ms and caught-up replicas join it. Also the commit-waiter queue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../src/common/scheduler.js';
import { LeaderState } from '../../src/replication/leader-state.js';
import { CommitWaiters } from '../../src/replication/commit-waiters.js';

const LAG_MS = 10_000;

function leader(isr: number[], hw = 0, epochStart = 0): { state: LeaderState; clock: ManualScheduler } {
  const clock = new ManualScheduler();
  const state = new LeaderState({ localId: 1, replicas: [1, 2, 3], isr, leaderEpochStartOffset: epochStart, highWatermark: hw, clock });
  return { state, clock };
}

test('the high watermark is the lowest log end offset in the ISR, known for every member', () => {
  const { state } = leader([1, 2, 3]);
  assert.equal(state.leaderAppended(10), false, 'followers not heard from yet: the HW cannot move');
  assert.equal(state.recordFetch(2, 10, 10), false, 'replica 3 still unknown');
  assert.equal(state.recordFetch(3, 4, 10), true);
  assert.equal(state.highWatermark, 4);
  assert.equal(state.recordFetch(3, 10, 10), true);
  assert.equal(state.highWatermark, 10);
  // A follower fetching from an older offset (it truncated) never moves the HW back.
  assert.equal(state.recordFetch(3, 7, 10), false);
  assert.equal(state.highWatermark, 10);
});

test('an ISR of the leader alone: the high watermark follows its appends', () => {
  const { state } = leader([1]);
  assert.equal(state.leaderAppended(5), true);
  assert.equal(state.highWatermark, 5);
  assert.equal(state.recordFetch(2, 3, 5), false, 'an out-of-sync follower does not hold the HW');
});

test('a member not caught up for replica.lag.time.max.ms leaves the ISR; a caught-up replica joins it', () => {
  const { state, clock } = leader([1, 2, 3]);
  state.recordFetch(2, 0, 0);
  state.recordFetch(3, 0, 0);
  state.leaderAppended(100);
  assert.equal(state.isrChangeNeeded(LAG_MS, 100), null, 'just caught up');
  clock.advance(LAG_MS / 2);
  state.recordFetch(2, 100, 100); // replica 2 keeps up, replica 3 stops fetching
  clock.advance(LAG_MS / 2 + 1);
  assert.deepEqual(state.isrChangeNeeded(LAG_MS, 100), [1, 2]);
  assert.equal(state.setIsr([1, 2], 100), true, 'without 3 the HW moves to 100');
  assert.equal(state.highWatermark, 100);
  // Replica 3 comes back behind the HW: not yet; at the HW: joins.
  state.recordFetch(3, 50, 100);
  assert.equal(state.isrChangeNeeded(LAG_MS, 100), null);
  state.recordFetch(3, 100, 100);
  assert.deepEqual(state.isrChangeNeeded(LAG_MS, 100), [1, 2, 3]);
});

test('a follower that fetches steadily but never reaches the log end stays in sync while it reaches the previous fetch end', () => {
  const { state, clock } = leader([1, 2]);
  let leo = 0;
  state.recordFetch(2, 0, leo);
  for (let i = 0; i < 30; i++) {
    clock.advance(1000);
    const fetchOffset = leo; // it has what the leader had at its previous fetch
    leo += 10; // the leader got more meanwhile
    state.leaderAppended(leo);
    state.recordFetch(2, fetchOffset, leo);
  }
  assert.equal(state.isrChangeNeeded(LAG_MS, leo), null);
});

test('a replica dropped from the ISR (dead broker) joins again only after a new fetch, even on an idle partition', () => {
  const { state } = leader([1, 2, 3]);
  state.leaderAppended(10);
  state.recordFetch(2, 10, 10);
  state.recordFetch(3, 10, 10);
  assert.equal(state.highWatermark, 10);
  // Broker 3 dies; the controller drops it from the ISR. Its last offset equals the (idle) HW.
  state.setIsr([1, 2], 10);
  assert.equal(state.isrChangeNeeded(LAG_MS, 10), null, 'not proposed back without fetching');
  state.recordFetch(3, 10, 10); // it restarted and fetches again
  assert.deepEqual(state.isrChangeNeeded(LAG_MS, 10), [1, 2, 3]);
});

test('expansion waits for the start of the leader epoch', () => {
  const { state } = leader([1], 0, 50);
  state.leaderAppended(60);
  state.recordFetch(2, 40, 60);
  assert.equal(state.isrChangeNeeded(LAG_MS, 60), null, 'below the epoch start offset');
  state.recordFetch(2, 60, 60);
  assert.deepEqual(state.isrChangeNeeded(LAG_MS, 60), [1, 2]);
});

test('commit waiters settle in offset order as the high watermark passes them, or all fail', () => {
  const q = new CommitWaiters();
  const got: string[] = [];
  const w = (name: string, requiredOffset: number) => ({ requiredOffset, settle: (e: number | null) => got.push(`${name}:${e}`) });
  q.add(w('a', 5), 0);
  q.add(w('b', 10), 0);
  const c = w('c', 20);
  q.add(c, 0);
  q.add(w('now', 3), 4);
  assert.deepEqual(got, ['now:null']);
  q.advance(9);
  assert.deepEqual(got, ['now:null', 'a:null']);
  assert.equal(q.remove(c), true);
  q.advance(12);
  assert.deepEqual(got, ['now:null', 'a:null', 'b:null']);
  q.add(w('d', 30), 12);
  q.failAll(6);
  assert.deepEqual(got, ['now:null', 'a:null', 'b:null', 'd:6']);
  assert.equal(q.size, 0);
});

test('a caught-up replica joins the ISR only when its broker is eligible (registered)', () => {
  const { state } = leader([1, 2]);
  state.recordFetch(2, 10, 10);
  state.recordFetch(3, 10, 10);
  assert.equal(state.isrChangeNeeded(LAG_MS, 10, (id) => id !== 3), null, 'broker 3 unregistered: no change');
  assert.deepEqual(state.isrChangeNeeded(LAG_MS, 10, () => true), [1, 2, 3]);
});

test('a pending ISR expansion holds the high watermark for the new member too (KIP-497 maximal ISR) until answered', () => {
  const { state } = leader([1, 2]);
  assert.equal(state.recordFetch(2, 10, 10), true);
  assert.equal(state.recordFetch(3, 10, 10), false, 'replica 3 caught up but not in the ISR');
  assert.equal(state.highWatermark, 10);
  // The leader proposes [1,2,3]; etcd may have committed it (and a controller may elect 3) before
  // this leader hears back, so from now on its acknowledgements need replica 3 as well.
  state.setPendingIsr([1, 2, 3], 10);
  assert.deepEqual(state.pendingIsr, [1, 2, 3]);
  assert.equal(state.leaderAppended(15), false);
  assert.equal(state.recordFetch(2, 15, 15), false, 'replica 3 (pending member) has not fetched 15 yet');
  assert.equal(state.highWatermark, 10);
  assert.equal(state.recordFetch(3, 15, 15), true);
  assert.equal(state.highWatermark, 15);
  // The metadata answers: the pending proposal is settled.
  state.setIsr([1, 2, 3], 15);
  assert.equal(state.pendingIsr, null);
  // A refused proposal (null) lets the committed ISR alone decide again.
  state.setIsr([1, 2], 15);
  state.setPendingIsr([1, 2, 3], 15);
  state.leaderAppended(20);
  assert.equal(state.recordFetch(2, 20, 20), false);
  assert.equal(state.setPendingIsr(null, 20), true, 'refused: the HW follows the committed ISR');
  assert.equal(state.highWatermark, 20);
});
