/**
 * ShareGroupHeartbeat's state machine (group/share/share-groups.ts) on the group coordinator in
 * memory (its records replayed, and reloaded by a new coordinator) and a manual scheduler: join,
 * the assignment (every partition of the subscribed topics to every member), epochs, fencing,
 * leaving, session expiry, the size limit and a group id of another kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCoordinator, OFFSETS_TOPIC } from '../../../src/group/coordinator.js';
import type { GroupCoordinatorSettings } from '../../../src/group/runtime.js';
import { ShareGroups, type ShareHeartbeat } from '../../../src/group/share/share-groups.js';
import { uuidFromBytes } from '../../../src/protocol/primitives/uuid.js';
import { MemoryCluster } from '../../helpers/memory-coordinator-deps.js';

/** Topic ids (Kafka UUIDs) of the test topics. */
const ID: Record<string, string> = { a: uuidFromBytes(Buffer.alloc(16, 0xa)), b: uuidFromBytes(Buffer.alloc(16, 0xb)) };

const SETTINGS: GroupCoordinatorSettings = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  newMemberJoinTimeoutMs: 300_000,
  offsetsTopicNumPartitions: 3,
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  offsetsRetentionCheckIntervalMs: 600_000,
};

interface Setup {
  groups: ShareGroups;
  coordinator: GroupCoordinator;
  cluster: MemoryCluster;
  partitions: Map<string, number>;
  /** The share-partitions whose state DeleteGroups deleted, as "group topicId:partitions". */
  deleted: string[];
  /** A new coordinator and share groups over the same `__consumer_offsets` log (a restart). */
  restart(): Setup;
}

function setup(opts: { maxSize?: number; others?: string[]; persisted?: string[] } = {}, cluster = new MemoryCluster(), partitions = new Map([['a', 2], ['b', 1]])): Setup {
  const coordinator = new GroupCoordinator(cluster.deps(SETTINGS));
  const deleted: string[] = [];
  const groups = new ShareGroups({
    host: coordinator,
    scheduler: cluster.scheduler,
    logger: coordinator.logger,
    topics: { idOf: (n) => (partitions.has(n) ? ID[n] : undefined), partitionsOf: (n) => partitions.get(n), names: () => partitions.keys() },
    settings: { enabled: true, heartbeatIntervalMs: 5000, sessionTimeoutMs: 45000, maxSize: opts.maxSize ?? 200 },
    otherGroupExists: (id) => (opts.others ?? []).includes(id),
    persistedGroupIds: () => opts.persisted ?? [],
    deleteState: (groupId, initialized) => {
      for (const t of initialized) deleted.push(`${groupId} ${t.topicId}:${t.partitions.join(',')}`);
      return Promise.resolve();
    },
  });
  coordinator.start();
  return {
    groups,
    coordinator,
    cluster,
    partitions,
    deleted,
    restart: () => {
      coordinator.shutdown();
      return setup(opts, cluster, partitions);
    },
  };
}

const hb = (memberId: string, memberEpoch: number, topics: string[] | null = null, groupId = 'g'): ShareHeartbeat => ({ groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: topics, clientId: 'c', clientHost: '/127.0.0.1' });
const codeOf = async (p: Promise<unknown>): Promise<number | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
};

test('members join with their subscription and get every partition of it; epochs move with membership', async () => {
  const { groups, partitions } = setup();
  const a = await groups.heartbeat(hb('m1', 0, ['a', 'b']));
  assert.equal(a.memberEpoch, 1);
  assert.deepEqual([...(a.assignment ?? [])], [[ID.a, [0, 1]], [ID.b, [0]]]);
  const b = await groups.heartbeat(hb('m2', 0, ['a']));
  assert.equal(b.memberEpoch, 2, 'a join bumps the group epoch once');
  assert.deepEqual([...(b.assignment ?? [])], [[ID.a, [0, 1]]]);
  const again = await groups.heartbeat(hb('m1', 1));
  assert.equal(again.memberEpoch, 2, 'm1 catches up with the group epoch');
  assert.equal((await groups.heartbeat(hb('m1', 2))).assignment, null, 'no assignment when nothing changed');
  partitions.set('a', 3);
  const grown = await groups.heartbeat(hb('m1', 2));
  assert.equal(grown.memberEpoch, 3, 'a new partition bumps the group epoch');
  assert.deepEqual([...(grown.assignment ?? [])], [[ID.a, [0, 1, 2]], [ID.b, [0]]]);
  assert.equal(groups.group('g')?.state, 'Stable');
});

