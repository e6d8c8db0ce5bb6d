import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OffsetOutOfRangeError, PartitionLog } from '../../src/storage/partition-log.js';
import { UnexpectedAppendOffsetError } from '../../src/storage/errors.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { config, makeBatch, manualClock, parseBatches, tempDirs } from './helpers.js';

const newDir = tempDirs();

/** Reads the whole log sequentially in chunks of maxBytes; returns every batch. */
function readAll(log: PartitionLog, maxBytes: number) {
  const batches = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = log.read(offset, maxBytes, log.logEndOffset, true);
    const bs = parseBatches(r.records);
    assert.ok(bs.length > 0, `no progress at ${offset}`);
    batches.push(...bs);
    offset = (bs[bs.length - 1]?.lastOffset ?? offset) + 1;
  }
  return batches;
}

describe('PartitionLog append/read', () => {
  it('assigns offsets, stamps the leader epoch and reads back across many size-rolled segments', () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config({ segmentBytes: 1000, indexIntervalBytes: 100 }));
    let expected = 0;
    for (let i = 0; i < 200; i++) {
      const count = (i % 3) + 1;
      const r = log.appendAsLeader(makeBatch({ baseOffset: 999, count, valueSize: 20, timestamp: 1000 + i }), 4);
      assert.equal(r.firstOffset, expected);
      assert.equal(r.lastOffset, expected + count - 1);
      assert.equal(r.recordCount, count);
      assert.equal(r.logAppendTime, -1);
      assert.equal(r.maxTimestamp, 1000 + i + count - 1);
      expected += count;
    }
    assert.equal(log.logEndOffset, expected);
    assert.ok(log.segmentCount() > 20, `segments: ${log.segmentCount()}`);
    const files = readdirSync(dir);
    assert.ok(files.includes('00000000000000000000.log'));
    assert.ok(files.includes('00000000000000000000.index'));
    assert.ok(files.includes('00000000000000000000.timeindex'));
    for (const base of log.segmentBaseOffsets()) assert.ok(files.includes(`${String(base).padStart(20, '0')}.log`));

    // Every offset (including mid-batch ones) starts the read at the batch containing it.
    for (let o = 0; o < expected; o++) {
      const r = log.read(o, 1 << 20, log.logEndOffset, false);
      const bs = parseBatches(r.records);
      assert.ok(bs.length > 0);
      const first = bs[0]!;
      assert.ok(first.baseOffset <= o && first.lastOffset >= o, `offset ${o} in batch ${first.baseOffset}..${first.lastOffset}`);
      assert.equal(r.firstBatchOffset, first.baseOffset);
      for (const b of bs) {
        assert.ok(b.crcOk);
        assert.equal(b.epoch, 4);
      }
    }
    // Sequential consumption sees every offset exactly once.
    const all = readAll(log, 300);
    let next = 0;
    for (const b of all) {
      assert.equal(b.baseOffset, next);
      next = b.lastOffset + 1;
    }
    assert.equal(next, expected);
    assert.equal(log.size(), all.reduce((s, b) => s + b.size, 0));
    log.close();
  });

  it('appends a buffer holding several batches with one write', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    const buf = Buffer.concat([makeBatch({ count: 2 }), makeBatch({ count: 3 }), makeBatch({ count: 1 })]);
    const r = log.appendAsLeader(buf, 0);
    assert.deepEqual([r.firstOffset, r.lastOffset, r.recordCount], [0, 5, 6]);
    const bs = parseBatches(log.read(0, 1 << 20, 100, false).records);
    assert.deepEqual(bs.map((b) => [b.baseOffset, b.lastOffset]), [[0, 1], [2, 4], [5, 5]]);
    log.close();
  });

  it('rejects malformed buffers with a typed error and leaves the log untouched', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    const good = makeBatch({ count: 2 });
    assert.throws(() => log.appendAsLeader(good.subarray(0, good.length - 3), 0), { name: 'KafkaError' });
    const v1 = Buffer.from(good);
    v1[16] = 1;
    assert.throws(() => log.appendAsLeader(v1, 0), { name: 'KafkaError' });
    assert.equal(log.logEndOffset, 0);
    assert.equal(log.size(), 0);
    log.close();
  });

  it('honours maxBytes, minOneMessage and maxOffset with whole batches only', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    for (let i = 0; i < 10; i++) log.appendAsLeader(makeBatch({ count: 2, valueSize: 30 }), 0);
    const size = parseBatches(log.read(0, 1 << 20, 100, false).records)[0]!.size;
    assert.equal(log.read(0, size - 1, 100, false).records.length, 0);
    const one = parseBatches(log.read(0, size - 1, 100, true).records);
    assert.equal(one.length, 1);
    const two = parseBatches(log.read(0, size * 2 + size - 1, 100, false).records);
    assert.equal(two.length, 2);
    const upTo = parseBatches(log.read(0, 1 << 20, 7, false).records);
    assert.deepEqual(upTo.map((b) => b.baseOffset), [0, 2, 4]);
    // maxOffset inside the first batch: nothing.
    assert.equal(log.read(2, 1 << 20, 3, true).records.length, 0);
    assert.equal(log.read(6, 1 << 20, 6, true).records.length, 0);
    log.close();
  });

  it('throws OffsetOutOfRangeError outside [logStart, LEO] and returns empty at LEO', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    log.appendAsLeader(makeBatch({ count: 3 }), 0);
    assert.throws(() => log.read(4, 100, 100, true), OffsetOutOfRangeError);
    assert.throws(() => log.read(-1, 100, 100, true), OffsetOutOfRangeError);
    const r = log.read(3, 100, 100, true);
    assert.equal(r.records.length, 0);
    assert.equal(r.firstBatchOffset, 3);
    log.close();
    assert.throws(() => log.read(0, 100, 100, true), { name: 'LogClosedError' });
  });

  it('rolls by time using the first batch timestamp, or the creation time when batches carry none', () => {
    const clock = manualClock(10_000);
    const log = PartitionLog.open(newDir(), 't', 0, config({ segmentMs: 1000 }), { now: clock.now });
    log.appendAsLeader(makeBatch({ timestamp: 50_000 }), 0);
    log.appendAsLeader(makeBatch({ timestamp: 50_900 }), 0);
    assert.equal(log.segmentCount(), 1);
    log.appendAsLeader(makeBatch({ timestamp: 51_001 }), 0);
    assert.equal(log.segmentCount(), 2);
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2]);
    // No timestamps (-1): creation time vs now.
    log.roll();
    log.appendAsLeader(makeBatch({ timestamps: [-1] }), 0);
    clock.advance(500);
    log.appendAsLeader(makeBatch({ timestamps: [-1] }), 0);
    assert.equal(log.segmentCount(), 3);
    clock.advance(600);
    log.appendAsLeader(makeBatch({ timestamps: [-1] }), 0);
    assert.equal(log.segmentCount(), 4);
    log.close();
  });

  it('rolls when the index is full and when relative offsets would overflow', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 1, segmentIndexBytes: 48 }));
    for (let i = 0; i < 40; i++) log.appendAsLeader(makeBatch({ timestamp: 1000 + i }), 0);
    assert.ok(log.segmentCount() >= 5, `segments: ${log.segmentCount()}`);
    assert.equal(readAll(log, 1000).length, 40);

    const f = PartitionLog.open(newDir(), 't', 0, config());
    f.appendAsFollower(makeBatch({ baseOffset: 0, count: 2 }));
    f.appendAsFollower(makeBatch({ baseOffset: 3_000_000_000, count: 2 }));
    assert.deepEqual(f.segmentBaseOffsets(), [0, 3_000_000_000]);
    assert.equal(f.logEndOffset, 3_000_000_002);
    assert.equal(parseBatches(f.read(3_000_000_001, 1000, f.logEndOffset, true).records)[0]!.baseOffset, 3_000_000_000);
    // A fetch in the gap lands on the next batch.
    assert.equal(parseBatches(f.read(5, 1000, f.logEndOffset, true).records)[0]!.baseOffset, 3_000_000_000);
    log.close();
    f.close();
  });

  it('stamps LogAppendTime: timestamp type bit, maxTimestamp and a recomputed CRC', () => {
    const clock = manualClock(77_777);
    const log = PartitionLog.open(newDir(), 't', 0, config({ messageTimestampType: 'LogAppendTime' }), { now: clock.now });
    const r = log.appendAsLeader(Buffer.concat([makeBatch({ timestamp: 5, count: 2 }), makeBatch({ timestamp: 9 })]), 1);
    assert.equal(r.logAppendTime, 77_777);
    assert.equal(r.maxTimestamp, 77_777);
    for (const b of parseBatches(log.read(0, 1000, 10, true).records)) {
      assert.equal(b.maxTimestamp, 77_777);
      assert.equal(b.attributes & 0x08, 0x08);
      assert.ok(b.crcOk);
    }
    // Every record of a LogAppendTime batch carries the batch's timestamp: the first one is the answer (Kafka).
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 0, timestamp: 77_777 });
    log.close();
  });

  it('follower appends keep offsets, assign leader epochs and reject offsets below LEO', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    log.appendAsFollower(Buffer.concat([makeBatch({ baseOffset: 0, count: 3, epoch: 1 }), makeBatch({ baseOffset: 3, count: 1, epoch: 2 })]));
    log.appendAsFollower(makeBatch({ baseOffset: 10, count: 2, epoch: 2 }));
    assert.equal(log.logEndOffset, 12);
    assert.deepEqual(log.leaderEpochs.entries(), [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 3 }]);
    assert.throws(() => log.appendAsFollower(makeBatch({ baseOffset: 11 })), UnexpectedAppendOffsetError);
    assert.equal(log.logEndOffset, 12);
    log.close();
  });
});

