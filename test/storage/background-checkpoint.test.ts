import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualScheduler } from '../../src/common/scheduler.js';
import { BackgroundFileWriter } from '../../src/storage/background-file-writer.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { config, makeBatch, tempDirs } from './helpers.js';
import { waitFor } from '../helpers/wire.js';

const newDir = tempDirs();

/** Background writes finish when the thread pool gets to them: wait for the effect, with a generous deadline. */
const eventually = (cond: () => boolean, what: string): Promise<boolean> => waitFor(() => cond(), 10_000, what, 5);

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** node:fs as CommonJS: its functions can be wrapped (then synced into the ESM namespace the storage code imports). */
const fsModule = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

/** Runs `fn` with every renameSync onto `target` observed: the target's link count just before each. */
async function linksOfReplacedTarget(target: string, fn: () => Promise<void>): Promise<number[]> {
  const seen: number[] = [];
  const original = fsModule.renameSync;
  fsModule.renameSync = (from, to) => {
    if (String(to) === target && existsSync(target)) seen.push(statSync(target).nlink);
    original(from, to);
  };
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    fsModule.renameSync = original;
    syncBuiltinESMExports();
  }
  return seen;
}

/**
 * A started log manager on a fresh dir with checkpoints sliced 2 logs at a time (the timers on a
 * manual clock): `partitions` logs of topic t, 10 records each, high watermark `hw`.
 */
function slicedManager(partitions: number, hw: number, intervals: { checkpointIntervalMs?: number } = {}) {
  const d = newDir();
  const scheduler = new ManualScheduler();
  const cfg = config();
  const mgr = new LogManager({ logDirs: [d], defaultConfig: cfg, scheduler, highWatermarkCheckpointIntervalMs: 5000, checkpointSlicePartitions: 2, ...intervals });
  mgr.loadAll(() => cfg);
  const logs = Array.from({ length: partitions }, (_, p) => {
    const log = mgr.createLog('t', p, cfg);
    log.appendAsLeader(makeBatch({ count: 10 }), 0);
    log.highWatermark = hw;
    return log;
  });
  return { d, scheduler, mgr, logs };
}

