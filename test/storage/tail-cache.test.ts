import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { TailCachePool } from '../../src/storage/tail-cache.js';
import { config, makeBatch, parseBatches, tempDirs } from './helpers.js';

const newDir = tempDirs('samsa-tail-cache-');

/** Two logs given the same leader appends: `cached` reads through a tail cache, `plain` from its files. */
function twoLogs(pool: TailCachePool, segmentBytes = 1 << 30): { cached: PartitionLog; plain: PartitionLog } {
  const cached = PartitionLog.open(newDir(), 't', 0, config({ segmentBytes }));
  const plain = PartitionLog.open(newDir(), 't', 0, config({ segmentBytes }));
  cached.useTailCache(pool);
  return { cached, plain };
}

function appendBoth(logs: { cached: PartitionLog; plain: PartitionLog }, batches: Buffer[], epoch = 3): void {
  // One append may carry several batches (a produce request's records for one partition).
  const buf = Buffer.concat(batches);
  logs.cached.appendAsLeader(Buffer.from(buf), epoch);
  logs.plain.appendAsLeader(Buffer.from(buf), epoch);
}

/** Every read a fetch could make: each offset, several byte limits and offset limits, both minOneMessage. */
function assertSameReads(cached: PartitionLog, plain: PartitionLog): void {
  const end = plain.logEndOffset;
  for (let offset = plain.logStartOffset; offset < end; offset++) {
    for (const maxBytes of [1, 100, 700, 1500, 5000, 1 << 20]) {
      for (const maxOffset of [end, Math.max(offset, end - 3), offset + 1]) {
        for (const minOne of [true, false]) {
          const a = cached.read(offset, maxBytes, maxOffset, minOne);
          const b = plain.read(offset, maxBytes, maxOffset, minOne);
          assert.equal(a.firstBatchOffset, b.firstBatchOffset, `firstBatchOffset at ${offset} ${maxBytes} ${maxOffset} ${minOne}`);
          assert.ok(a.records.equals(b.records), `records at ${offset} ${maxBytes} ${maxOffset} ${minOne}`);
        }
      }
    }
  }
}

