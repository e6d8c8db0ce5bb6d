import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CheckpointFile, LeaderEpochCheckpointFile, OffsetCheckpointFile } from '../../src/storage/checkpoint-file.js';
import { CorruptCheckpointError } from '../../src/storage/errors.js';
import { LeaderEpochCache } from '../../src/storage/leader-epoch-cache.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { config, makeBatch, tempDirs } from './helpers.js';

const newDir = tempDirs();

describe('checkpoint files', () => {
  it('round-trips offset checkpoints in Kafka text format, atomically', () => {
    const dir = newDir();
    const file = new OffsetCheckpointFile(join(dir, 'recovery-point-offset-checkpoint'));
    assert.deepEqual(file.read(), []);
    const entries = [
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my.topic-with-dash', partition: 12, offset: 9007199254740991 },
    ];
    file.write(entries);
    assert.equal(readFileSync(file.path, 'utf8'), '0\n2\norders 0 42\nmy.topic-with-dash 12 9007199254740991\n');
    assert.deepEqual(file.read(), entries);
    assert.equal(file.readMap().get('my.topic-with-dash-12'), 9007199254740991);
    assert.ok(!existsSync(`${file.path}.tmp`));
    file.write([]);
    assert.equal(readFileSync(file.path, 'utf8'), '0\n0\n');
    assert.deepEqual(file.read(), []);
  });

  it('rejects malformed checkpoint files', () => {
    const dir = newDir();
    const path = join(dir, 'cp');
    const file = new CheckpointFile(path, 0, { toLine: (n: number) => String(n), fromLine: (l) => (/^\d+$/.test(l) ? Number(l) : undefined) });
    for (const bad of ['', '1\n0\n', '0\n2\n5\n', '0\nx\n', '0\n1\nabc\n']) {
      writeFileSync(path, bad);
      assert.throws(() => file.read(), CorruptCheckpointError, JSON.stringify(bad));
    }
    writeFileSync(path, '0\n2\n5\n6\n');
    assert.deepEqual(file.read(), [5, 6]);
  });
});

