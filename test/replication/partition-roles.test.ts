/**
 * A Partition's replication roles on real logs, without a network: a leader and a follower pass
 * batches by hand the way the replica fetcher does. The leader's high watermark waits for the
 * follower; acks=all-style waiters settle when it moves; a follower refuses produce, appends the
 * leader's batches with their offsets and epochs, rebuilds idempotent producer state from them
 * (so as the next leader it still recognises a retried batch), and truncates a divergent tail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { ManualScheduler } from '../../src/common/scheduler.js';
import { Partition } from '../../src/broker/partition.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { defaultLogConfig } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';

function open(dir: string, name: string): Partition {
  const log = PartitionLog.open(join(dir, name, 't-0'), 't', 0, defaultLogConfig);
  return new Partition('t', 0, 'id', log, 0, { maxMessageBytes: 1 << 20, minInsyncReplicas: 1 });
}

function batch(pid: bigint, seq: number, count = 1): Buffer {
  return encodeRecordBatch({
    producerId: pid,
    producerEpoch: 0,
    baseSequence: seq,
    baseTimestamp: 1_000n,
    records: Array.from({ length: count }, (_, i) => ({ value: `v${seq + i}`, timestamp: 1_000n })),
  });
}

/** What the follower's fetch would return: the leader's bytes from `offset` to its log end. */
function readFrom(p: Partition, offset: number): Buffer {
  return p.log.read(offset, 1 << 20, p.logEndOffset, true).records;
}

function withDir(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-roles-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('leader and follower: the high watermark waits for the follower; waiters settle; producer state follows', withDir((dir) => {
  const clock = new ManualScheduler();
  const leader = open(dir, 'a');
  const follower = open(dir, 'b');
  leader.becomeLeader(1, 1, [1, 2], [1, 2], clock);
  follower.becomeFollower(1, ErrorCode.NOT_LEADER_OR_FOLLOWER);

  assert.throws(() => follower.appendAsLeader(batch(7n, 0)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);

  const r = leader.appendAsLeader(batch(7n, 0, 3), { origin: 'client' });
  assert.equal(leader.highWatermark, 0, 'the follower has not fetched');
  const settled: (number | null)[] = [] as (number | null)[];
  leader.commitWaiters.add({ requiredOffset: r.lastOffset + 1, settle: (e) => settled.push(e) }, leader.highWatermark);

  // Follower fetch #1 at 0: gets the batch; the leader learns the follower is at 0.
  leader.recordFollowerFetch(2, follower.logEndOffset);
  follower.appendFromLeader(readFrom(leader, 0));
  follower.leaderProgress(leader.highWatermark, leader.logStartOffset);
  assert.equal(follower.logEndOffset, 3);
  assert.deepEqual([...settled], []);
  // Fetch #2 at 3: the follower has everything; the high watermark moves and the waiter settles.
  assert.equal(leader.recordFollowerFetch(2, follower.logEndOffset), true);
  assert.equal(leader.highWatermark, 3);
  assert.deepEqual([...settled], [null]);
  follower.leaderProgress(leader.highWatermark, leader.logStartOffset);
  assert.equal(follower.highWatermark, 3);
  assert.equal(follower.log.leaderEpochs.latestEpoch(), 1, 'the leader epoch travelled with the batch');

  // Failover: the follower becomes leader at epoch 2 and still recognises the producer's retry.
  follower.becomeLeader(2, 2, [1, 2], [2], clock);
  const retry = follower.appendAsLeader(batch(7n, 0, 3), { origin: 'client' });
  assert.equal(retry.duplicate, true);
  assert.equal(retry.firstOffset, 0);
  assert.equal(follower.appendAsLeader(batch(7n, 3), { origin: 'client' }).firstOffset, 3);

  // The old leader, now a follower, fails its waiters.
  leader.commitWaiters.add({ requiredOffset: 100, settle: (e) => settled.push(e) }, leader.highWatermark);
  leader.becomeFollower(2, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(settled as unknown[], [null, ErrorCode.NOT_LEADER_OR_FOLLOWER]);
  leader.log.close();
  follower.log.close();
}));

test('a follower truncates its divergent tail and rebuilds producer state to that point', withDir((dir) => {
  const clock = new ManualScheduler();
  const p = open(dir, 'a');
  p.becomeLeader(1, 1, [1], [1], clock);
  p.appendAsLeader(batch(9n, 0, 2), { origin: 'client' });
  p.appendAsLeader(batch(9n, 2, 2), { origin: 'client' }); // offsets 2-3: never replicated
  assert.equal(p.logEndOffset, 4);
  p.becomeFollower(2, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  p.truncateTo(2);
  assert.equal(p.logEndOffset, 2);
  assert.equal(p.producers.entry(9n)?.batches.at(-1)?.lastSeq, 1, 'producer state forgot sequences 2-3');
  p.log.close();
}));
