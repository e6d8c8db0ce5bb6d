/**
 * Join-phase timing of classic groups, driven in memory with a manual clock (no sockets, no
 * sleeps): the state machine in src/group/join.ts + rebalance.ts against Kafka's rules.
 *   - A group leaving Empty waits group.initial.rebalance.delay.ms before answering anyone, at any
 *     generation: static members restarting together after their sessions expired (or after they
 *     left) land in one generation, not one generation each.
 *   - The initial delay is extended while new members keep arriving, up to the rebalance timeout.
 *   - Any other rebalance ends as soon as every known member has rejoined, or at the rebalance
 *     timeout (members that did not rejoin: dynamic ones are dropped, static ones stay).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { log } from '../../src/common/logger.js';
import { ClassicGroup, GroupState } from '../../src/group/group.js';
import { joinGroup, type JoinRequest } from '../../src/group/join.js';
import type { JoinResult } from '../../src/group/member.js';
import { leaveGroup, syncGroup } from '../../src/group/membership.js';
import type { GroupRuntime, GroupSettings } from '../../src/group/runtime.js';
import { ManualScheduler } from '../../src/group/scheduler.js';

const DELAY_MS = 100;
const REBALANCE_TIMEOUT_MS = 1000;
const SESSION_TIMEOUT_MS = 6000;

function runtime(): { rt: GroupRuntime; clock: ManualScheduler } {
  const clock = new ManualScheduler();
  const settings: GroupSettings = {
    initialRebalanceDelayMs: DELAY_MS,
    minSessionTimeoutMs: 1000,
    maxSessionTimeoutMs: 60_000,
    maxGroupSize: 100,
    offsetMetadataMaxBytes: 4096,
    offsetsRetentionMs: 7 * 24 * 3600 * 1000,
    newMemberJoinTimeoutMs: 300_000,
  };
  return { rt: { scheduler: clock, logger: log, settings, write: (_groupId, _records, done) => done(ErrorCode.NONE) }, clock };
}

/** One JoinGroup; `answer` is set once the coordinator responds. */
class Join {
  answer: JoinResult | null = null;
  constructor(rt: GroupRuntime, group: ClassicGroup, instanceId: string | null, memberId = '') {
    const req: JoinRequest = {
      groupId: group.groupId,
      memberId,
      groupInstanceId: instanceId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0, 1]) }],
      clientId: instanceId ?? 'dyn',
      clientHost: '/127.0.0.1',
      apiVersion: 5,
      reason: null,
    };
    joinGroup(rt, group, req, (r) => (this.answer = r));
  }

  get result(): JoinResult {
    assert.ok(this.answer, 'JoinGroup not answered yet');
    return this.answer;
  }
}

/** Completes the sync phase (the leader assigns nothing in particular) so the group is Stable. */
function syncAll(rt: GroupRuntime, group: ClassicGroup, joins: Join[]): void {
  const leader = joins.find((j) => j.result.memberId === j.result.leader);
  assert.ok(leader);
  for (const j of [leader, ...joins.filter((x) => x !== leader)]) {
    const assignments = j === leader ? joins.map((x) => ({ memberId: x.result.memberId, assignment: Buffer.from([1]) })) : [];
    syncGroup(rt, group, { memberId: j.result.memberId, groupInstanceId: group.members.get(j.result.memberId)?.groupInstanceId ?? null, generationId: j.result.generationId, protocolType: 'consumer', protocolName: 'range', assignments }, () => undefined);
  }
  assert.equal(group.state, GroupState.Stable);
}

