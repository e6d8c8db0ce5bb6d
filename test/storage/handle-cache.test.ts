/**
 * The segment handle cache bounds the fds of ACTIVE segments too: many partitions, each written,
 * hold at most the cache's limit of fds; an evicted active segment reopens on the next append or
 * read with its append position and index state intact, and a flush after eviction still makes
 * the data durable. A cleanly shut-down log directory loads without opening any segment file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LogManager } from '../../src/storage/log-manager.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { SegmentResourceCache, effectiveMaxOpenSegments } from '../../src/storage/segment-cache.js';
import { config, makeBatch, parseBatches, tempDirs } from './helpers.js';

const newDir = tempDirs();

/** Fds of this process that point into `dir`. */
function fdsUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe('segment handle cache', () => {
  it('bounds the fds of active segments across many written partitions, and appends continue after reopening', () => {
    const root = newDir();
    const cache = new SegmentResourceCache(8, 1 << 30);
    const logs: PartitionLog[] = [];
    for (let p = 0; p < 50; p++) {
      const log = PartitionLog.open(`${root}/t-${p}`, 't', p, config({ indexIntervalBytes: 1 }), { cache });
      log.appendAsLeader(makeBatch({ count: 2, timestamp: 1000 + p }), 0);
      logs.push(log);
      assert.ok(fdsUnder(root) <= 8, `after ${p + 1} partitions ${fdsUnder(root)} fds are open`);
    }
    assert.ok(cache.size <= 8);
    // Every partition, evicted or not, reads back and appends at the right position.
    for (let round = 0; round < 2; round++) {
      logs.forEach((log, p) => {
        const info = log.appendAsLeader(makeBatch({ count: 3, timestamp: 5000 + p }), 0);
        assert.equal(info.firstOffset, 2 + round * 3);
        const batches = parseBatches(log.read(0, 1 << 20, Number.MAX_SAFE_INTEGER, true).records);
        assert.deepEqual(
          batches.map((b) => b.baseOffset),
          round === 0 ? [0, 2] : [0, 2, 5],
        );
        assert.ok(fdsUnder(root) <= 8);
      });
    }
    // Index state survived eviction: lookups by offset and by timestamp land on the right batch.
    for (const [p, log] of logs.entries()) {
      assert.equal(parseBatches(log.read(6, 1 << 20, Number.MAX_SAFE_INTEGER, true).records)[0]?.baseOffset, 5);
      // Per record (Kafka): the first record at or after the target, with its own timestamp.
      assert.deepEqual(log.offsetForTimestamp(5000 + p), { offset: 2, timestamp: 5000 + p });
    }
    for (const log of logs) log.close();
    assert.equal(fdsUnder(root), 0);
    assert.equal(cache.size, 0);
  });

  it('flushes an evicted active segment through a new handle and keeps its indexes consistent for the next load', () => {
    const root = newDir();
    const cache = new SegmentResourceCache(2, 1 << 30);
    const logs = [0, 1, 2].map((p) => PartitionLog.open(`${root}/t-${p}`, 't', p, config({ indexIntervalBytes: 1 }), { cache }));
    for (let i = 0; i < 4; i++) for (const log of logs) log.appendAsLeader(makeBatch({ count: 1, timestamp: 100 + i }), 0);
    // logs[0] was evicted by the later appends: its write handle is closed.
    assert.ok(fdsUnder(root) <= 2);
    assert.ok(cache.evictions > 0);
    for (const log of logs) {
      log.flush();
      assert.equal(log.recoveryPoint, 4);
    }
    assert.ok(fdsUnder(root) <= 2);
    for (const log of logs) log.close();
    // Reopening without recovery finds consistent indexes (a rebuild would reset the recovery point to 0).
    for (let p = 0; p < 3; p++) {
      const reopened = PartitionLog.open(`${root}/t-${p}`, 't', p, config({ indexIntervalBytes: 1 }), { cache });
      assert.equal(reopened.logEndOffset, 4);
      assert.equal(reopened.recoveryPoint, 4);
      assert.equal(reopened.appendAsLeader(makeBatch({ count: 1, timestamp: 200 }), 0).firstOffset, 4);
      assert.deepEqual(
        parseBatches(reopened.read(0, 1 << 20, Number.MAX_SAFE_INTEGER, true).records).map((b) => b.baseOffset),
        [0, 1, 2, 3, 4],
      );
      reopened.close();
    }
  });

  it('loads a cleanly shut-down log dir without opening segment files, and opens them on first use', () => {
    const root = newDir();
    const first = new LogManager({ logDirs: [root] });
    for (let p = 0; p < 40; p++) {
      const log = first.createLog('t', p, config());
      log.appendAsLeader(makeBatch({ count: 2 + p }), 0);
    }
    first.shutdown();
    assert.equal(fdsUnder(root), 0);

    const second = new LogManager({ logDirs: [root] });
    const loaded = second.loadAll(() => config());
    assert.equal(loaded.length, 40);
    assert.equal(fdsUnder(root), 0, 'a clean load opens no segment file');
    for (const log of loaded) assert.equal(log.logEndOffset, 2 + log.partition);
    const log7 = second.getLog('t', 7) as PartitionLog;
    assert.deepEqual(
      parseBatches(log7.read(0, 1 << 20, Number.MAX_SAFE_INTEGER, true).records).map((b) => b.baseOffset),
      [0],
    );
    assert.equal(log7.appendAsLeader(makeBatch({ count: 1, timestamp: 2_000_000 }), 0).firstOffset, 9);
    assert.equal(log7.maxTimestampAndOffset()?.offset, 9);
    second.shutdown();

    // And after that restart, the appended record is there too.
    const third = new LogManager({ logDirs: [root] });
    third.loadAll(() => config());
    assert.equal(third.getLog('t', 7)?.logEndOffset, 10);
    third.shutdown();
  });

  it('clamps log.open.files.max to half of the fd limit', () => {
    assert.equal(effectiveMaxOpenSegments(4096, 1024), 512);
    assert.equal(effectiveMaxOpenSegments(4096, 20000), 4096);
    assert.equal(effectiveMaxOpenSegments(4096, undefined), 4096);
    assert.equal(effectiveMaxOpenSegments(100, 20), 16);
  });
});
