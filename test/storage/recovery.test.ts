import assert from 'node:assert/strict';
import { appendFileSync, openSync, readSync, writeSync, closeSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PartitionLog } from '../../src/storage/partition-log.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { config, makeBatch, parseBatches, tempDirs } from './helpers.js';

const newDir = tempDirs();

const cfg: LogConfig = config({ segmentBytes: 4000, indexIntervalBytes: 200 });
const LOG0 = '00000000000000000000';

/** 60 batches of 2 records (offsets 0..119), several segments. Returns the dir. */
function build(dir: string): { dir: string; leo: number } {
  const log = PartitionLog.open(dir, 't', 0, cfg);
  for (let i = 0; i < 60; i++) log.appendAsLeader(makeBatch({ count: 2, timestamp: 1000 + i, valueSize: 40 }), 1);
  const leo = log.logEndOffset;
  log.close();
  return { dir, leo };
}

function lastSegmentFile(dir: string, ext: string): string {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return join(dir, (logs[logs.length - 1] as string).replace('.log', ext));
}

/** Reads everything and checks offsets are contiguous from 0 and CRCs are valid; returns the LEO seen. */
function verify(log: PartitionLog): number {
  let next = 0;
  while (next < log.logEndOffset) {
    const bs = parseBatches(log.read(next, 1 << 20, log.logEndOffset, true).records);
    assert.ok(bs.length > 0);
    for (const b of bs) {
      assert.equal(b.baseOffset, next);
      assert.ok(b.crcOk);
      next = b.lastOffset + 1;
    }
  }
  return next;
}

/** Appends 5 more batches and checks there is no gap. */
function appendMore(log: PartitionLog): void {
  const leo = log.logEndOffset;
  for (let i = 0; i < 5; i++) assert.equal(log.appendAsLeader(makeBatch({ count: 2, timestamp: 9000 }), 2).firstOffset, leo + 2 * i);
  assert.equal(verify(log), leo + 10);
}

describe('reopen and recovery', () => {
  it('reopens after a clean close with the same LEO, reusing the indexes', () => {
    const { dir, leo } = build(newDir());
    const indexFile = join(dir, `${LOG0}.index`);
    const before = statSync(indexFile);
    assert.ok(before.size > 0 && before.size % 8 === 0);
    const log = PartitionLog.open(dir, 't', 0, cfg);
    assert.equal(log.logEndOffset, leo);
    assert.ok(log.segmentCount() > 1);
    assert.equal(verify(log), leo);
    assert.equal(statSync(indexFile).mtimeMs, before.mtimeMs);
    assert.deepEqual(log.offsetForTimestamp(1030), { offset: 59, timestamp: 1030 }, 'the record of batch 29 carrying 1030');
    assert.deepEqual(log.maxTimestampAndOffset(), { offset: 119, timestamp: 1060 });
    appendMore(log);
    log.close();
  });

  it('truncates a torn write (partial batch at the tail) even after a "clean" shutdown', () => {
    const { dir, leo } = build(newDir());
    const file = lastSegmentFile(dir, '.log');
    truncateSync(file, statSync(file).size - 7);
    const log = PartitionLog.open(dir, 't', 0, cfg);
    assert.equal(log.logEndOffset, leo - 2);
    assert.equal(verify(log), leo - 2);
    appendMore(log);
    log.close();
  });

  it('truncates garbage and zero-filled tails during recovery', () => {
    const { dir, leo } = build(newDir());
    const file = lastSegmentFile(dir, '.log');
    const goodSize = statSync(file).size;
    appendFileSync(file, Buffer.from('this is not a record batch, just garbage bytes at the tail'));
    let log = PartitionLog.open(dir, 't', 0, cfg, { recover: true });
    assert.equal(log.logEndOffset, leo);
    assert.equal(verify(log), leo);
    log.close();
    appendFileSync(file, Buffer.alloc(4096));
    log = PartitionLog.open(dir, 't', 0, cfg, { recover: true, recoveryPoint: leo });
    assert.equal(log.logEndOffset, leo);
    assert.equal(statSync(file).size, goodSize);
    appendMore(log);
    log.close();
  });

  it('truncates at a batch whose CRC fails and drops all later segments', () => {
    const { dir, leo } = build(newDir());
    const file = join(dir, `${LOG0}.log`);
    // Flip a byte inside the 4th batch's records of the first segment.
    const fd = openSync(file, 'r+');
    const head = Buffer.alloc(12);
    let pos = 0;
    for (let i = 0; i < 3; i++) {
      readSync(fd, head, 0, 12, pos);
      pos += head.readInt32BE(8) + 12;
    }
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, pos + 70);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, pos + 70);
    closeSync(fd);
    const log = PartitionLog.open(dir, 't', 0, cfg, { recover: true, recoveryPoint: 0 });
    assert.equal(log.logEndOffset, 6);
    assert.equal(log.segmentCount(), 1);
    assert.equal(verify(log), 6);
    assert.ok(log.leaderEpochs.entries().length === 1);
    appendMore(log);
    log.close();
    assert.ok(leo > 6);
  });

  it('only rescans segments from the recovery point on', () => {
    const { dir, leo } = build(newDir());
    // Corrupt the first segment: with a recovery point in the last segment it is not rescanned.
    const file = join(dir, `${LOG0}.log`);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, 100);
    closeSync(fd);
    const log = PartitionLog.open(dir, 't', 0, cfg, { recover: true, recoveryPoint: leo - 1 });
    assert.equal(log.logEndOffset, leo);
    log.close();
  });

  it('rebuilds a deleted or corrupt index', () => {
    const { dir, leo } = build(newDir());
    const index0 = join(dir, `${LOG0}.index`);
    const good = statSync(index0).size;
    unlinkSync(index0);
    writeFileSync(lastSegmentFile(dir, '.index'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0]));
    writeFileSync(lastSegmentFile(dir, '.timeindex'), Buffer.alloc(24, 0xff));
    const log = PartitionLog.open(dir, 't', 0, cfg);
    assert.equal(log.logEndOffset, leo);
    assert.equal(verify(log), leo);
    assert.equal(statSync(index0).size, good);
    assert.deepEqual(log.offsetForTimestamp(1059), { offset: 117, timestamp: 1059 }, 'the record of batch 58 carrying 1059');
    appendMore(log);
    log.close();
    // An index whose entries point past the log is rebuilt too (inactive segment, lazily).
    const buf = Buffer.alloc(16);
    buf.writeInt32BE(5, 0);
    buf.writeInt32BE(100, 4);
    buf.writeInt32BE(6, 8);
    buf.writeInt32BE(1 << 30, 12);
    writeFileSync(index0, buf);
    const again = PartitionLog.open(dir, 't', 0, cfg);
    assert.equal(verify(again), leo + 10);
    assert.equal(statSync(index0).size, good);
    again.close();
  });

  it('recovers an empty or all-garbage last segment', () => {
    const { dir, leo } = build(newDir());
    const file = lastSegmentFile(dir, '.log');
    writeFileSync(file, Buffer.alloc(100, 0));
    const log = PartitionLog.open(dir, 't', 0, cfg, { recover: true });
    const base = Number(file.slice(-24, -4));
    assert.equal(log.logEndOffset, base);
    assert.ok(base < leo);
    appendMore(log);
    log.close();
  });
});
