/**
 * Consumer fetches that reach a follower without `replica.selector.class` (src/broker/follower-reads.ts),
 * on three in-process brokers:
 * - on the wire: a follower answers a consumer's Fetch v11 (no leader epoch, as librdkafka before
 *   2.1 sends it) NOT_LEADER_OR_FOLLOWER, records or not, and never OFFSET_OUT_OF_RANGE for an
 *   offset past its log end; the leader serves the same fetch, and answers OFFSET_OUT_OF_RANGE past
 *   its own log end;
 * - a confluent-kafka consumer (librdkafka 2.0.2) reading a partition whose leadership then moves
 *   to another broker (preferred leader election) follows the new leader: the old leader, now a
 *   follower, serves it nothing. Before, the old leader kept serving it as a follower, and once
 *   such a follower lagged the consumer's position its OFFSET_OUT_OF_RANGE made librdkafka apply
 *   auto.offset.reset (offset 0, below the group's commits: the likely cause of the chaos test's
 *   CI failure).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { consumedBy, numberedValues as values, startAssignedConsumer } from '../helpers/failover-clients.js';
import { WireClient, API, waitFor, withClient } from '../helpers/wire.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });
let started: Promise<TestCluster> | undefined;

/** Three brokers, no replica selector (the default): no leader ever sends a consumer to a follower. */
async function cluster(): Promise<TestCluster> {
  started ??= startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 }).then((c) => {
    fx.closeLater(() => c.stop());
    return c;
  });
  return started;
}

/** Creates `topic` with one partition on `replicas` (the first leads) and waits for the full ISR on every broker. */
async function createTopic(c: TestCluster, topic: string, replicas: number[]): Promise<void> {
  const admin = await WireClient.connect(c.broker(replicas[0] as number).port);
  try {
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  } finally {
    admin.close();
  }
  await ledBy(c, topic, replicas[0] as number);
}

async function ledBy(c: TestCluster, topic: string, leader: number): Promise<void> {
  await waitFor(() => c.brokers.every((b) => {
    const p = b.running?.broker.metadata.image().topic(topic)?.partitions[0];
    return p !== undefined && p.leader === leader && p.isr.length === 3;
  }) || undefined, 30_000, `${topic}-0 led by ${leader} with a full ISR on every broker`, 50);
}

/** Produces `n` records to `leader` with acks=all. */
function produce(c: TestCluster, leader: number, topic: string, prefix: string, n: number): Promise<void> {
  return withClient(c.broker(leader).port, (w) => w.produceNumbered(topic, prefix, n));
}

/** A consumer's Fetch v11 of partition 0 at `offset`, without a leader epoch and without a rack (librdkafka 2.0). */
function consumerFetch(port: number, topic: string, offset: bigint): Promise<{ errorCode: number; records: Buffer | null }> {
  return withClient(port, (w) => w.fetchOnce(topic, 0, offset, 1 << 20, 0, { version: 11 }));
}

test('without a replica selector a follower answers a consumer NOT_LEADER_OR_FOLLOWER, never OFFSET_OUT_OF_RANGE; the leader serves it', { timeout: 120_000 }, async () => {
  const c = await cluster();
  await createTopic(c, 'frw', [1, 2, 3]);
  await produce(c, 1, 'frw', 'w', 5);
  await waitFor(() => [2, 3].every((id) => c.broker(id).broker.replicas.partition('frw', 0)?.highWatermark === 5) || undefined, 20_000, 'followers at high watermark 5', 50);

  const fromLeader = await consumerFetch(c.broker(1).port, 'frw', 0n);
  assert.equal(fromLeader.errorCode, ErrorCode.NONE);
  assert.ok((fromLeader.records?.length ?? 0) > 0, 'the leader serves the consumer');
  for (const follower of [2, 3]) {
    const before = c.broker(follower).broker.followerReads.followerReads;
    const inRange = await consumerFetch(c.broker(follower).port, 'frw', 0n);
    assert.equal(inRange.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, `follower ${follower} at offset 0`);
    assert.equal(inRange.records?.length ?? 0, 0, `follower ${follower} served no records`);
    // Past its log end (the leader may have it): the follower cannot tell, so it does not say "out of range".
    const past = await consumerFetch(c.broker(follower).port, 'frw', 50n);
    assert.equal(past.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, `follower ${follower} at offset 50`);
    assert.equal(c.broker(follower).broker.followerReads.followerReads, before, `follower ${follower} counted no follower read`);
  }
  // The leader alone says whether an offset is out of range.
  assert.equal((await consumerFetch(c.broker(1).port, 'frw', 50n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});

test('a confluent-kafka consumer follows a leadership move instead of reading on from the old leader, now a follower', { timeout: 180_000 }, async (t) => {
  const c = await cluster();
  // Preferred leader 2; with broker 2 stopped and back (a follower again), broker 1 leads.
  await createTopic(c, 'frc', [2, 1, 3]);
  await c.stopBroker(2);
  await waitFor(() => c.broker(1).broker.metadata.image().topic('frc')?.partitions[0]?.leader === 1 || undefined, 30_000, 'broker 1 leads frc-0', 50);
  await c.startBroker(2);
  await ledBy(c, 'frc', 1);
  await produce(c, 1, 'frc', 'a', 20);

  const consumer = startAssignedConsumer({ bootstrap: c.bootstrap(), topic: 'frc', config: { 'group.id': 'frc-assign' } });
  t.after(() => consumer.kill());
  await waitFor(() => consumedBy(consumer).length >= 20 || undefined, 60_000, `20 records consumed from broker 1 (${consumer.stderr()})`, 50);
  const oldLeaderReads = c.broker(1).broker.followerReads;
  const readsBefore = oldLeaderReads.followerReads;

  // Preferred leader election: broker 2 leads, broker 1 follows (and stays up).
  const admin = await WireClient.connect(c.broker(3).port);
  try {
    const r = await admin.request(43, 2, { electionType: 0, topicPartitions: [{ topic: 'frc', partitions: [0] }], timeoutMs: 10_000 });
    assert.equal(r.errorCode, 0);
    assert.equal(r.replicaElectionResults[0].partitionResult[0].errorCode, 0, r.replicaElectionResults[0].partitionResult[0].errorMessage ?? '');
  } finally {
    admin.close();
  }
  await ledBy(c, 'frc', 2);
  await produce(c, 2, 'frc', 'b', 20);
  await waitFor(() => consumedBy(consumer).length >= 40 || undefined, 60_000, `40 records consumed after the leadership moved (${consumedBy(consumer).length})`, 50);
  assert.deepEqual(consumedBy(consumer).map((r) => r.v), [...values('a', 20), ...values('b', 20)], 'every record once, in order');
  assert.equal(oldLeaderReads.followerReads, readsBefore, 'broker 1, now a follower, served the consumer nothing');
});