describe('PartitionLog tailing reads', () => {
  it('serves a consumer tailing the log with a lagging high watermark', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ segmentBytes: 3000, indexIntervalBytes: 200 }));
    let consumed = 0;
    let hw = 0;
    for (let round = 0; round < 200; round++) {
      const n = (round % 4) + 1;
      for (let i = 0; i < n; i++) log.appendAsLeader(makeBatch({ count: 1 + (i % 3), valueSize: 25 }), 0);
      // The high watermark trails the LEO by one append.
      const limit = hw;
      hw = log.logEndOffset;
      while (consumed < limit) {
        const r = log.read(consumed, 250, limit, round % 2 === 0);
        const bs = parseBatches(r.records);
        if (bs.length === 0) {
          assert.equal(round % 2, 1); // batches > maxBytes without minOneMessage
          break;
        }
        for (const b of bs) {
          assert.equal(b.baseOffset, consumed);
          assert.ok(b.lastOffset < limit);
          consumed = b.lastOffset + 1;
        }
      }
    }
    assert.ok(log.segmentCount() > 5);
    assert.ok(consumed > 0);
    log.close();
  });
});

describe('PartitionLog timestamps', () => {
  it('finds offsets by timestamp across segments through the time index', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ segmentBytes: 2000, indexIntervalBytes: 150 }));
    // batch i: offsets 2i..2i+1, timestamps 1000*(i+1) and 1000*(i+1)+1; answers are per record
    for (let i = 0; i < 100; i++) log.appendAsLeader(makeBatch({ count: 2, timestamp: 1000 * (i + 1) }), 0);
    assert.ok(log.segmentCount() > 3);
    assert.deepEqual(log.offsetForTimestamp(0), { offset: 0, timestamp: 1000 });
    assert.deepEqual(log.offsetForTimestamp(1001), { offset: 1, timestamp: 1001 });
    assert.deepEqual(log.offsetForTimestamp(1002), { offset: 2, timestamp: 2000 });
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(log.offsetForTimestamp(1000 * (i + 1)), { offset: 2 * i, timestamp: 1000 * (i + 1) });
      assert.deepEqual(log.offsetForTimestamp(1000 * (i + 1) + 1), { offset: 2 * i + 1, timestamp: 1000 * (i + 1) + 1 });
      assert.deepEqual(log.offsetForTimestamp(1000 * (i + 1) - 500), { offset: 2 * i, timestamp: 1000 * (i + 1) });
    }
    assert.equal(log.offsetForTimestamp(100_002), null);
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 199, timestamp: 100_001 });
    log.close();
  });

  it('handles out-of-order CreateTime timestamps', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 1 }));
    for (const ts of [5000, 3000, 7000, 6000, 2000]) log.appendAsLeader(makeBatch({ timestamp: ts }), 0);
    assert.deepEqual(log.offsetForTimestamp(6000), { offset: 2, timestamp: 7000 });
    assert.deepEqual(log.offsetForTimestamp(4000), { offset: 0, timestamp: 5000 });
    assert.deepEqual(log.offsetForTimestamp(7000), { offset: 2, timestamp: 7000 });
    assert.equal(log.offsetForTimestamp(7001), null);
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 2, timestamp: 7000 });
    log.close();
  });

  it('looks inside the batch: first record with timestamp >= target, record of the max timestamp (issue 11 example)', () => {
    const T = 1_700_000_000_000;
    for (const compression of [CompressionType.none, CompressionType.gzip, CompressionType.zstd]) {
      const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 1 }));
      const records = [100, 400, 250].map((d, i) => ({ value: `v${i}`, timestamp: BigInt(T + d) }));
      log.appendAsLeader(encodeRecordBatch({ records, compression }), 0);
      const at = (d: number) => log.offsetForTimestamp(T + d);
      assert.deepEqual([at(50), at(150), at(300), at(400)], [{ offset: 0, timestamp: T + 100 }, { offset: 1, timestamp: T + 400 }, { offset: 1, timestamp: T + 400 }, { offset: 1, timestamp: T + 400 }], `codec ${compression}`);
      assert.equal(at(401), null);
      assert.deepEqual(log.maxTimestampAndOffset(), { offset: 1, timestamp: T + 400 }, `codec ${compression}`);
      // A later batch whose max is smaller leaves the answer in the first batch.
      log.appendAsLeader(encodeRecordBatch({ records: [{ value: 'x', timestamp: BigInt(T + 300) }, { value: 'y', timestamp: BigInt(T + 120) }], compression }), 0);
      assert.deepEqual(log.maxTimestampAndOffset(), { offset: 1, timestamp: T + 400 });
      // A later batch with a larger max: its record carrying the max.
      log.appendAsLeader(encodeRecordBatch({ records: [{ value: 'z', timestamp: BigInt(T + 100) }, { value: 'w', timestamp: BigInt(T + 900) }, { value: 'u', timestamp: BigInt(T + 900) }], compression }), 0);
      assert.deepEqual(log.maxTimestampAndOffset(), { offset: 6, timestamp: T + 900 });
      assert.deepEqual(log.offsetForTimestamp(T + 500), { offset: 6, timestamp: T + 900 });
      log.close();
    }
  });

  it('skips records before the log start offset inside the batch the lookup lands on', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config({ indexIntervalBytes: 1 }));
    log.appendAsLeader(makeBatch({ timestamps: [1000, 5000, 2000, 3000] }), 0);
    log.appendAsLeader(makeBatch({ timestamps: [6000] }), 0);
    log.highWatermark = log.logEndOffset;
    log.deleteRecordsBefore(2);
    assert.equal(log.logStartOffset, 2);
    assert.deepEqual(log.offsetForTimestamp(500), { offset: 2, timestamp: 2000 });
    assert.deepEqual(log.offsetForTimestamp(1500), { offset: 2, timestamp: 2000 });
    assert.deepEqual(log.offsetForTimestamp(4000), { offset: 4, timestamp: 6000 });
    log.close();
  });

  it('returns null for an empty log', () => {
    const log = PartitionLog.open(newDir(), 't', 0, config());
    assert.equal(log.offsetForTimestamp(0), null);
    assert.equal(log.maxTimestampAndOffset(), null);
    log.close();
  });
});
