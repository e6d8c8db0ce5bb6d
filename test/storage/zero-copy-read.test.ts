/**
 * Zero-copy reads (src/common/file-region.ts, docs/zero-copy.md): a read made for zero copy
 * answers a placeholder standing for the rest of a segment, whose bytes, once read, are exactly
 * those an ordinary read answers; only where every batch of the rest is below the read limit and
 * within maxBytes; and a placeholder whose log was truncated since the read can no longer be read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileRegionOf } from '../../src/common/file-region.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { materialize } from '../../src/network/zero-copy-send.js';
import { config, makeBatch, tempDirs } from './helpers.js';

const newDir = tempDirs();

function filled(log: PartitionLog, offset: number, maxBytes: number, maxOffset: number): Buffer {
  const r = log.read(offset, maxBytes, maxOffset, true, true);
  assert.ok(fileRegionOf(r.records), 'a placeholder');
  materialize([r.records]);
  assert.equal(fileRegionOf(r.records), undefined);
  return r.records;
}

describe('zero-copy reads', () => {
  it('a placeholder read back holds exactly the bytes of an ordinary read, across segments', () => {
    const log = PartitionLog.open(newDir(), 'z', 0, config({ segmentBytes: 200_000, indexIntervalBytes: 4096 }));
    try {
      for (let i = 0; i < 30; i++) log.appendAsLeader(makeBatch({ count: 20, valueSize: 1000 }), 3);
      let offset = 0;
      let placeholders = 0;
      while (offset < log.logEndOffset) {
        const plain = log.read(offset, 1 << 20, log.logEndOffset, true);
        const lazy = log.read(offset, 1 << 20, log.logEndOffset, true, true);
        if (fileRegionOf(lazy.records) !== undefined) {
          placeholders++;
          materialize([lazy.records]);
        }
        assert.ok(lazy.records.equals(plain.records), `same bytes from ${offset}`);
        assert.equal(lazy.firstBatchOffset, plain.firstBatchOffset);
        offset += plain.records.length === 0 ? 1 : countRecords(plain.records);
      }
      assert.ok(placeholders >= 3, `${placeholders} placeholders`);
      // From the middle of a segment (a batch found through the index), not only its start.
      const mid = log.read(100, 1 << 20, log.logEndOffset, true);
      assert.ok(filled(log, 100, 1 << 20, log.logEndOffset).equals(mid.records));
    } finally {
      log.close();
    }
  });

  it('cuts at an indexed batch start past maxBytes and after the last indexed batch below the limit; reads as before when it is small', () => {
    const log = PartitionLog.open(newDir(), 'z', 0, config({ indexIntervalBytes: 4096 }));
    try {
      for (let i = 0; i < 10; i++) log.appendAsLeader(makeBatch({ count: 10, valueSize: 1000 }), 0);
      // Below the log end (a consumer's high watermark): up to the last indexed batch below it.
      const below = log.read(0, 1 << 20, 95, true, true);
      assert.ok(fileRegionOf(below.records));
      assert.equal(below.nextOffset, 90);
      materialize([below.records]);
      assert.ok(below.records.equals(log.read(0, 1 << 20, 95, true).records));
      // The first batch reaches the limit: nothing (as an ordinary read).
      assert.equal(log.read(90, 1 << 20, 95, true, true).records.length, 0);
      // More than maxBytes left: cut at the last batch start within maxBytes the offset index knows.
      const cut = log.read(0, 50_000, 100, true, true);
      assert.ok(fileRegionOf(cut.records));
      assert.equal(cut.nextOffset, 40);
      materialize([cut.records]);
      assert.ok(cut.records.equals(log.read(0, 50_000, 100, true).records));
      // The next read starts where the cut one ended.
      const next = log.read(40, 50_000, 100, true, true);
      assert.equal(next.firstBatchOffset, 40);
      materialize([next.records]);
      assert.ok(next.records.equals(log.read(40, 50_000, 100, true).records));
      // Less than one batch within maxBytes (minOneMessage reads the batch as before).
      assert.equal(fileRegionOf(log.read(0, 5_000, 100, true, true).records), undefined);
      // Less than MIN_REGION_BYTES left.
      assert.equal(fileRegionOf(log.read(90, 1 << 20, 100, true, true).records), undefined);
      // Not asked for.
      assert.equal(fileRegionOf(log.read(0, 1 << 20, 100, true).records), undefined);
      assert.ok(fileRegionOf(log.read(0, 1 << 20, 100, true, true).records));
    } finally {
      log.close();
    }
  });

  it('a placeholder of a log truncated since the read cannot be read (the send fails, never other bytes)', () => {
    const log = PartitionLog.open(newDir(), 'z', 0, config({}));
    try {
      for (let i = 0; i < 10; i++) log.appendAsLeader(makeBatch({ count: 10, valueSize: 1000 }), 0);
      const r = log.read(0, 1 << 20, log.logEndOffset, true, true);
      assert.ok(fileRegionOf(r.records));
      log.truncateTo(50);
      for (let i = 0; i < 10; i++) log.appendAsLeader(makeBatch({ count: 10, valueSize: 1000 }), 1);
      assert.throws(() => materialize([r.records]), /log changed since the read/);
    } finally {
      log.close();
    }
  });
});

function countRecords(records: Buffer): number {
  let pos = 0;
  let last = -1;
  while (pos + 61 <= records.length) {
    last = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + 23);
    pos += records.readInt32BE(pos + 8) + 12;
  }
  return last + 1 - Number(records.readBigInt64BE(0));
}
