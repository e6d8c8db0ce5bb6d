/**
 * The built-in replica selectors (KIP-392) by Kafka's rules: the rack-aware one prefers the
 * leader when it is in the client's rack, else the most caught-up replica of that rack (log end
 * offset, then time since last caught up, then broker id), else the leader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEADER_SELECTOR, RACK_AWARE_SELECTOR, leaderSelector, rackAwareSelector, replicaSelectorFor, type ReplicaView } from '../../src/replication/replica-selector.js';

const r = (id: number, rack: string | null, logEndOffset = 10, timeSinceLastCaughtUpMs = 0): ReplicaView => ({ id, rack, logEndOffset, timeSinceLastCaughtUpMs });

test('rack-aware selector: the leader for no rack, an unknown rack or the leader\'s rack; else the best replica of the client\'s rack', () => {
  const leader = r(1, 'a');
  const replicas = [leader, r(2, 'b', 8), r(3, 'b', 10, 50), r(4, 'b', 10, 20), r(5, 'c')];
  const pick = (rack: string): number => rackAwareSelector(rack, { leader, replicas }).id;
  assert.equal(pick(''), 1);
  assert.equal(pick('z'), 1);
  assert.equal(pick('a'), 1);
  assert.equal(pick('c'), 5);
  // Largest log end offset first (3 and 4 beat 2), then the shorter time since caught up (4).
  assert.equal(pick('b'), 4);
  // Equal on both: the larger broker id.
  assert.equal(rackAwareSelector('b', { leader, replicas: [leader, r(6, 'b'), r(7, 'b')] }).id, 7);
  // A broker without a rack matches no client rack.
  assert.equal(rackAwareSelector('b', { leader, replicas: [leader, r(8, null)] }).id, 1);
});

test('replica.selector.class names the built-in selectors; none means no selector', () => {
  assert.equal(replicaSelectorFor(null), null);
  assert.equal(replicaSelectorFor(''), null);
  assert.equal(replicaSelectorFor(RACK_AWARE_SELECTOR), rackAwareSelector);
  assert.equal(replicaSelectorFor(LEADER_SELECTOR), leaderSelector);
  assert.equal(leaderSelector('b', { leader: r(1, 'a'), replicas: [r(1, 'a'), r(2, 'b')] }).id, 1);
  assert.throws(() => replicaSelectorFor('com.example.Mine'), /not one of/);
});
