import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogManager } from '../../src/storage/log-manager.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { config, makeBatch, parseBatches, tempDirs } from './helpers.js';
import { waitFor } from '../helpers/wire.js';

const newDir = tempDirs();

/** Background work (renames, fsyncs, timers) finishes when it finishes: wait for its effect, with a generous deadline. */
const eventually = (cond: () => boolean, what: string): Promise<boolean> => waitFor(() => cond(), 10_000, what, 5);

function produce(log: PartitionLog, batches: number, count = 2): void {
  for (let i = 0; i < batches; i++) {
    log.appendAsLeader(makeBatch({ count, timestamp: 1000 + i, valueSize: 30 }), 1);
    log.highWatermark = log.logEndOffset;
  }
}

describe('LogManager', () => {
  it('creates logs in the least loaded dir, shuts down cleanly and reloads everything', () => {
    const d1 = newDir();
    const d2 = newDir();
    const cfg = config({ segmentBytes: 2000 });
    const mgr = new LogManager({ logDirs: [d1, d2], defaultConfig: cfg });
    assert.deepEqual(mgr.loadAll(() => cfg), []);
    const a0 = mgr.createLog('a', 0, cfg);
    const a1 = mgr.createLog('a', 1, cfg);
    const b0 = mgr.createLog('b-x.y', 0, cfg);
    assert.equal(mgr.createLog('a', 0, cfg), a0);
    assert.notEqual(a0.parentDir, a1.parentDir);
    assert.ok(existsSync(join(a0.parentDir, 'a-0')));
    produce(a0, 40);
    produce(a1, 3);
    produce(b0, 10);
    b0.deleteRecordsBefore(4);
    a1.highWatermark = 4;
    const usage = mgr.logDirUsage();
    assert.equal(usage.length, 2);
    assert.equal(usage.reduce((n, u) => n + u.partitions.length, 0), 3);
    assert.ok((usage[0]!.totalBytes ?? 0) > 0);
    assert.equal(usage.flatMap((u) => u.partitions).find((p) => p.topic === 'a' && p.partition === 0)?.size, a0.size());
    mgr.shutdown();
    assert.ok(a0.isClosed);
    for (const d of [d1, d2]) {
      assert.ok(existsSync(join(d, '.kafka_cleanshutdown')));
      assert.ok(existsSync(join(d, 'recovery-point-offset-checkpoint')));
      assert.ok(existsSync(join(d, 'replication-offset-checkpoint')));
      assert.ok(existsSync(join(d, 'log-start-offset-checkpoint')));
    }
    const rp = readFileSync(join(a0.parentDir, 'recovery-point-offset-checkpoint'), 'utf8');
    assert.match(rp, /^0\n\d+\n/);
    assert.ok(rp.includes('a 0 80\n'));

    const again = new LogManager({ logDirs: [d1, d2], defaultConfig: cfg });
    const loaded = again.loadAll(() => cfg);
    assert.equal(loaded.length, 3);
    for (const d of [d1, d2]) assert.ok(!existsSync(join(d, '.kafka_cleanshutdown')));
    const ra0 = again.getLog('a', 0)!;
    assert.equal(ra0.logEndOffset, 80);
    assert.equal(ra0.highWatermark, 80);
    assert.equal(ra0.recoveryPoint, 80);
    assert.ok(ra0.segmentCount() > 1);
    assert.equal(again.getLog('a', 1)!.highWatermark, 4);
    const rb0 = again.getLog('b-x.y', 0)!;
    assert.equal(rb0.logStartOffset, 4);
    assert.equal(rb0.logEndOffset, 20);
    assert.equal(again.getLog('c', 0), undefined);
    assert.equal([...again.allLogs()].length, 3);
    again.shutdown();
  });

  it('recovers after an unclean shutdown (no marker): torn tail truncated, HW clamped', () => {
    const d = newDir();
    const cfg = config({ segmentBytes: 1500 });
    const mgr = new LogManager({ logDirs: [d], defaultConfig: cfg });
    mgr.loadAll(() => cfg);
    const log = mgr.createLog('t', 0, cfg);
    produce(log, 30);
    mgr.checkpointAll();
    const leo = log.logEndOffset;
    // "Crash": close files without flush/marker, then tear the tail.
    log.close();
    const logs = readdirSync(log.dir).filter((f) => f.endsWith('.log')).sort();
    const last = join(log.dir, logs[logs.length - 1]!);
    appendFileSync(last, makeBatch({ baseOffset: leo, count: 2 }).subarray(0, 30));
    const sizeWithGarbage = statSync(last).size;

    const again = new LogManager({ logDirs: [d], defaultConfig: cfg });
    again.loadAll(() => cfg);
    const r = again.getLog('t', 0)!;
    assert.equal(r.logEndOffset, leo);
    assert.equal(r.highWatermark, leo);
    assert.equal(statSync(last).size, sizeWithGarbage - 30);
    assert.equal(r.appendAsLeader(makeBatch({ count: 2 }), 1).firstOffset, leo);
    const bs = parseBatches(r.read(leo - 2, 10_000, leo + 2, true).records);
    assert.deepEqual(bs.map((b) => b.baseOffset), [leo - 2, leo]);
    again.shutdown();
  });

  it('clamps a checkpointed high watermark to the recovered LEO and survives a corrupt checkpoint', async () => {
    const d = newDir();
    const cfg = config();
    const mgr = new LogManager({ logDirs: [d], defaultConfig: cfg });
    mgr.loadAll(() => cfg);
    const log = mgr.createLog('t', 0, cfg);
    produce(log, 10);
    mgr.checkpointAll();
    assert.ok(readFileSync(join(d, 'replication-offset-checkpoint'), 'utf8').includes('t 0 20'));
    log.close();
    const file = join(log.dir, '00000000000000000000.log');
    truncateSync(file, statSync(file).size - 7);
    writeFileSync(join(d, 'recovery-point-offset-checkpoint'), '0\n5\nbroken');
    const again = new LogManager({ logDirs: [d], defaultConfig: cfg });
    again.loadAll(() => cfg);
    const r = again.getLog('t', 0)!;
    assert.equal(r.logEndOffset, 18);
    assert.equal(r.highWatermark, 18);
    // Recovered segments are fsynced in the background; the recovery point follows once done.
    await eventually(() => r.recoveryPoint >= 18, 'the recovery point after background fsync');
    assert.equal(r.recoveryPoint, 18);
    again.shutdown();
  });

  it('deletes logs: directory renamed and removed, checkpoints updated', async () => {
    const d = newDir();
    const cfg = config();
    const mgr = new LogManager({ logDirs: [d], defaultConfig: cfg });
    mgr.loadAll(() => cfg);
    produce(mgr.createLog('gone', 0, cfg), 3);
    produce(mgr.createLog('kept', 0, cfg), 3);
    mgr.checkpointAll();
    mgr.deleteLog('gone', 0);
    mgr.deleteLog('gone', 0); // unknown: no-op
    assert.equal(mgr.getLog('gone', 0), undefined);
    assert.ok(!existsSync(join(d, 'gone-0')));
    assert.ok(!readFileSync(join(d, 'recovery-point-offset-checkpoint'), 'utf8').includes('gone'));
    // Recreating the same partition starts empty.
    const fresh = mgr.createLog('gone', 0, cfg);
    assert.equal(fresh.logEndOffset, 0);
    await eventually(() => !readdirSync(d).some((n) => n.endsWith('-delete')), 'the -delete directory to be removed');
    assert.ok(!readdirSync(d).some((n) => n.endsWith('-delete')));
    // Leftover *-delete dirs are removed at load.
    mgr.shutdown();
    mkdirSync(join(d, 'x-0.0123456789abcdef0123456789abcdef-delete'));
    const again = new LogManager({ logDirs: [d], defaultConfig: cfg });
    assert.equal(again.loadAll(() => cfg).length, 2);
    await eventually(() => !existsSync(join(d, 'x-0.0123456789abcdef0123456789abcdef-delete')), 'the leftover -delete directory to be removed');
    assert.ok(!existsSync(join(d, 'x-0.0123456789abcdef0123456789abcdef-delete')));
    again.shutdown();
  });

  it('runs retention, flush and checkpoint tasks in the background', async () => {
    const d = newDir();
    let now = 1_000_000;
    const cfg = config({ retentionMs: 1000 });
    const mgr = new LogManager({
      logDirs: [d],
      defaultConfig: cfg,
      now: () => now,
      retentionCheckIntervalMs: 10,
      flushCheckIntervalMs: 10,
      checkpointIntervalMs: 10,
      highWatermarkCheckpointIntervalMs: 10,
    });
    mgr.loadAll(() => cfg);
    const log = mgr.createLog('t', 0, cfg);
    for (let i = 0; i < 5; i++) {
      log.appendAsLeader(makeBatch({ timestamp: now }), 0);
      log.roll();
    }
    log.highWatermark = log.logEndOffset;
    const timed = mgr.createLog('timed', 0, config({ flushIntervalMs: 5 }));
    timed.appendAsLeader(makeBatch(), 0);
    assert.equal(timed.recoveryPoint, 0);
    mgr.startBackgroundTasks();
    now += 10_000;
    await eventually(() => log.segmentCount() === 1 && timed.recoveryPoint >= 1, 'retention and the timed flush');
    assert.equal(log.segmentCount(), 1);
    assert.equal(log.logStartOffset, 5);
    assert.equal(timed.recoveryPoint, 1);
    await eventually(() => readFileSync(join(d, 'log-start-offset-checkpoint'), 'utf8').includes('t 0 5'), 'the log start offset checkpoint');
    assert.ok(readFileSync(join(d, 'log-start-offset-checkpoint'), 'utf8').includes('t 0 5'));
    mgr.shutdown();
    const again = new LogManager({ logDirs: [d], defaultConfig: cfg });
    again.loadAll(() => cfg);
    assert.equal(again.getLog('t', 0)!.logStartOffset, 5);
    again.shutdown();
  });

  it('flushes per flush.messages and advances the recovery point after a roll', async () => {
    const d = newDir();
    const mgr = new LogManager({ logDirs: [d], defaultConfig: config() });
    mgr.loadAll(() => config());
    const eager = mgr.createLog('eager', 0, config({ flushIntervalMessages: 1 }));
    eager.appendAsLeader(makeBatch({ count: 3 }), 0);
    assert.equal(eager.recoveryPoint, 3);
    const lazy = mgr.createLog('lazy', 0, config());
    lazy.appendAsLeader(makeBatch({ count: 3 }), 0);
    assert.equal(lazy.recoveryPoint, 0);
    lazy.roll();
    lazy.appendAsLeader(makeBatch({ count: 3 }), 0);
    await eventually(() => lazy.recoveryPoint >= 3, 'the recovery point after the roll');
    assert.equal(lazy.recoveryPoint, 3);
    mgr.shutdown();
  });
});
