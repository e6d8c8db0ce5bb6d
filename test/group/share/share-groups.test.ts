/**
 * ShareGroupHeartbeat's state machine (group/share/share-groups.ts) on a manual scheduler: join,
 * the assignment (every partition of the subscribed topics to every member), epochs, fencing,
 * leaving, session expiry, the size limit and a group id of another kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../src/common/scheduler.js';
import { ShareGroups, type ShareHeartbeat } from '../../../src/group/share/share-groups.js';

function setup(opts: { maxSize?: number; others?: string[]; persisted?: string[] } = {}): { groups: ShareGroups; scheduler: ManualScheduler; partitions: Map<string, number> } {
  const scheduler = new ManualScheduler();
  const partitions = new Map([['a', 2], ['b', 1]]);
  const groups = new ShareGroups({
    scheduler,
    topics: { idOf: (n) => (partitions.has(n) ? `id-${n}` : undefined), partitionsOf: (n) => partitions.get(n), names: () => partitions.keys() },
    settings: { enabled: true, heartbeatIntervalMs: 5000, sessionTimeoutMs: 45000, maxSize: opts.maxSize ?? 200 },
    otherGroupExists: (id) => (opts.others ?? []).includes(id),
    persistedGroupIds: () => opts.persisted ?? [],
  });
  return { groups, scheduler, partitions };
}

const hb = (memberId: string, memberEpoch: number, topics: string[] | null = null, groupId = 'g'): ShareHeartbeat => ({ groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: topics, clientId: 'c', clientHost: '/127.0.0.1' });
const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
};

test('members join with their subscription and get every partition of it; epochs move with membership', () => {
  const { groups, partitions } = setup();
  const a = groups.heartbeat(hb('m1', 0, ['a', 'b']));
  assert.equal(a.memberEpoch, 1);
  assert.deepEqual([...(a.assignment ?? [])], [['id-a', [0, 1]], ['id-b', [0]]]);
  const b = groups.heartbeat(hb('m2', 0, ['a']));
  assert.equal(b.memberEpoch, 2, 'a join bumps the group epoch once');
  assert.deepEqual([...(b.assignment ?? [])], [['id-a', [0, 1]]]);
  const again = groups.heartbeat(hb('m1', 1));
  assert.equal(again.memberEpoch, 2, 'm1 catches up with the group epoch');
  assert.equal(groups.heartbeat(hb('m1', 2)).assignment, null, 'no assignment when nothing changed');
  partitions.set('a', 3);
  const grown = groups.heartbeat(hb('m1', 2));
  assert.equal(grown.memberEpoch, 3, 'a new partition bumps the group epoch');
  assert.deepEqual([...(grown.assignment ?? [])], [['id-a', [0, 1, 2]], ['id-b', [0]]]);
  assert.equal(groups.group('g')?.state, 'Stable');
});

test('heartbeat errors: fenced epoch, unknown member, join without topics, group of another kind, size limit', () => {
  const { groups } = setup({ maxSize: 1, others: ['classic-g'] });
  groups.heartbeat(hb('m1', 0, ['a']));
  assert.equal(codeOf(() => groups.heartbeat(hb('m1', 7))), 110, 'FENCED_MEMBER_EPOCH');
  assert.equal(codeOf(() => groups.heartbeat(hb('nobody', 1))), 25, 'UNKNOWN_MEMBER_ID');
  assert.equal(codeOf(() => groups.heartbeat(hb('m2', 0, null))), 42, 'INVALID_REQUEST');
  assert.equal(codeOf(() => groups.heartbeat(hb('m2', 0, ['a']))), 81, 'GROUP_MAX_SIZE_REACHED');
  assert.equal(codeOf(() => groups.heartbeat(hb('m1', 0, ['a'], 'classic-g'))), 69, 'GROUP_ID_NOT_FOUND');
});

test('a member leaves with epoch -1, or is removed when its session times out', () => {
  const { groups, scheduler } = setup({ persisted: ['old-g'] });
  groups.heartbeat(hb('m1', 0, ['a']));
  groups.heartbeat(hb('m2', 0, ['a']));
  assert.equal(groups.heartbeat(hb('m1', -1)).memberEpoch, -1);
  assert.equal(groups.group('g')?.members.size, 1);
  scheduler.advance(44_000);
  assert.equal(groups.group('g')?.members.size, 1);
  scheduler.advance(2_000);
  assert.equal(groups.group('g')?.members.size, 0, 'm2 missed its session timeout');
  assert.equal(groups.group('g')?.state, 'Empty');
  assert.deepEqual(groups.all().map((g) => [g.groupId, g.state]).sort(), [['g', 'Empty'], ['old-g', 'Empty']], 'a group known only from its persisted state is listed Empty');
});
