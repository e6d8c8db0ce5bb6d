/**
 * Fetch from follower (KIP-392) on three in-process brokers in racks rack-1..rack-3 with
 * replica.selector.class = RackAwareReplicaSelector:
 * - on the wire: the leader answers a consumer's Fetch v11 from another rack's client with the
 *   follower in that rack as preferred read replica (and no records); a follower serves Fetch v11
 *   up to its high watermark and refuses Fetch v10 (NOT_LEADER_OR_FOLLOWER), and answers an offset
 *   past its log end NOT_LEADER_OR_FOLLOWER where the leader says OFFSET_OUT_OF_RANGE;
 * - a confluent-kafka consumer with client.rack reads from the follower in its rack (the
 *   follower's counters show it served the reads); with that follower stopped, the leader serves
 *   the rack's consumers;
 * - a kafkajs consumer with rackId reads from the follower in its rack and falls back to the
 *   leader when that follower stops;
 * - no timer of the brokers (preferred read replica, fetch sessions, delayed fetches) was armed
 *   with a negative, NaN or overflowing delay during all of the above (timer-guard.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { consumedBy, numberedValues as values, startAssignedConsumer } from '../helpers/failover-clients.js';
import { WireClient, API, waitFor, withClient } from '../helpers/wire.js';
import { Kafka, logLevel } from 'kafkajs';
import { guardTimers, type TimerGuard } from '../helpers/timer-guard.js';

const RACK_AWARE = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
const fx = useEtcd({ before, after });
let timers: TimerGuard | undefined;
before(() => {
  timers = guardTimers();
});
after(() => timers?.uninstall());
let started: Promise<TestCluster> | undefined;

async function cluster(): Promise<TestCluster> {
  started ??= startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    config: { 'replica.selector.class': RACK_AWARE },
    brokerConfig: (id) => ({ 'broker.rack': `rack-${id}` }),
  }).then((c) => {
    // Stopped before etcd (the fixture's after() stops etcd first otherwise).
    fx.closeLater(() => c.stop());
    return c;
  });
  return started;
}

/** Creates `topic` on replicas [1, 2, 3] (broker 1 leads) and waits for the full ISR on every broker. */
async function createTopic(c: TestCluster, topic: string): Promise<void> {
  const admin = await WireClient.connect(c.broker(1).port);
  try {
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  } finally {
    admin.close();
  }
  await waitFor(() => c.brokers.every((b) => {
    const p = b.running?.broker.metadata.image().topic(topic)?.partitions[0];
    return p !== undefined && p.leader === 1 && p.isr.length === 3;
  }) || undefined, 30_000, `${topic}-0 led by 1 with a full ISR`, 50);
}

/** Produces `n` records to the leader (broker 1) with acks=all. */
function produce(c: TestCluster, topic: string, prefix: string, n: number): Promise<void> {
  return withClient(c.broker(1).port, (w) => w.produceNumbered(topic, prefix, n));
}

/** The partition of a Fetch (by name, v11 or v10) from offset 0 with `rackId`. */
function fetch(port: number, version: number, topic: string, rackId: string, offset = 0n): Promise<{ errorCode: number; highWatermark: bigint; preferredReadReplica: number; records: Buffer | null }> {
  return withClient(port, (w) => w.fetchOnce(topic, 0, offset, 1 << 20, 0, { version, rackId }));
}