/** A group that had generations before and is Empty again: two static members joined, synced and left. */
function reusedEmptyGroup(rt: GroupRuntime, clock: ManualScheduler): ClassicGroup {
  const group = new ClassicGroup('g', clock.now());
  const a = new Join(rt, group, 's1');
  const b = new Join(rt, group, 's2');
  clock.advance(DELAY_MS * 2); // s2 arrived during the delay: it is extended once
  syncAll(rt, group, [a, b]);
  const out = leaveGroup(rt, group, [
    { memberId: a.result.memberId, groupInstanceId: 's1', reason: null },
    { memberId: b.result.memberId, groupInstanceId: 's2', reason: null },
  ]);
  assert.deepEqual(out.map((o) => o.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
  assert.equal(group.state, GroupState.Empty);
  assert.equal(group.generationId, 2);
  return group;
}

test('a fresh group: two static members joining 50 ms apart share one generation after the initial delay', () => {
  const { rt, clock } = runtime();
  const group = new ClassicGroup('g', clock.now());
  const a = new Join(rt, group, 's1');
  clock.advance(50);
  const b = new Join(rt, group, 's2');
  assert.equal(a.answer, null);
  assert.equal(b.answer, null);
  clock.advance(DELAY_MS * 2);
  assert.equal(a.result.generationId, 1);
  assert.equal(b.result.generationId, 1);
  assert.equal(group.size, 2);
});

test('an Empty group with earlier generations: static members joining 50 ms apart share one generation (initial delay applies again)', () => {
  const { rt, clock } = runtime();
  const group = reusedEmptyGroup(rt, clock);
  const a = new Join(rt, group, 's1');
  assert.equal(a.answer, null, 'the first member must wait group.initial.rebalance.delay.ms, not complete the join phase alone');
  clock.advance(50);
  const b = new Join(rt, group, 's2');
  assert.equal(b.answer, null);
  clock.advance(DELAY_MS * 2);
  assert.equal(a.result.errorCode, ErrorCode.NONE);
  assert.equal(b.result.errorCode, ErrorCode.NONE);
  assert.equal(a.result.generationId, 3);
  assert.equal(b.result.generationId, 3);
  assert.equal(a.result.leader, b.result.leader);
  assert.equal(group.state, GroupState.CompletingRebalance);
  assert.equal(group.generationId, 3);
});

test('an Empty group with earlier generations: the initial delay is extended while members keep arriving', () => {
  const { rt, clock } = runtime();
  const group = reusedEmptyGroup(rt, clock);
  const joins = [new Join(rt, group, 's1')];
  // Each new member arrives before the current delay runs out: Kafka extends the delay each time
  // (by at most the delay, within the rebalance timeout).
  for (const id of ['s2', 's3', 's4']) {
    clock.advance(DELAY_MS - 10);
    joins.push(new Join(rt, group, id));
    assert.ok(joins.every((j) => j.answer === null), `nobody answered while ${id} joins at +${clock.now()}`);
  }
  clock.advance(DELAY_MS * 2);
  assert.deepEqual(joins.map((j) => j.result.generationId), [3, 3, 3, 3]);
  assert.equal(group.size, 4);
});

test('the initial delay is bounded by the rebalance timeout', () => {
  const { rt, clock } = runtime();
  const group = reusedEmptyGroup(rt, clock);
  const start = clock.now();
  const joins = [new Join(rt, group, 'first')];
  // A new member every 90 ms, forever: the join phase still ends within the rebalance timeout (+ one delay).
  for (let i = 0; joins[0]?.answer === null && i < 100; i++) {
    clock.advance(DELAY_MS - 10);
    if (joins[0]?.answer === null) joins.push(new Join(rt, group, `m${i}`));
  }
  const first = joins[0] as Join;
  assert.ok(first.answer, 'the join phase ended');
  assert.ok(clock.now() - start <= REBALANCE_TIMEOUT_MS + DELAY_MS, `ended after ${clock.now() - start} ms`);
  assert.equal(first.result.generationId, 3);
});

test('a rebalance of a Stable group ends as soon as every static member has rejoined (no initial delay)', () => {
  const { rt, clock } = runtime();
  const group = new ClassicGroup('g', clock.now());
  const a = new Join(rt, group, 's1');
  const b = new Join(rt, group, 's2');
  clock.advance(DELAY_MS * 2); // s2 arrived during the delay: it is extended once
  syncAll(rt, group, [a, b]);
  // A third static member joins: the known members must rejoin; the phase ends when the last one does.
  const c = new Join(rt, group, 's3');
  assert.equal(group.state, GroupState.PreparingRebalance);
  clock.advance(30);
  const a2 = new Join(rt, group, 's1', a.result.memberId);
  clock.advance(30);
  assert.equal(c.answer, null);
  assert.equal(a2.answer, null);
  const b2 = new Join(rt, group, 's2', b.result.memberId);
  for (const j of [a2, b2, c]) assert.equal(j.result.generationId, 2);
});

test('a rebalance of a Stable group: a static member that does not rejoin stays a member after the rebalance timeout', () => {
  const { rt, clock } = runtime();
  const group = new ClassicGroup('g', clock.now());
  const a = new Join(rt, group, 's1');
  const b = new Join(rt, group, 's2');
  clock.advance(DELAY_MS * 2); // s2 arrived during the delay: it is extended once
  syncAll(rt, group, [a, b]);
  const a2 = new Join(rt, group, 's1', a.result.memberId); // the leader rejoins: a rebalance
  clock.advance(REBALANCE_TIMEOUT_MS - 1);
  assert.equal(a2.answer, null);
  clock.advance(1);
  assert.equal(a2.result.generationId, 2);
  assert.equal(group.size, 2, 's2 (static) is still a member');
  assert.ok(group.staticMemberId('s2'));
});