describe('checkpoints written off the event loop', () => {
  it('the periodic high watermark checkpoint is not written (nor fsynced) inside the timer, and lands right after', async () => {
    const d = newDir();
    const scheduler = new ManualScheduler();
    const cfg = config();
    const mgr = new LogManager({ logDirs: [d], defaultConfig: cfg, scheduler, highWatermarkCheckpointIntervalMs: 5000 });
    mgr.loadAll(() => cfg);
    const log = mgr.createLog('t', 0, cfg);
    log.appendAsLeader(makeBatch({ count: 7 }), 0);
    log.highWatermark = 7;
    mgr.startBackgroundTasks();
    const file = join(d, 'replication-offset-checkpoint');
    scheduler.advance(5000); // the checkpoint timer fires here, synchronously
    // Kafka writes it on a scheduler thread; here the timer only hands the content to the thread
    // pool, so a Produce or Fetch queued behind the timer does not wait for two fsyncs.
    assert.ok(!read(file).includes('t 0 7'), `written inside the timer callback: ${JSON.stringify(read(file))}`);
    await eventually(() => read(file).includes('t 0 7'), 'the background checkpoint');
    assert.equal(read(file), '0\n1\nt 0 7\n');
    assert.ok(!existsSync(`${file}.bg.tmp`));
    mgr.shutdown();
  });

  it('a checkpoint written at shutdown is never replaced by an older background write', async () => {
    const d = newDir();
    const scheduler = new ManualScheduler();
    const cfg = config();
    const mgr = new LogManager({ logDirs: [d], defaultConfig: cfg, scheduler, highWatermarkCheckpointIntervalMs: 5000, checkpointIntervalMs: 5000 });
    mgr.loadAll(() => cfg);
    const log = mgr.createLog('t', 0, cfg);
    log.appendAsLeader(makeBatch({ count: 10 }), 0);
    log.highWatermark = 3;
    mgr.startBackgroundTasks();
    scheduler.advance(5000); // background writes of the older state start
    log.highWatermark = 10;
    mgr.shutdown(); // synchronous checkpoints of the newer state
    await mgr.backgroundWritesDone();
    assert.equal(read(join(d, 'replication-offset-checkpoint')), '0\n1\nt 0 10\n');
    assert.equal(read(join(d, 'recovery-point-offset-checkpoint')), '0\n1\nt 0 10\n');
    for (const f of ['replication-offset-checkpoint', 'recovery-point-offset-checkpoint', 'log-start-offset-checkpoint']) assert.ok(!existsSync(join(d, `${f}.bg.tmp`)), f);
    const again = new LogManager({ logDirs: [d], defaultConfig: cfg });
    again.loadAll(() => cfg);
    assert.equal(again.getLog('t', 0)?.highWatermark, 10);
    again.shutdown();
  });

  it('content asked for while a write runs replaces older pending content; only the newest is written next', async () => {
    const d = newDir();
    const path = join(d, 'cp');
    const done: string[] = [];
    const w = new BackgroundFileWriter(path, (err, content) => {
      assert.equal(err, null);
      done.push(content);
    });
    w.write('a');
    assert.ok(w.busy);
    w.write('b');
    w.write('c');
    assert.equal(w.unsettled, 'c');
    await w.idle();
    assert.deepEqual(done, ['a', 'c']);
    assert.equal(readFileSync(path, 'utf8'), 'c');
    assert.equal(w.unsettled, null);
  });

  it('a synchronous write drops the background write in flight', async () => {
    const d = newDir();
    const path = join(d, 'cp');
    const done: string[] = [];
    const w = new BackgroundFileWriter(path, (_err, content) => done.push(content));
    w.write('old');
    w.writeSync('new');
    assert.equal(readFileSync(path, 'utf8'), 'new');
    await w.idle();
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.deepEqual(done, []);
    assert.ok(!existsSync(w.tmpPath));
  });

  it('a failed background write is reported with its error', async () => {
    const d = newDir();
    const errors: (string | undefined)[] = [];
    const w = new BackgroundFileWriter(join(d, 'missing-dir', 'cp'), (err) => errors.push(err?.code));
    w.write('x');
    await w.idle();
    assert.deepEqual(errors, ['ENOENT']);
  });

  it('the rename on the event loop never frees the replaced checkpoint (it keeps a second link, dropped on the thread pool)', async () => {
    const d = newDir();
    const path = join(d, 'cp');
    // The file being replaced has data blocks: freeing them is what blocks (a discard on ext4 -o discard).
    writeFileSync(path, 'x'.repeat(64 * 1024));
    const w = new BackgroundFileWriter(path, (err) => assert.equal(err, null));
    const links = await linksOfReplacedTarget(path, async () => {
      w.write('a');
      await w.idle();
      w.write('b');
      await w.idle();
    });
    assert.deepEqual(links, [2, 2], 'each rename onto the checkpoint drops one of two links, so the inode is not evicted on the event loop');
    assert.equal(readFileSync(path, 'utf8'), 'b');
    assert.equal(statSync(path).nlink, 1);
    assert.ok(!existsSync(w.oldPath), 'the second name is removed on the thread pool');
    assert.ok(!existsSync(w.tmpPath));
  });

  it('a leftover second name (a crash between link and unlink) is replaced, and the first write of a file needs none', async () => {
    const d = newDir();
    const path = join(d, 'cp');
    const w = new BackgroundFileWriter(path, (err) => assert.equal(err, null));
    writeFileSync(w.oldPath, 'stale');
    w.write('first'); // nothing to replace yet: no link, the rename still lands
    await w.idle();
    assert.equal(readFileSync(path, 'utf8'), 'first');
    assert.ok(!existsSync(w.oldPath));
    writeFileSync(w.oldPath, 'stale again');
    w.write('second');
    await w.idle();
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.ok(!existsSync(w.oldPath));
  });

  it('a synchronous write while the second link is held still wins, and the link is dropped', async () => {
    const d = newDir();
    const path = join(d, 'cp');
    writeFileSync(path, 'base');
    const w = new BackgroundFileWriter(path, () => undefined);
    w.write('old');
    // Let the background write reach the thread pool steps before the synchronous one.
    await eventually(() => existsSync(w.oldPath) || readFileSync(path, 'utf8') === 'old', 'the background write under way');
    w.writeSync('new');
    await w.idle();
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.ok(!existsSync(w.oldPath));
    assert.ok(!existsSync(w.tmpPath));
  });

  it('with many partitions the high watermark checkpoint is built a slice at a time, each in its own macrotask', async () => {
    // 5 logs, 2 per slice: slices [t-0, t-1], [t-2, t-3], [t-4].
    const { d, scheduler, mgr, logs } = slicedManager(5, 3);
    mgr.startBackgroundTasks();
    const file = join(d, 'replication-offset-checkpoint');
    scheduler.advance(5000); // the timer only starts the pass
    await new Promise((r) => setImmediate(r)); // the first slice (t-0, t-1) ran
    (logs[0] as (typeof logs)[0]).highWatermark = 9;
    (logs[4] as (typeof logs)[0]).highWatermark = 9;
    await eventually(() => read(file).includes('t 4 '), 'the sliced checkpoint');
    // t-0 was read before the change, t-4 after it: the pass spanned several macrotasks.
    assert.equal(read(file), '0\n5\nt 0 3\nt 1 3\nt 2 3\nt 3 3\nt 4 9\n');
    mgr.shutdown();
  });

  it('a sliced pass that a synchronous checkpoint overtook is dropped (the newer file stays)', async () => {
    const { d, scheduler, mgr, logs } = slicedManager(3, 3);
    mgr.startBackgroundTasks();
    const file = join(d, 'replication-offset-checkpoint');
    scheduler.advance(5000);
    await new Promise((r) => setImmediate(r)); // t-0 and t-1 read at 3
    for (const l of logs) l.highWatermark = 7;
    mgr.checkpointAll(); // synchronous: every partition at 7
    assert.equal(read(file), '0\n3\nt 0 7\nt 1 7\nt 2 7\n');
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r)); // the pass ends (stale)
    await mgr.backgroundWritesDone();
    assert.equal(read(file), '0\n3\nt 0 7\nt 1 7\nt 2 7\n', 'the pass that read t-0 at 3 did not replace it');
    // The next pass runs normally.
    logs[2]!.highWatermark = 8;
    scheduler.advance(5000);
    await eventually(() => read(file).includes('t 2 8'), 'the next pass');
    mgr.shutdown();
  });

  it('the 60 s pass is sliced too (recovery points, high watermarks, log start offsets), also when the high watermark pass runs at the same moment', async () => {
    // Both timers fire in the same advance: the full pass waits for the high watermark one, then runs.
    const { d, scheduler, mgr, logs } = slicedManager(3, 4, { checkpointIntervalMs: 5000 });
    for (const log of logs) log.flush();
    mgr.startBackgroundTasks();
    scheduler.advance(5000);
    const rp = join(d, 'recovery-point-offset-checkpoint');
    const ls = join(d, 'log-start-offset-checkpoint');
    await eventually(() => read(rp).includes('t 2 10') && read(ls).includes('t 2 0'), 'the sliced 60 s pass');
    await mgr.backgroundWritesDone();
    assert.equal(read(rp), '0\n3\nt 0 10\nt 1 10\nt 2 10\n');
    assert.equal(read(join(d, 'replication-offset-checkpoint')), '0\n3\nt 0 4\nt 1 4\nt 2 4\n');
    assert.equal(read(ls), '0\n3\nt 0 0\nt 1 0\nt 2 0\n');
    mgr.shutdown();
  });
});