test('the leader names the follower in the client rack; a follower serves Fetch v11 up to its high watermark', { timeout: 120_000 }, async () => {
  const c = await cluster();
  await createTopic(c, 'ffw');
  await produce(c, 'ffw', 'w', 5);
  // Every follower has the high watermark 5 (learnt with its next fetch).
  await waitFor(() => [2, 3].every((id) => c.broker(id).broker.replicas.partition('ffw', 0)?.highWatermark === 5) || undefined, 20_000, 'followers at high watermark 5', 50);

  const leader = c.broker(1).port;
  const redirected = await fetch(leader, 11, 'ffw', 'rack-2');
  assert.equal(redirected.errorCode, 0);
  assert.equal(redirected.preferredReadReplica, 2);
  assert.equal(redirected.records?.length ?? 0, 0, 'a redirected fetch carries no records');
  assert.equal(redirected.highWatermark, 5n);
  // The leader's own rack, an unknown rack, no rack: read from the leader.
  for (const rack of ['rack-1', 'rack-9', '']) {
    const r = await fetch(leader, 11, 'ffw', rack);
    assert.equal(r.preferredReadReplica, -1, `rack '${rack}'`);
    assert.ok((r.records?.length ?? 0) > 0, `rack '${rack}' reads records from the leader`);
  }
  const before = c.broker(3).broker.followerReads.followerReads;
  const fromFollower = await fetch(c.broker(3).port, 11, 'ffw', 'rack-3');
  assert.equal(fromFollower.errorCode, 0);
  assert.equal(fromFollower.highWatermark, 5n);
  assert.equal(fromFollower.preferredReadReplica, -1);
  assert.ok((fromFollower.records?.length ?? 0) > 0, 'the follower served records');
  assert.equal(c.broker(3).broker.followerReads.followerReads, before + 1);
  // Before v11 a consumer has no client metadata: only the leader serves it.
  assert.equal((await fetch(c.broker(3).port, 10, 'ffw', '')).errorCode, 6);
});

test('a follower answers a consumer past its log end NOT_LEADER_OR_FOLLOWER (the leader decides what is out of range)', { timeout: 120_000 }, async () => {
  const c = await cluster();
  await createTopic(c, 'ffo');
  await produce(c, 'ffo', 'o', 3);
  await waitFor(() => [2, 3].every((id) => c.broker(id).broker.replicas.partition('ffo', 0)?.highWatermark === 3) || undefined, 20_000, 'followers at high watermark 3', 50);
  const at = async (port: number, offset: bigint): Promise<number> => (await fetch(port, 11, 'ffo', 'rack-3', offset)).errorCode;
  // A follower may lag the leader: an offset it lacks may exist there (follower-reads.ts).
  assert.equal(await at(c.broker(3).port, 40n), 6, 'follower: NOT_LEADER_OR_FOLLOWER');
  assert.equal(await at(c.broker(1).port, 40n), 1, 'leader: OFFSET_OUT_OF_RANGE');
  assert.equal(await at(c.broker(3).port, 0n), 0, 'the follower still serves what it has');
});

test('a confluent-kafka consumer with client.rack reads from the follower in its rack; with that follower stopped the leader serves the rack', { timeout: 180_000 }, async (t) => {
  const c = await cluster();
  await createTopic(c, 'ffr');
  await produce(c, 'ffr', 'a', 20);
  const f3Before = c.broker(3).broker.followerReads.followerReads;
  const consumer = startAssignedConsumer({ bootstrap: c.bootstrap(), topic: 'ffr', config: { 'group.id': 'ffr-assign', 'client.rack': 'rack-2', 'topic.metadata.refresh.interval.ms': 1000 } }, 'confluent-kafka rack consumer');
  t.after(() => consumer.kill());
  await waitFor(() => consumedBy(consumer).length >= 20 || undefined, 60_000, `20 records consumed (${consumer.stderr()})`, 50);
  const f2 = c.broker(2).broker.followerReads;
  const f3 = c.broker(3).broker.followerReads;
  assert.ok(c.broker(1).broker.followerReads.redirects > 0, 'the leader redirected the consumer');
  assert.ok(f2.followerReads > 0 && f2.followerBytes > 0, 'broker 2 (rack-2) served the reads');
  assert.equal(f3.followerReads, f3Before, 'broker 3 (rack-3) served nothing');
  assert.deepEqual(consumedBy(consumer).map((r) => r.v), values('a', 20));
  console.log(`confluent-kafka: follower 2 served ${f2.followerReads} reads, ${f2.followerBytes} bytes; leader redirects ${c.broker(1).broker.followerReads.redirects}`);
  await consumer.kill();

  // Broker 2 stops: the leader no longer names it; a consumer in rack-2 reads from the leader.
  // (librdkafka 2.0.2, Debian's, keeps a consumer already sent to a preferred replica on it until
  // that replica answers an error or its 5-minute lease ends; newer librdkafka and the Java client
  // return to the leader when the replica's connection fails: see the kafkajs test below.)
  await c.stopBroker(2);
  await produce(c, 'ffr', 'b', 20);
  const redirectsBefore = c.broker(1).broker.followerReads.redirects;
  const second = startAssignedConsumer({ bootstrap: c.bootstrap(), topic: 'ffr', config: { 'group.id': 'ffr-assign', 'client.rack': 'rack-2', 'topic.metadata.refresh.interval.ms': 1000 } }, 'confluent-kafka rack consumer 2');
  t.after(() => second.kill());
  await waitFor(() => consumedBy(second).length >= 40 || undefined, 60_000, `40 records consumed with broker 2 stopped (${second.stderr()})`, 50);
  assert.deepEqual(consumedBy(second).map((r) => r.v), [...values('a', 20), ...values('b', 20)]);
  assert.equal(c.broker(1).broker.followerReads.redirects, redirectsBefore, 'no redirection to a stopped broker');
  assert.equal(f3.followerReads, f3Before, 'the other rack\'s follower served nothing');
  await second.kill();
  await c.startBroker(2);
  await waitFor(() => c.brokers.every((b) => b.running?.broker.metadata.image().topic('ffr')?.partitions[0]?.isr.length === 3) || undefined, 30_000, 'broker 2 back in the ISR', 50);
});

