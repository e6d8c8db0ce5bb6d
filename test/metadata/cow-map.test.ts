/**
 * CowMap (src/metadata/cow-map.ts) behaves as a Map through forks: the same answers, size and
 * iteration order as a plain Map given the same operations, and a fork never changes its source.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CowMap } from '../../src/metadata/cow-map.js';

/** A deterministic pseudo-random sequence (xorshift), so a failure replays. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('random set/delete/fork sequences give the same contents and order as a Map', () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const r = rng(seed);
    let cow = CowMap.fork(new Map<number, string>());
    let ref = new Map<number, string>();
    const snapshots: [CowMap<number, string>, [number, string][]][] = [];
    for (let step = 0; step < 4000; step++) {
      const k = Math.floor(r() * 300);
      const op = r();
      if (op < 0.5) {
        cow.set(k, `v${step}`);
        ref.set(k, `v${step}`);
      } else if (op < 0.8) {
        assert.equal(cow.delete(k), ref.delete(k), `delete ${k} at step ${step} (seed ${seed})`);
      } else if (op < 0.97) {
        snapshots.push([cow, [...ref]]);
        cow = CowMap.fork(cow);
        ref = new Map(ref);
      } else {
        assert.equal(cow.has(k), ref.has(k));
        assert.equal(cow.get(k), ref.get(k));
      }
      assert.equal(cow.size, ref.size, `size at step ${step} (seed ${seed})`);
    }
    assert.deepEqual([...cow], [...ref]);
    assert.deepEqual([...cow.keys()], [...ref.keys()]);
    assert.deepEqual([...cow.values()], [...ref.values()]);
    // Every earlier fork still holds what it held when it was forked.
    for (const [snap, expected] of snapshots) {
      assert.deepEqual([...snap], expected);
      assert.equal(snap.size, expected.length);
    }
  }
});

test('a deleted and re-added key moves to the end, as in a Map; clear empties only the fork', () => {
  const base = new Map([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  const m = CowMap.fork(base);
  m.set('b', 20);
  assert.deepEqual([...m], [['a', 1], ['b', 20], ['c', 3]]);
  m.delete('a');
  m.set('a', 10);
  assert.deepEqual([...m], [['b', 20], ['c', 3], ['a', 10]]);
  const f = CowMap.fork(m);
  f.clear();
  assert.equal(f.size, 0);
  assert.deepEqual([...f], []);
  assert.deepEqual([...m], [['b', 20], ['c', 3], ['a', 10]]);
  assert.deepEqual([...base], [['a', 1], ['b', 2], ['c', 3]]);
  const seen: string[] = [];
  m.forEach((v, k) => seen.push(`${k}=${v}`));
  assert.deepEqual(seen, ['b=20', 'c=3', 'a=10']);
});
