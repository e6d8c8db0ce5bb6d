import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OffsetOutOfRangeError, PartitionLog } from '../../src/storage/partition-log.js';
import { config, makeBatch, manualClock, parseBatches, tempDirs } from './helpers.js';
import { waitFor } from '../helpers/wire.js';

const newDir = tempDirs();

/** 10 segments of 5 single-record batches, batch i has timestamp 1000*i. */
function fill(log: PartitionLog): void {
  for (let i = 0; i < 50; i++) {
    if (i > 0 && i % 5 === 0) log.roll();
    log.appendAsLeader(makeBatch({ timestamp: 1000 * i, valueSize: 50 }), 0);
  }
  log.highWatermark = log.logEndOffset;
}

describe('retention', () => {
  it('deletes whole non-active segments by retention.ms using each segment max timestamp', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ retentionMs: 10_000 }));
    fill(log);
    assert.equal(log.segmentCount(), 10);
    // now = 30_500: segments whose max ts (4000, 9000, 14000, 19000) is older than 20_500 go.
    assert.equal(log.applyRetention(30_500), 4);
    assert.equal(log.logStartOffset, 20);
    assert.deepEqual(log.segmentBaseOffsets().slice(0, 2), [20, 25]);
    assert.throws(() => log.read(19, 100, 100, true), OffsetOutOfRangeError);
    assert.equal(parseBatches(log.read(20, 100, 100, true).records)[0]!.baseOffset, 20);
    // The active segment is never deleted, even when everything expired.
    assert.equal(log.applyRetention(10_000_000), 5);
    assert.equal(log.segmentCount(), 1);
    assert.equal(log.logStartOffset, 45);
    assert.equal(log.logEndOffset, 50);
    log.close();
  });

  it('deletes oldest segments by retention.bytes', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ retentionMs: -1 }));
    fill(log);
    const segSize = log.size() / 10;
    log.config = { ...log.config, retentionBytes: Math.floor(segSize * 3.5) };
    assert.equal(log.applyRetention(0), 6);
    assert.equal(log.segmentCount(), 4);
    assert.equal(log.logStartOffset, 30);
    assert.ok(log.size() <= segSize * 4);
    log.close();
  });

  it('never deletes segments at or above the high watermark', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ retentionMs: 0 }));
    fill(log);
    log.highWatermark = 12;
    assert.equal(log.applyRetention(1_000_000), 2);
    assert.equal(log.logStartOffset, 10);
    log.close();
  });

  it('renames deleted segments to .deleted and removes them after file.delete.delay.ms (waiting for the removal, no fixed sleep)', async () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config({ retentionMs: 0, fileDeleteDelayMs: 30 }));
    fill(log);
    assert.equal(log.applyRetention(1_000_000), 9);
    assert.ok(readdirSync(dir).some((f) => f.endsWith('.log.deleted')));
    // The removal runs on a timer: wait for it (generously, a loaded machine may run it late).
    await waitFor(() => !readdirSync(dir).some((f) => f.endsWith('.deleted')), 10_000, '.deleted files to be removed', 10);
    log.close();
  });
});

describe('deleteRecordsBefore', () => {
  it('raises the log start offset, deletes segments below it and persists through reopen', () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config());
    fill(log);
    assert.throws(() => log.deleteRecordsBefore(51), OffsetOutOfRangeError);
    log.deleteRecordsBefore(12);
    assert.equal(log.logStartOffset, 12);
    assert.deepEqual(log.segmentBaseOffsets()[0], 10);
    assert.throws(() => log.read(11, 100, 100, true), OffsetOutOfRangeError);
    assert.equal(parseBatches(log.read(12, 100, 100, true).records)[0]!.baseOffset, 12);
    log.deleteRecordsBefore(5); // lower: no-op
    assert.equal(log.logStartOffset, 12);
    assert.ok(!existsSync(join(dir, '00000000000000000005.log')));
    // Up to the LEO: only the active segment remains, empty of readable data.
    log.deleteRecordsBefore(50);
    assert.equal(log.segmentCount(), 1);
    assert.equal(log.read(50, 100, 100, true).records.length, 0);
    log.close();
  });
});

describe('truncation', () => {
  it('truncateTo drops later segments and partial batches, and appends continue', () => {
    const clock = manualClock();
    const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 1 }), { now: clock.now });
    for (let i = 0; i < 20; i++) {
      if (i > 0 && i % 4 === 0) log.roll();
      log.appendAsLeader(makeBatch({ count: 2, timestamp: 100 * i }), i < 10 ? 1 : 2);
    }
    log.highWatermark = 40;
    assert.equal(log.logEndOffset, 40);
    log.truncateTo(40); // no-op
    assert.equal(log.logEndOffset, 40);
    log.truncateTo(21); // mid-batch (20..21): the whole batch goes
    assert.equal(log.logEndOffset, 20);
    assert.equal(log.highWatermark, 20);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 8, 16]);
    assert.deepEqual(log.leaderEpochs.entries(), [{ epoch: 1, startOffset: 0 }]);
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 19, timestamp: 901 });
    assert.equal(log.offsetForTimestamp(950), null);
    const r = log.appendAsLeader(makeBatch({ count: 3, timestamp: 5000 }), 3);
    assert.equal(r.firstOffset, 20);
    const bs = parseBatches(log.read(16, 10_000, 100, true).records);
    assert.deepEqual(bs.map((b) => b.baseOffset), [16, 18, 20]);
    assert.deepEqual(log.offsetForTimestamp(950), { offset: 20, timestamp: 5000 });
    // Truncate into an older, inactive segment: it becomes active again.
    log.truncateTo(6);
    assert.equal(log.logEndOffset, 6);
    assert.deepEqual(log.segmentBaseOffsets(), [0]);
    log.appendAsLeader(makeBatch({ count: 1 }), 3);
    assert.equal(log.logEndOffset, 7);
    assert.equal(parseBatches(log.read(0, 10_000, 100, true).records).length, 4);
    log.close();
  });

  it('truncateFullyAndStartAt empties the log at a new offset', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    fill(log);
    log.truncateFullyAndStartAt(1000);
    assert.equal(log.logStartOffset, 1000);
    assert.equal(log.logEndOffset, 1000);
    assert.equal(log.segmentCount(), 1);
    assert.equal(log.size(), 0);
    assert.equal(log.appendAsLeader(makeBatch(), 0).firstOffset, 1000);
    assert.deepEqual(log.segmentBaseOffsets(), [1000]);
    log.close();
  });
});
