/**
 * Share groups across a broker `kill -9` (issue 18): delivery counts of records in flight at the
 * crash are kept (the acquisition is persisted before the records go out, so the delivery-count
 * limit still applies), and share group membership (ShareGroup* records in `__consumer_offsets`)
 * is rebuilt by replay: ShareGroupDescribe shows the group, its epoch and members after the
 * restart, and a member heartbeating with its member id and epoch keeps them and its assignment.
 * The consumers are the project's own ShareConsumer and wire-level requests (no independent client
 * speaks share groups); records are produced with kafkajs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AcknowledgeType, ShareConsumer, type ShareRecord } from '../../src/client/share-consumer.js';
import { WireClient } from '../helpers/wire.js';
import type { ShareGroupHeartbeatResponse } from '../../src/protocol/generated/messages/share-group-heartbeat.js';
import type { ShareGroupDescribeResponse } from '../../src/protocol/generated/messages/share-group-describe.js';

const LIMIT = 3;
const SESSION_MS = 8_000;
const OVERRIDES = {
  'group.coordinator.rebalance.protocols': 'classic,consumer,share',
  'offsets.topic.num.partitions': 2,
  'share.coordinator.state.topic.num.partitions': 2,
  'group.share.auto.offset.reset': 'earliest',
  'group.share.delivery.count.limit': LIMIT,
  'group.share.session.timeout.ms': SESSION_MS,
  'group.share.heartbeat.interval.ms': 2_000,
  // Long locks: records held at the crash come back because of the restart, not a lock expiry.
  'group.share.record.lock.duration.ms': 600_000,
};
const brokers: BrokerProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const b of brokers) await b.kill();
  for (const d of dirs) removeDir(d);
});

async function start(dataDir?: string): Promise<BrokerProcess> {
  const b = await startBrokerProcess({ overrides: OVERRIDES, ...(dataDir !== undefined ? { dataDir } : {}) });
  brokers.push(b);
  if (dataDir === undefined) dirs.push(b.dataDir);
  return b;
}

async function createAndProduce(bootstrap: string, topic: string, partitions: number, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'share-durable', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  if (count === 0) return;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `v${i}`, partition: i % partitions })) });
  await producer.disconnect();
}

async function pollUntil(c: ShareConsumer, what: string): Promise<ShareRecord[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await c.poll();
    if (got.length > 0) return got;
    assert.ok(Date.now() < deadline, `no records for ${what}`);
  }
}

test('a record in flight at a kill -9 keeps its delivery count: delivered once more after the restart, then archived at the limit', { timeout: 120_000 }, async () => {
  let broker = await start();
  const dataDir = broker.dataDir;
  await createAndProduce(broker.bootstrap, 'share-dc', 1, 1);
  const a = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: 'share-dc-g', topics: ['share-dc'] });
  const counts: number[] = [];
  // Deliveries 1 .. LIMIT-1: each released but the last, which is held at the crash.
  for (let d = 1; d < LIMIT; d++) {
    const [r] = await pollUntil(a, `delivery ${d}`);
    assert.ok(r !== undefined);
    counts.push(r.deliveryCount);
    if (d < LIMIT - 1) {
      a.ack(r, AcknowledgeType.Release);
      assert.deepEqual(await a.commit(), [0]);
    }
  }
  assert.deepEqual(counts, Array.from({ length: LIMIT - 1 }, (_, i) => i + 1));
  a.kill();
  await broker.kill();

  broker = await start(dataDir);
  const b = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: 'share-dc-g', topics: ['share-dc'] });
  try {
    const [r] = await pollUntil(b, 'the delivery after the restart');
    assert.ok(r !== undefined);
    assert.equal(r.offset, 0n);
    assert.equal(r.deliveryCount, LIMIT, 'the delivery interrupted by the crash was counted');
    b.ack(r, AcknowledgeType.Release);
    assert.deepEqual(await b.commit(), [0]);
    assert.deepEqual(await b.poll(), [], 'released at the limit: archived, never delivered again');
  } finally {
    await b.close();
  }
  await broker.kill();
});

type Described = ShareGroupDescribeResponse['groups'][number];

async function describe(wire: WireClient, group: string): Promise<Described> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = (await wire.request<ShareGroupDescribeResponse>(77, 0, { groupIds: [group], includeAuthorizedOperations: false })).groups[0];
    assert.ok(d !== undefined);
    // COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE while the broker loads.
    if (d.errorCode !== 14 && d.errorCode !== 15) return d;
    assert.ok(Date.now() < deadline, `ShareGroupDescribe still answers ${d.errorCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const membersOf = (d: Described): unknown[] => d.members.map((m) => [m.memberId, m.memberEpoch, m.subscribedTopicNames, m.assignment.topicPartitions.map((t) => [t.topicName, t.partitions])]).sort();

test('share group membership survives a kill -9: ShareGroupDescribe shows the group, its epoch and members after the restart; a member resumes with its id and epoch and keeps its assignment; one that does not is removed after its session timeout', { timeout: 120_000 }, async () => {
  let broker = await start();
  const dataDir = broker.dataDir;
  const topic = 'share-members';
  const group = 'share-members-g';
  await createAndProduce(broker.bootstrap, topic, 2, 0);
  let wire = await WireClient.connect(broker.port);
  const heartbeat = (memberId: string, memberEpoch: number, topics: string[] | null = null): Promise<ShareGroupHeartbeatResponse> =>
    wire.request<ShareGroupHeartbeatResponse>(76, 0, { groupId: group, memberId, memberEpoch, rackId: null, subscribedTopicNames: topics });
  let before: Described;
  try {
    assert.equal((await heartbeat('member-1', 0, [topic])).memberEpoch, 1);
    assert.equal((await heartbeat('member-2', 0, [topic])).memberEpoch, 2);
    const caughtUp = await heartbeat('member-1', 1);
    assert.equal(caughtUp.errorCode, 0);
    assert.equal(caughtUp.memberEpoch, 2);
    before = await describe(wire, group);
    assert.equal(before.groupEpoch, 2);
    assert.deepEqual(membersOf(before), [
      ['member-1', 2, [topic], [[topic, [0, 1]]]],
      ['member-2', 2, [topic], [[topic, [0, 1]]]],
    ]);
  } finally {
    wire.close();
  }
  await broker.kill();

  broker = await start(dataDir);
  const restartedAt = performance.now();
  wire = await WireClient.connect(broker.port);
  try {
    const after = await describe(wire, group);
    assert.equal(after.errorCode, 0, `the group is known after the restart (error ${after.errorCode})`);
    assert.equal(after.groupState, 'Stable');
    assert.equal(after.groupEpoch, before.groupEpoch, 'the group epoch survived');
    assert.equal(after.assignmentEpoch, before.assignmentEpoch);
    assert.deepEqual(membersOf(after), membersOf(before), 'members, epochs, subscriptions and assignments survived');
    // member-1 resumes with its id and epoch; member-2 never comes back.
    const resumed = await heartbeat('member-1', 2);
    assert.equal(resumed.errorCode, 0, `resuming answered ${resumed.errorCode} ${resumed.errorMessage ?? ''}`);
    assert.equal(resumed.memberId, 'member-1');
    assert.equal(resumed.memberEpoch, 2, 'member-1 keeps its epoch');
    assert.equal(resumed.assignment, null, 'and its assignment (unchanged, so not sent again)');
    let epoch = 2;
    let removedAfterMs = 0;
    const deadline = Date.now() + 40_000;
    for (;;) {
      const hb = await heartbeat('member-1', epoch);
      assert.equal(hb.errorCode, 0, `member-1's heartbeat answered ${hb.errorCode}`);
      epoch = hb.memberEpoch;
      const d = await describe(wire, group);
      if (d.members.length === 1) {
        removedAfterMs = performance.now() - restartedAt;
        assert.equal(d.members[0]?.memberId, 'member-1');
        assert.equal(d.groupEpoch, 3, 'the removal bumped the group epoch');
        break;
      }
      assert.ok(Date.now() < deadline, 'member-2 was removed after its session timeout');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(removedAfterMs >= SESSION_MS * 0.9, `member-2 was kept until its session timed out (${removedAfterMs.toFixed(0)} ms)`);
    const last = await heartbeat('member-1', epoch);
    assert.equal(last.memberEpoch, 3);
    console.log(`share membership kill -9: group at epoch ${before.groupEpoch} with 2 members restored; the silent member removed ${removedAfterMs.toFixed(0)} ms after the restart (session ${SESSION_MS} ms)`);
  } finally {
    wire.close();
  }
  await broker.kill();
});