describe('Leader tail cache (storage/tail-cache.ts)', () => {
  it('serves every read of recent appends with exactly the bytes and offsets the segment files give', () => {
    // Chunks of 4 KiB, budget 3 chunks: reads within a chunk, across chunks, and of evicted data.
    const pool = new TailCachePool(12 * 1024, 4 * 1024);
    const logs = twoLogs(pool, 6000);
    for (let i = 0; i < 40; i++) {
      const batches = Array.from({ length: (i % 3) + 1 }, (_, j) => makeBatch({ count: ((i + j) % 4) + 1, valueSize: 60 + 7 * i, timestamp: 1000 + i }));
      appendBoth(logs, batches);
    }
    assert.equal(logs.cached.logEndOffset, logs.plain.logEndOffset);
    assert.ok(logs.cached.segmentCount() > 1, 'segments rolled');
    const before = pool.reads;
    assertSameReads(logs.cached, logs.plain);
    assert.ok(pool.reads > before, 'some reads were served from memory');
    assert.ok(pool.bytesInUse <= 12 * 1024);
  });

  it('serves a follower fetching at its log end from memory, and nothing once the leader becomes follower', () => {
    const pool = new TailCachePool(1 << 20, 64 * 1024);
    const logs = twoLogs(pool);
    appendBoth(logs, [makeBatch({ count: 5 })]);
    appendBoth(logs, [makeBatch({ count: 2 }), makeBatch({ count: 3 })]);
    let reads = pool.reads;
    const r = logs.cached.read(5, 1 << 20, logs.cached.logEndOffset, true);
    assert.equal(pool.reads, reads + 1);
    assert.deepEqual(parseBatches(r.records).map((b) => [b.baseOffset, b.lastOffset, b.epoch, b.crcOk]), [
      [5, 6, 3, true],
      [7, 9, 3, true],
    ]);
    // A follower's append (this broker follows now) and a role change both drop the cache.
    logs.cached.useTailCache(null);
    reads = pool.reads;
    assert.ok(logs.cached.read(5, 1 << 20, 10, true).records.equals(logs.plain.read(5, 1 << 20, 10, true).records));
    assert.equal(pool.reads, reads);
    assert.equal(pool.bytesInUse, 0);
  });

  it('forgets truncated data: the next leader appends at the cut offsets are what is read', () => {
    const pool = new TailCachePool(1 << 20, 64 * 1024);
    const logs = twoLogs(pool);
    for (let i = 0; i < 5; i++) appendBoth(logs, [makeBatch({ count: 2, valueSize: 30 })]);
    logs.cached.truncateTo(4);
    logs.plain.truncateTo(4);
    // New data at offsets 4.. with another epoch and size.
    appendBoth(logs, [makeBatch({ count: 3, valueSize: 90 })], 7);
    assertSameReads(logs.cached, logs.plain);
    const r = parseBatches(logs.cached.read(4, 1 << 20, logs.cached.logEndOffset, true).records);
    assert.deepEqual(r.map((b) => [b.baseOffset, b.lastOffset, b.epoch]), [[4, 6, 7]]);
    // Appends as follower (offsets from a leader) are not cached: they come from the file.
    logs.cached.truncateTo(4);
    logs.plain.truncateTo(4);
    const follower = makeBatch({ baseOffset: 4, count: 2, epoch: 8 });
    logs.cached.appendAsFollower(Buffer.from(follower));
    logs.plain.appendAsFollower(Buffer.from(follower));
    const reads = pool.reads;
    assertSameReads(logs.cached, logs.plain);
    assert.equal(pool.reads, reads);
  });

  it('reuses a chunk only after every view handed out of it was given back', () => {
    const chunk = 4096;
    const pool = new TailCachePool(2 * chunk, chunk);
    const logs = twoLogs(pool);
    // One ~3 KB batch per append: each fills a chunk of its own.
    let n = 0;
    const append = (): void => appendBoth(logs, [makeBatch({ count: 1, valueSize: 3000, timestamp: 5000 + n++ })]);
    append();
    const held = logs.cached.read(0, 1 << 20, 1, true).records;
    const heldCopy = Buffer.from(held);
    // Later appends evict the held view's chunk many times over: it is never written again.
    for (let i = 0; i < 6; i++) append();
    assert.ok(held.equals(heldCopy), 'the bytes of a view still out are never overwritten');
    assert.equal(pool.release(held), true);
    assert.equal(pool.release(held), false, 'a view is given back once');
    assert.equal(pool.release(Buffer.alloc(10)), false, 'other buffers are not the cache’s');
    // A view given back before its chunk is evicted: the chunk is reused at once.
    const offset = logs.cached.logEndOffset - 1;
    const given = logs.cached.read(offset, 1 << 20, offset + 1, true).records;
    const givenCopy = Buffer.from(given);
    assert.equal(pool.release(given), true);
    const reused = pool.chunksReused;
    append();
    append();
    assert.ok(pool.chunksReused > reused);
    assert.ok(!given.equals(givenCopy), 'its memory now holds a newer append');
    assertSameReads(logs.cached, logs.plain);
    assert.ok(pool.bytesInUse <= 2 * chunk);
  });

  it('does not cache an append larger than a chunk, and starts again after it', () => {
    const pool = new TailCachePool(1 << 20, 2048);
    const logs = twoLogs(pool);
    appendBoth(logs, [makeBatch({ count: 1, valueSize: 100 })]);
    appendBoth(logs, [makeBatch({ count: 1, valueSize: 5000 })]);
    appendBoth(logs, [makeBatch({ count: 2, valueSize: 100 })]);
    assertSameReads(logs.cached, logs.plain);
    const reads = pool.reads;
    logs.cached.read(2, 1 << 20, 4, true);
    assert.equal(pool.reads, reads + 1, 'the append after the large one is served from memory');
    logs.cached.read(0, 1 << 20, 4, true);
    assert.equal(pool.reads, reads + 1, 'the ones before it are read from the file');
  });
});