test('share group records → replay → reload: a restarted coordinator has the group, its epochs, members and assignments; members resume with their id and epoch, and those that do not are removed after their session timeout', async () => {
  const first = setup();
  await first.groups.heartbeat(hb('m1', 0, ['a', 'b']));
  await first.groups.heartbeat(hb('m2', 0, ['a']));
  await first.groups.heartbeat(hb('m1', 1));
  const before = first.groups.group('g');
  assert.ok(before);
  const snapshot = (g: NonNullable<typeof before>): unknown => ({
    epoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    members: [...g.members.values()].map((m) => [m.memberId, m.memberEpoch, m.subscribedTopicNames, [...m.assignment]]).sort(),
  });
  const expected = snapshot(before);
  assert.deepEqual(expected, { epoch: 2, assignmentEpoch: 2, members: [['m1', 2, ['a', 'b'], [[ID.a, [0, 1]], [ID.b, [0]]]], ['m2', 2, ['a'], [[ID.a, [0, 1]]]]] });
  const keyVersions = first.cluster.topics.get(OFFSETS_TOPIC)?.flatMap((p) => p.decoded().flatMap((b) => b.records.map((r) => r.key?.readInt16BE(0))));
  assert.deepEqual([...new Set(keyVersions)].sort(), [10, 11, 12, 13, 14, 15], 'Kafka 4.1 share group record types');

  const second = first.restart();
  const after = second.groups.group('g');
  assert.ok(after);
  assert.deepEqual(snapshot(after), expected, 'the same group after replay');
  const resumed = await second.groups.heartbeat(hb('m1', 2));
  assert.equal(resumed.memberId, 'm1');
  assert.equal(resumed.memberEpoch, 2, 'm1 keeps its epoch');
  assert.equal(resumed.assignment, null, 'and its assignment');
  second.cluster.scheduler.advance(30_000);
  await second.groups.heartbeat(hb('m1', 2));
  second.cluster.scheduler.advance(20_000);
  assert.deepEqual([...(second.groups.group('g')?.members.keys() ?? [])], ['m1'], 'm2 did not heartbeat within its session timeout after the load');
  assert.equal(second.groups.group('g')?.groupEpoch, 3);
  await second.groups.heartbeat(hb('m1', 2));
  const third = second.restart();
  assert.deepEqual([...(third.groups.group('g')?.members.keys() ?? [])], ['m1'], 'the removal is durable too');
  third.coordinator.shutdown();
});

test('heartbeat errors: fenced epoch, unknown member, join without topics, group of another kind, size limit', async () => {
  const { groups } = setup({ maxSize: 1, others: ['classic-g'] });
  await groups.heartbeat(hb('m1', 0, ['a']));
  assert.equal(await codeOf(groups.heartbeat(hb('m1', 7))), 110, 'FENCED_MEMBER_EPOCH');
  assert.equal(await codeOf(groups.heartbeat(hb('nobody', 1))), 25, 'UNKNOWN_MEMBER_ID');
  assert.equal(await codeOf(groups.heartbeat(hb('m2', 0, null))), 42, 'INVALID_REQUEST');
  assert.equal(await codeOf(groups.heartbeat(hb('m2', 0, ['a']))), 81, 'GROUP_MAX_SIZE_REACHED');
  assert.equal(await codeOf(groups.heartbeat(hb('m1', 0, ['a'], 'classic-g'))), 69, 'GROUP_ID_NOT_FOUND');
});

test('a member leaves with epoch -1, or is removed when its session times out', async () => {
  const { groups, cluster } = setup({ persisted: ['old-g'] });
  const scheduler = cluster.scheduler;
  await groups.heartbeat(hb('m1', 0, ['a']));
  await groups.heartbeat(hb('m2', 0, ['a']));
  assert.equal((await groups.heartbeat(hb('m1', -1))).memberEpoch, -1);
  assert.equal(groups.group('g')?.members.size, 1);
  scheduler.advance(44_000);
  assert.equal(groups.group('g')?.members.size, 1);
  scheduler.advance(2_000);
  assert.equal(groups.group('g')?.members.size, 0, 'm2 missed its session timeout');
  assert.equal(groups.group('g')?.state, 'Empty');
  assert.deepEqual(groups.all().map((g) => [g.groupId, g.state]).sort(), [['g', 'Empty'], ['old-g', 'Empty']], 'a group known only from its persisted state is listed Empty');
});

test('DeleteGroups of a share group: NON_EMPTY_GROUP while it has members; once Empty its share-partitions state is deleted and its records tombstoned, so a reload does not bring it back', async () => {
  const s = setup();
  const a = await s.groups.heartbeat(hb('m1', 0, ['a', 'b']));
  assert.equal(await s.groups.delete('g'), 68, 'NON_EMPTY_GROUP');
  assert.deepEqual(s.deleted, []);
  assert.equal(await s.groups.delete('nope'), 69, 'GROUP_ID_NOT_FOUND');
  await s.groups.heartbeat(hb(a.memberId, -1));
  assert.equal(s.groups.group('g')?.state, 'Empty');
  assert.equal(await s.groups.delete('g'), 0);
  assert.deepEqual(s.deleted.sort(), [`g ${ID.a}:0,1`, `g ${ID.b}:0`].sort());
  assert.equal(s.groups.group('g'), undefined);
  assert.equal(await s.groups.delete('g'), 69, 'deleted already');
  const again = s.restart();
  assert.equal(again.groups.group('g'), undefined, 'the tombstones are replayed on load');
  // The id is free: a new group of that id starts at epoch 1.
  assert.equal((await again.groups.heartbeat(hb('m2', 0, ['a']))).memberEpoch, 1);
});
