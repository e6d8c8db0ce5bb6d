import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CorruptIndexError } from '../../src/common/errors.js';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { SegmentResourceCache } from '../../src/storage/segment-cache.js';
import { TimeIndex } from '../../src/storage/time-index.js';
import { setHeaderChunkSizeForTests } from '../../src/storage/batch-scanner.js';
import { config, makeBatch, parseBatches, tempDirs } from './helpers.js';

const newDir = tempDirs();

describe('OffsetIndex', () => {
  it('appends, looks up, truncates and persists 8-byte entries', () => {
    const dir = newDir();
    const file = join(dir, '00000000000000000100.index');
    const idx = new OffsetIndex(file, 100, 80);
    idx.initEmpty();
    assert.equal(idx.lookupPosition(150), 0);
    for (let i = 1; i <= 9; i++) idx.append(100 + i * 10, i * 1000);
    assert.ok(!idx.isFull());
    idx.append(200, 10_000);
    assert.ok(idx.isFull());
    assert.throws(() => idx.append(210, 11_000), CorruptIndexError);
    assert.equal(idx.lookupPosition(105), 0);
    assert.equal(idx.lookupPosition(110), 1000);
    assert.equal(idx.lookupPosition(119), 1000);
    assert.equal(idx.lookupPosition(1000), 10_000);
    assert.throws(() => idx.append(150, 20_000), CorruptIndexError);
    idx.persist(false);
    const bytes = readFileSync(file);
    assert.equal(bytes.length, 80);
    assert.equal(bytes.readInt32BE(0), 10);
    assert.equal(bytes.readInt32BE(4), 1000);
    idx.truncateTo(150);
    assert.equal(idx.entries, 4);
    assert.equal(idx.lastOffset(), 140);
    idx.persist(false);
    assert.equal(statSync(file).size, 32);
    const loaded = new OffsetIndex(file, 100, 80);
    assert.ok(loaded.load(1_000_000));
    assert.equal(loaded.entries, 4);
    assert.equal(loaded.lookupPosition(135), 3000);
    // Positions beyond the log size, or non-increasing entries, are corrupt.
    assert.throws(() => new OffsetIndex(file, 100, 80).load(3500), CorruptIndexError);
    writeFileSync(file, Buffer.concat([bytes.subarray(0, 16), Buffer.alloc(8)]));
    assert.throws(() => new OffsetIndex(file, 100, 80).load(1_000_000), CorruptIndexError);
    assert.equal(new OffsetIndex(join(dir, 'missing.index'), 0, 80).load(0), false);
  });
});

describe('TimeIndex', () => {
  it('keeps strictly increasing timestamps and reserves the last slot', () => {
    const dir = newDir();
    const file = join(dir, '00000000000000000000.timeindex');
    const idx = new TimeIndex(file, 0, 48);
    idx.initEmpty();
    idx.maybeAppend(-1, 0);
    assert.equal(idx.entries, 0);
    idx.maybeAppend(1000, 5);
    idx.maybeAppend(1000, 6); // not larger: ignored
    idx.maybeAppend(2000, 9);
    idx.maybeAppend(3000, 12);
    assert.ok(idx.isFull());
    assert.throws(() => idx.maybeAppend(4000, 15), CorruptIndexError);
    idx.maybeAppend(4000, 15, true);
    assert.equal(idx.entries, 4);
    assert.equal(idx.slotBefore(1000), -1);
    assert.equal(idx.slotBefore(1001), 0);
    assert.equal(idx.slotBefore(99999), 3);
    idx.truncateTo(12);
    assert.equal(idx.entries, 2);
    assert.equal(idx.lastTimestamp(), 2000);
    idx.persist(false);
    const loaded = new TimeIndex(file, 0, 48);
    assert.ok(loaded.load(0));
    assert.equal(loaded.lastOffset(), 9);
  });
});

describe('segment resource cache', () => {
  it('bounds open inactive segments and reopens them transparently', () => {
    const cache = new SegmentResourceCache(3, 1 << 30);
    const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 1 }), { cache });
    for (let i = 0; i < 30; i++) {
      if (i > 0 && i % 2 === 0) log.roll();
      log.appendAsLeader(makeBatch({ count: 2, timestamp: 100 + i }), 0);
    }
    assert.equal(log.segmentCount(), 15);
    assert.ok(cache.size <= 3);
    for (let pass = 0; pass < 2; pass++) {
      for (let o = 0; o < 60; o += 3) {
        assert.equal(parseBatches(log.read(o, 1000, 60, true).records)[0]!.baseOffset, o - (o % 2));
        assert.ok(cache.size <= 3);
      }
    }
    assert.deepEqual(log.offsetForTimestamp(110), { offset: 19, timestamp: 110 }, 'second record of batch 9');
    cache.maxBytes = 1;
    log.read(0, 10, 60, true);
    log.read(30, 10, 60, true);
    assert.ok(cache.size <= 1);
    log.close();
    assert.equal(cache.size, 0);
  });

  it('handles batch headers straddling scan chunk boundaries', () => {
    setHeaderChunkSizeForTests(100);
    try {
      const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 100_000 }));
      for (let i = 0; i < 50; i++) log.appendAsLeader(makeBatch({ count: 1 + (i % 4), valueSize: 7 + i, timestamp: i }), 0);
      let expected = 0;
      for (let i = 0; i < 50; i++) {
        const bs = parseBatches(log.read(expected, 1, log.logEndOffset, true).records);
        assert.equal(bs[0]!.baseOffset, expected);
        expected = bs[0]!.lastOffset + 1;
      }
      // batch 38 (3 records, timestamps 38..40) is the first reaching 40; it starts after batches 0..37
      // and its third record carries 40
      let base38 = 0;
      for (let i = 0; i < 38; i++) base38 += 1 + (i % 4);
      assert.deepEqual(log.offsetForTimestamp(40), { offset: base38 + 2, timestamp: 40 });
      log.close();
    } finally {
      setHeaderChunkSizeForTests(16 * 1024);
    }
  });
});
