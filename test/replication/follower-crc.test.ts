/**
 * A follower checks the CRC of every batch it fetched before appending it, as Kafka's follower
 * append does (a batch damaged on its way is CORRUPT_MESSAGE, nothing of that answer is written;
 * the replica fetcher logs it and fetches the partition again after its backoff): on real
 * Partitions, and end to end with a leader whose log bytes were damaged on disk.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { ManualScheduler } from '../../src/common/scheduler.js';
import { Partition } from '../../src/broker/partition.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { defaultLogConfig } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { WireClient, API, waitFor } from '../helpers/wire.js';

const fx = useEtcd({ before, after });

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

/** Flips bit 0 of the byte at `position` of `file` (in place, through the page cache the leader sends from). */
function flipByte(file: string, position: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, position);
    b[0] = (b[0] as number) ^ 0x01;
    writeSync(fd, b, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

test('a follower fetching damaged batches from its leader appends none of them, retries, and catches up once they are intact', { timeout: 90_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 2 });
  t.after(() => cluster.stop());
  const waitFor_ = <T>(what: string, fn: () => T | undefined | Promise<T | undefined>): Promise<NonNullable<T>> => waitFor(fn, 30_000, what, 50) as Promise<NonNullable<T>>;
  try {
    const admin = await WireClient.connect(cluster.broker(1).port);
    t.after(() => admin.close());
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name: 'crc', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [{ name: 'min.insync.replicas', value: '1' }] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
    await waitFor_('broker 1 to lead crc-0 with both replicas in sync', () => {
      const p = cluster.broker(1).broker.metadata.image().topic('crc')?.partitions[0];
      return p !== undefined && p.leader === 1 && p.isr.length === 2 ? true : undefined;
    });
    const r0 = await admin.produce('crc', 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: 'first', timestamp: 1_000n }] }), -1);
    assert.equal(r0.errorCode, 0);
    await waitFor_('broker 2 to hold the first record', () => (cluster.broker(2).broker.replicas.partition('crc', 0)?.logEndOffset === 1 ? true : undefined));

    // While broker 2 is down the leader appends two more records; then one byte of them is damaged on its disk.
    await cluster.stopBroker(2);
    await waitFor_('the ISR to shrink to broker 1', () => (cluster.broker(1).broker.metadata.image().topic('crc')?.partitions[0]?.isr.join() === '1' ? true : undefined));
    const r1 = await admin.produce('crc', 0, encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: 'second', timestamp: 1_000n }, { value: 'third', timestamp: 1_000n }] }), -1);
    assert.equal(r1.errorCode, 0);
    const dir = join(cluster.brokers[0]?.dataDir as string, readdirSync(cluster.brokers[0]?.dataDir as string).find((d) => d.startsWith('crc-')) as string);
    const segment = join(dir, '00000000000000000000.log');
    const damageAt = statSync(segment).size - 3; // inside the last record's value
    flipByte(segment, damageAt);

    await cluster.startBroker(2);
    const lines = (cluster.brokers[1]?.lines ?? []) as string[];
    const corruptLines = (): number => lines.filter((l) => l.includes('are corrupt, not appended')).length;
    // Refused at least twice (fetched again after the backoff), never appended.
    await waitFor_('broker 2 to refuse the damaged answer twice', () => (corruptLines() >= 2 ? true : undefined));
    assert.equal(cluster.broker(2).broker.replicas.partition('crc', 0)?.logEndOffset, 1, 'nothing of the damaged answer was appended');

    // The leader's bytes are intact again: the follower catches up with the same bytes.
    flipByte(segment, damageAt);
    await waitFor_('broker 2 to catch up', () => (cluster.broker(2).broker.replicas.partition('crc', 0)?.logEndOffset === 3 ? true : undefined));
    const leaderBytes = cluster.broker(1).broker.replicas.partition('crc', 0)?.log.read(0, 1 << 20, 3, true).records;
    const followerBytes = cluster.broker(2).broker.replicas.partition('crc', 0)?.log.read(0, 1 << 20, 3, true).records;
    assert.ok(leaderBytes !== undefined && followerBytes !== undefined);
    assert.deepEqual(Buffer.from(followerBytes), Buffer.from(leaderBytes));
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
