/**
 * The etcd test helper itself: without an etcd binary it fails with a message saying how to
 * install it (cluster tests must never be skipped silently); with one, startEtcd() gives a
 * healthy etcd and stop() kills it and removes its data dir.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { etcdBinary, startEtcd } from '../helpers/etcd.js';

test('without an etcd binary the helper fails with a clear message', () => {
  assert.throws(() => etcdBinary(['/nonexistent/etcd']), /etcd is not installed.*etcd-server/);
});

test('startEtcd answers on its endpoint and stop() ends it', async () => {
  const etcd = await startEtcd();
  console.log(`# etcd started in ${etcd.startMs} ms`);
  try {
    const res = await fetch(`${etcd.endpoints}/health`);
    assert.equal(res.ok, true);
  } finally {
    await etcd.stop();
  }
  await assert.rejects(fetch(`${etcd.endpoints}/health`, { signal: AbortSignal.timeout(2000) }));
  assert.equal(existsSync(etcd.dir), false, 'the data dir is removed');
});
