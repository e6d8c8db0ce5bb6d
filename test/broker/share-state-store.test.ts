/**
 * The share coordinator (broker/share/share-state-store.ts) in memory (CoordinatorDeps from
 * test/helpers/memory-coordinator-deps.ts): writes and reads carry the share-partition's leader
 * epoch, an older epoch is FENCED_LEADER_EPOCH, a read with a newer epoch records it (so the
 * previous leader is fenced from then on); keys of a `__share_group_state` partition led
 * elsewhere are NOT_COORDINATOR; becoming leader of a partition replays it, losing it forgets it.
 * InitializeShareGroupState / DeleteShareGroupState / ReadShareGroupStateSummary on the store:
 * only an initialised share-partition is written, a deleted one stays deleted across a reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/common/error-codes.js';
import { SHARE_STATE_TOPIC, ShareStateStore } from '../../src/broker/share/share-state-store.js';
import { uuidFromBytes } from '../../src/protocol/primitives/uuid.js';
import { MemoryCluster } from '../helpers/memory-coordinator-deps.js';

const KEY = { groupId: 'g', topicId: uuidFromBytes(Buffer.alloc(16, 7)), partition: 0 };
const STATE = { startOffset: 5, batches: [{ firstOffset: 5, lastOffset: 9, deliveryState: 0, deliveryCount: 2 }] };

function store(cluster: MemoryCluster, updatesPerSnapshot = 500): ShareStateStore {
  const s = new ShareStateStore(cluster.deps({ numPartitions: 1, segmentBytes: 1 << 20, updatesPerSnapshot }));
  s.load();
  return s;
}

const codeOf = async (p: Promise<unknown>): Promise<number | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
};

test('leader epochs fence a deposed share-partition leader: older writes and reads are FENCED_LEADER_EPOCH, a newer read records its epoch', async () => {
  const cluster = new MemoryCluster();
  const s = store(cluster);
  await s.initialize(KEY, 0, 0);
  await s.write(KEY, () => STATE, 3);
  assert.deepEqual(await s.readForLeader(KEY, 3), STATE);
  assert.equal(await codeOf(s.write(KEY, () => ({ startOffset: 9, batches: [] }), 2)), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(await codeOf(s.readForLeader(KEY, 2)), ErrorCode.FENCED_LEADER_EPOCH);
  // The next leader (epoch 4) reads: from then on the epoch-3 leader cannot write.
  assert.deepEqual(await s.readForLeader(KEY, 4), STATE);
  assert.equal(await codeOf(s.write(KEY, () => ({ startOffset: 9, batches: [] }), 3)), ErrorCode.FENCED_LEADER_EPOCH);
  assert.deepEqual(s.read(KEY), STATE, 'nothing a fenced leader wrote is kept');
  await s.write(KEY, () => ({ startOffset: 10, batches: [] }), 4);
  // A restarted coordinator replays the snapshots, leader epoch included.
  const again = store(cluster);
  assert.deepEqual(again.read(KEY), { startOffset: 10, batches: [] });
  assert.equal(await codeOf(again.write(KEY, () => STATE, 3)), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(await again.readForLeader({ ...KEY, partition: 1 }, 0), undefined, 'a share-partition without state');
});

test('the coordinator serves only the state partitions it leads: NOT_COORDINATOR elsewhere; leadership gained replays, lost forgets', async () => {
  const cluster = new MemoryCluster();
  const s = store(cluster);
  await s.initialize(KEY, 0, 0);
  await s.write(KEY, () => STATE, 0);
  cluster.notLed.add(`${SHARE_STATE_TOPIC}-0`);
  s.onBecameFollower(0);
  assert.equal(s.read(KEY), undefined, 'forgotten once another broker leads the partition');
  assert.equal(await codeOf(s.readForLeader(KEY, 0)), ErrorCode.NOT_COORDINATOR);
  assert.equal(await codeOf(s.write(KEY, () => STATE, 0)), ErrorCode.NOT_COORDINATOR);
  cluster.notLed.delete(`${SHARE_STATE_TOPIC}-0`);
  s.onBecameLeader(0);
  assert.deepEqual(await s.readForLeader(KEY, 0), STATE, 'replayed when the leadership comes back');
});

test('initialize, summary and delete: a write needs an initialised share-partition (FENCED_STATE_EPOCH otherwise); an older state epoch is fenced; a deleted state stays deleted across a reload', async () => {
  const cluster = new MemoryCluster();
  const s = store(cluster);
  assert.equal(await codeOf(s.write(KEY, () => STATE, 0)), ErrorCode.FENCED_STATE_EPOCH, 'never initialised');
  await s.initialize(KEY, 2, 5);
  assert.deepEqual(s.readSummary(KEY, -1), { stateEpoch: 2, startOffset: 5 });
  await s.write(KEY, () => STATE, 1);
  assert.deepEqual(s.readSummary(KEY, 1), { stateEpoch: 2, startOffset: 5 }, 'a write keeps the state epoch');
  assert.throws(() => s.readSummary(KEY, 0), (e: { code?: number }) => e.code === ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(await codeOf(s.initialize(KEY, 1, 0)), ErrorCode.FENCED_STATE_EPOCH);
  await s.deleteState(KEY);
  await s.deleteState(KEY);
  assert.equal(s.readSummary(KEY, -1), undefined);
  assert.equal(await codeOf(s.write(KEY, () => STATE, 1)), ErrorCode.FENCED_STATE_EPOCH, 'a deleted share-partition is not written again');
  const again = store(cluster);
  assert.equal(again.read(KEY), undefined, 'the tombstone is replayed');
  assert.equal(await again.readForLeader(KEY, 1), undefined);
});
