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
import { applyUpdate, normalise, updateBetween } from '../../src/broker/share/share-state-merge.js';
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

test('ShareUpdate records: a write stores the changed batches only, a snapshot every updatesPerSnapshot updates; a reload replays snapshot + updates to the same state; the log below the oldest live snapshot is pruned', async () => {
  const cluster = new MemoryCluster();
  const s = store(cluster, 3);
  await s.initialize(KEY, 0, 0);
  const states: { startOffset: number; batches: { firstOffset: number; lastOffset: number; deliveryState: number; deliveryCount: number }[] }[] = [];
  // Record i is acknowledged (2) while record 0 stays in flight: the state grows one batch per write.
  for (let i = 1; i <= 8; i++) {
    const next = { startOffset: 0, batches: [{ firstOffset: 0, lastOffset: 0, deliveryState: 0, deliveryCount: 1 }, ...Array.from({ length: i }, (_, k) => ({ firstOffset: k + 1, lastOffset: k + 1, deliveryState: (k + 1) % 2 === 0 ? 2 : 4, deliveryCount: 1 }))] };
    states.push(next);
    await s.write(KEY, () => next, 0);
    assert.deepEqual(s.read(KEY), next);
  }
  const p = cluster.partition(SHARE_STATE_TOPIC, 0);
  assert.ok(p !== undefined);
  const kinds = p.decoded().flatMap((b) => b.records.map((r) => (r.key === null ? '?' : r.key.readInt16BE(0) === 0 ? 'S' : 'U')));
  // initialize (snapshot), 3 updates, a snapshot, 3 updates, a snapshot.
  assert.deepEqual(kinds.join(''), 'SUUUSUUUS');
  assert.equal(p.logStartOffset, 8, 'pruned below the last snapshot (the only live key)');
  assert.deepEqual(store(cluster, 3).read(KEY), states[states.length - 1], 'replayed from the pruned log start');
  p.logStartOffset = 0; // replay the whole log: every prefix replays to the same state
  const again = store(cluster, 3);
  assert.deepEqual(again.read(KEY), states[states.length - 1]);
  // A write that drops in-flight records above the start offset cannot be an update: a snapshot.
  await s.write(KEY, () => ({ startOffset: 0, batches: [{ firstOffset: 0, lastOffset: 0, deliveryState: 0, deliveryCount: 2 }] }), 0);
  assert.deepEqual(store(cluster, 3).read(KEY), { startOffset: 0, batches: [{ firstOffset: 0, lastOffset: 0, deliveryState: 0, deliveryCount: 2 }] });
});

test('applyUpdate over updateBetween gives the next state, for random states', () => {
  let seed = 42;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const randomState = (): { startOffset: number; batches: { firstOffset: number; lastOffset: number; deliveryState: number; deliveryCount: number }[] } => {
    const start = rnd(5);
    const batches = [];
    let o = start + rnd(3);
    while (o < 40 && batches.length < 8) {
      const len = 1 + rnd(5);
      batches.push({ firstOffset: o, lastOffset: o + len - 1, deliveryState: [0, 2, 4][rnd(3)] as number, deliveryCount: 1 + rnd(2) });
      o += len + rnd(2);
    }
    return { startOffset: start, batches };
  };
  let updates = 0;
  for (let i = 0; i < 2000; i++) {
    const prior = normalise(randomState());
    const next = normalise(randomState());
    const u = updateBetween(prior, next);
    if (u === null) continue;
    updates++;
    assert.deepEqual(applyUpdate(prior, u.startOffset, u.batches), next);
  }
  assert.ok(updates > 100, `${updates} states reachable by an update`);
});