test('a kafkajs consumer with rackId reads from the follower in its rack and falls back to the leader when it stops', { timeout: 180_000 }, async (t) => {
  const c = await cluster();
  await createTopic(c, 'ffk');
  await produce(c, 'ffk', 'a', 20);
  const group = 'ffk-group';
  // The follower to stop must not be the group's coordinator (that failover is tested elsewhere).
  const admin = await WireClient.connect(c.broker(1).port);
  const coordinator = await waitFor(async () => {
    const r = await admin.request(10, 3, { key: group, keyType: 0 });
    return r.errorCode === 0 ? (r.nodeId as number) : undefined;
  }, 30_000, 'the group coordinator', 100).finally(() => admin.close());
  const follower = coordinator === 2 ? 3 : 2;
  const other = follower === 2 ? 3 : 2;
  const kafka = new Kafka({ clientId: 'ffk', brokers: [c.broker(1).bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 30 } });
  const consumer = kafka.consumer({ groupId: group, rackId: `rack-${follower}`, metadataMaxAge: 2000, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  t.after(() => consumer.disconnect().catch(() => undefined));
  const got: { at: number; v: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'ffk', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ at: performance.now(), v: message.value?.toString() ?? '' }) });
  await waitFor(() => got.length >= 20 || undefined, 60_000, '20 records consumed', 50);
  const fs = c.broker(follower).broker.followerReads;
  const fo = c.broker(other).broker.followerReads;
  const otherBefore = fo.followerReads;
  assert.ok(fs.followerReads > 0, `broker ${follower} (rack-${follower}) served the reads`);
  console.log(`kafkajs: follower ${follower} served ${fs.followerReads} reads, ${fs.followerBytes} bytes`);

  await c.stopBroker(follower);
  const stoppedAt = performance.now();
  await produce(c, 'ffk', 'b', 20);
  await waitFor(() => got.length >= 40 || undefined, 90_000, `40 records consumed after broker ${follower} stopped (${got.length})`, 50);
  const firstAfter = got.find((g) => g.v.startsWith('b-'));
  console.log(`kafkajs: first record after the follower stopped consumed ${((firstAfter?.at ?? stoppedAt) - stoppedAt).toFixed(0)} ms after the stop`);
  assert.deepEqual(got.map((g) => g.v), [...values('a', 20), ...values('b', 20)]);
  assert.equal(fo.followerReads, otherBefore, `broker ${other} (another rack) served nothing: the leader did`);
  await consumer.disconnect();
  await c.startBroker(follower);
});

test('no timer was armed with a negative, NaN or overflowing delay by the brokers', () => {
  assert.ok(timers !== undefined);
  const libs = [...timers.libraries].map(([p, n]) => `${p} ${n}`).join(', ');
  console.log(`# bad timer delays: Samsa ${timers.samsa.length}; client libraries: ${libs === '' ? 'none' : libs}`);
  assert.deepEqual(timers.samsa.map((b) => `${b.delay} ms at ${b.at}`), []);
});
