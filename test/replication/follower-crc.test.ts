/**
 * A follower checks the CRC of every batch it fetched before appending it, as Kafka's follower
 * append does (a batch damaged on its way is CORRUPT_MESSAGE, nothing of that answer is written;
 * the replica fetcher logs it and fetches the partition again after its backoff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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

function batch(seq: number, count: number): Buffer {
  return encodeRecordBatch({
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    baseTimestamp: 1_000n,
    records: Array.from({ length: count }, (_, i) => ({ value: `value-${seq + i}`, timestamp: 1_000n })),
  });
}

const corrupt = (e: unknown): boolean => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE;

test('a follower refuses fetched batches whose CRC does not match, writing nothing of them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-follower-crc-'));
  try {
    const leader = open(dir, 'a');
    const follower = open(dir, 'b');
    leader.becomeLeader(1, 1, [1, 2], [1, 2], new ManualScheduler());
    follower.becomeFollower(1, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    leader.appendAsLeader(batch(0, 3), { origin: 'client' });
    leader.appendAsLeader(batch(3, 2), { origin: 'client' });
    const fetched = leader.log.read(0, 1 << 20, leader.logEndOffset, true).records;
    const intact = Buffer.from(fetched);

    // One bit of the second batch's last record value flipped on the way.
    const damaged = Buffer.from(fetched);
    damaged[damaged.length - 2] = (damaged[damaged.length - 2] as number) ^ 0x01;
    assert.throws(() => follower.appendFromLeader(damaged), corrupt);
    assert.equal(follower.logEndOffset, 0, 'nothing appended, the intact first batch included');
    assert.equal(statSync(join(dir, 'b', 't-0', '00000000000000000000.log')).size, 0);

    // A damaged CRC field is refused the same way.
    const badCrc = Buffer.from(fetched);
    badCrc[17] = (badCrc[17] as number) ^ 0xff;
    assert.throws(() => follower.appendFromLeader(badCrc), corrupt);
    assert.equal(follower.logEndOffset, 0);

    // The same answer fetched again intact is appended.
    follower.appendFromLeader(intact);
    assert.equal(follower.logEndOffset, 5);
    assert.deepEqual(follower.log.read(0, 1 << 20, 5, true).records, intact);
    leader.log.close();
    follower.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