describe('LeaderEpochCache', () => {
  it('assigns, answers endOffsetFor/epochForOffset, truncates and persists', () => {
    const dir = newDir();
    let leo = 0;
    const cache = new LeaderEpochCache(dir, () => leo);
    assert.equal(cache.latestEpoch(), -1);
    assert.deepEqual(cache.endOffsetFor(0), { epoch: -1, endOffset: -1 });
    cache.assign(1, 0);
    cache.assign(1, 5); // same epoch, later offset: no-op
    cache.assign(3, 10);
    cache.assign(5, 20);
    leo = 30;
    assert.deepEqual(cache.entries(), [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 5, startOffset: 20 },
    ]);
    assert.equal(cache.latestEpoch(), 5);
    assert.deepEqual(cache.endOffsetFor(5), { epoch: 5, endOffset: 30 });
    assert.deepEqual(cache.endOffsetFor(3), { epoch: 3, endOffset: 20 });
    assert.deepEqual(cache.endOffsetFor(4), { epoch: 3, endOffset: 20 });
    assert.deepEqual(cache.endOffsetFor(0), { epoch: 0, endOffset: 0 });
    assert.deepEqual(cache.endOffsetFor(6), { epoch: -1, endOffset: -1 });
    assert.deepEqual(cache.endOffsetFor(-1), { epoch: -1, endOffset: -1 });
    assert.equal(cache.epochForOffset(15), 3);
    assert.equal(cache.epochForOffset(25), 5);
    assert.equal(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n3\n1 0\n3 10\n5 20\n');

    // A new epoch starting at an earlier offset replaces conflicting entries.
    cache.assign(4, 15);
    assert.deepEqual(cache.entries().map((e) => e.epoch), [1, 3, 4]);
    cache.truncateFromEnd(15);
    assert.deepEqual(cache.entries().map((e) => e.epoch), [1, 3]);
    cache.truncateFromStart(12);
    assert.deepEqual(cache.entries(), [{ epoch: 3, startOffset: 12 }]);

    const reloaded = new LeaderEpochCache(dir, () => leo);
    assert.deepEqual(reloaded.entries(), [{ epoch: 3, startOffset: 12 }]);
    reloaded.clearAndFlush();
    assert.deepEqual(new LeaderEpochCache(dir, () => leo).entries(), []);
    assert.deepEqual(new LeaderEpochCheckpointFile(join(dir, 'leader-epoch-checkpoint')).read(), []);
  });

  it('is maintained by the log: appends, reopen, truncation and retention', () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config());
    log.appendAsLeader(makeBatch({ count: 5 }), 0);
    log.appendAsLeader(makeBatch({ count: 5 }), 0);
    log.roll();
    log.appendAsLeader(makeBatch({ count: 5 }), 2);
    log.appendAsLeader(makeBatch({ count: 5 }), 7);
    assert.deepEqual(log.leaderEpochs.entries(), [
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
      { epoch: 7, startOffset: 15 },
    ]);
    assert.deepEqual(log.leaderEpochs.endOffsetFor(2), { epoch: 2, endOffset: 15 });
    assert.deepEqual(log.leaderEpochs.endOffsetFor(7), { epoch: 7, endOffset: 20 });
    log.close();
    const again = PartitionLog.open(dir, 't', 0, config(), { highWatermark: 20 });
    assert.equal(again.leaderEpochs.latestEpoch(), 7);
    again.truncateTo(15);
    assert.equal(again.leaderEpochs.latestEpoch(), 2);
    again.deleteRecordsBefore(12);
    assert.deepEqual(again.leaderEpochs.entries(), [{ epoch: 2, startOffset: 12 }]);
    again.close();
  });

  it('is rebuilt from batches during recovery when the checkpoint is lost', () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config());
    log.appendAsLeader(makeBatch({ count: 2 }), 3);
    log.appendAsLeader(makeBatch({ count: 2 }), 4);
    log.close();
    writeFileSync(join(dir, 'leader-epoch-checkpoint'), 'garbage');
    const again = PartitionLog.open(dir, 't', 0, config(), { recover: true });
    assert.deepEqual(again.leaderEpochs.entries(), [
      { epoch: 3, startOffset: 0 },
      { epoch: 4, startOffset: 2 },
    ]);
    again.close();
  });

  it('truncating at or past the log end drops an epoch entry with no records (a leader replaced before it appended)', () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config());
    log.appendAsLeader(makeBatch({ count: 5 }), 2);
    // Became leader at epoch 4 (its start recorded at the log end), then replaced before any append.
    log.leaderEpochs.assign(4, log.logEndOffset);
    assert.equal(log.leaderEpochs.latestEpoch(), 4);
    log.truncateTo(log.logEndOffset);
    assert.equal(log.leaderEpochs.latestEpoch(), 2, 'the empty epoch 4 is gone: the follower asks its leader about epoch 2 next');
    assert.equal(log.logEndOffset, 5);
    log.close();
  });
  it('a restart does not rewrite the checkpoint of a partition whose leader records the same epoch again', () => {
    // An empty partition: the load drops (epoch 0, offset 0) as Kafka does, the leader puts it back.
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config());
    log.leaderEpochs.assign(0, 0);
    log.close();
    const path = join(dir, 'leader-epoch-checkpoint');
    const before = statSync(path);
    for (let i = 0; i < 3; i++) {
      const again = PartitionLog.open(dir, 't', 0, config());
      assert.equal(again.leaderEpochs.latestEpoch(), -1, 'dropped at load: no record of epoch 0 yet');
      again.leaderEpochs.assign(0, again.logEndOffset);
      again.close();
    }
    const after = statSync(path);
    assert.equal(after.ino, before.ino, 'not replaced (each rewrite is a new file renamed over the old one)');
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(readFileSync(path, 'utf8'), '0\n1\n0 0\n');
  });

  it('a load-time truncation is written before the log grows past the entry it dropped', () => {
    const dir = newDir();
    const log = PartitionLog.open(dir, 't', 0, config());
    log.appendAsLeader(makeBatch({ count: 5 }), 2);
    log.leaderEpochs.assign(4, log.logEndOffset); // leader at epoch 4, replaced before any append
    log.close();
    const path = join(dir, 'leader-epoch-checkpoint');
    assert.equal(readFileSync(path, 'utf8'), '0\n2\n2 0\n4 5\n');
    const again = PartitionLog.open(dir, 't', 0, config());
    assert.deepEqual(again.leaderEpochs.entries(), [{ epoch: 2, startOffset: 0 }]);
    // As a follower it appends more epoch-2 records (no new epoch: the cache itself does not change).
    again.appendAsFollower(makeBatch({ baseOffset: 5, count: 3, epoch: 2 }));
    assert.equal(readFileSync(path, 'utf8'), '0\n1\n2 0\n', 'epoch 4 no longer claims offset 5');
    again.close();
    const third = PartitionLog.open(dir, 't', 0, config());
    assert.deepEqual(third.leaderEpochs.entries(), [{ epoch: 2, startOffset: 0 }]);
    third.close();
  });
});
